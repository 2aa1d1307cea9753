// The rows every benchmark workload writes, for the engine and the raw baseline alike.
const BASE = Date.UTC(2024, 0, 1);

export function row(i) {
  return {
    id: i,
    name: `customer ${i}`,
    score: (i % 1000) / 7,
    created_at: new Date(BASE + i * 1000).toISOString(),
    payload: { tier: i % 3, tags: ["a", "b"], nested: { n: i } },
  };
}

export const COLUMNS = { id: "LONG", name: "STRING", score: "DOUBLE", created_at: "UTC_DATETIME", payload: "JSON" };

/** The partial updates and deletes of W4: every 5th row gets a new score, every 10th row is deleted. */
export const updateOf = (k) => ({ id: k * 5, score: k / 3 });
export const deleteOf = (k) => ({ id: k * 10 });

/** About `kb` kilobytes of state: entity names mapped to ISO timestamps, as a multi-entity connector keeps its cursors. */
export function cursorMap(kb) {
  const cursors = {};
  const entry = JSON.stringify({ entity_00000: new Date(BASE).toISOString() }).length - 1;
  for (let k = 0; k < Math.round((kb * 1024) / entry); k++) cursors[`entity_${String(k).padStart(5, "0")}`] = new Date(BASE).toISOString();
  return cursors;
}
