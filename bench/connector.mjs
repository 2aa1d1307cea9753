// The generated connector that the engine side of every workload runs through `connector debug`.
import { op } from "connector-sdk";
import { COLUMNS, cursorMap, deleteOf, row, updateOf } from "./generator.mjs";

export default {
  schema: (c) => (c.declared === "true" ? [{ table: "items", primary_key: ["id"], columns: COLUMNS }] : [{ table: "items", primary_key: ["id"] }]),
  update(c) {
    const rows = Number(c.rows);
    const every = Number(c.every);
    // W7: a state of about stateKB kilobytes, a map of per-entity cursors, one of which moves at each checkpoint.
    const cursors = c.stateKB ? cursorMap(Number(c.stateKB)) : undefined;
    const keys = cursors ? Object.keys(cursors) : [];
    // W9B: every `mix` upserts, an update of the row upserted five before, so the kinds alternate on one table.
    const mix = Number(c.mix ?? 0);
    for (let i = 0; i < rows; i++) {
      op.upsert("items", row(i));
      if (mix > 0 && (i + 1) % mix === 0 && i >= 5) op.update("items", { id: i - 5, score: -i });
      if ((i + 1) % every === 0) {
        if (cursors) cursors[keys[i % keys.length]] = row(i).created_at;
        op.checkpoint(cursors ? { rows: i + 1, cursors } : { rows: i + 1 });
      }
    }
    op.checkpoint(cursors ? { rows, cursors } : { rows });
    const updates = Number(c.updates ?? 0);
    const deletes = Number(c.deletes ?? 0);
    for (let k = 0; k < updates; k++) {
      op.update("items", updateOf(k));
      if ((k + 1) % every === 0) op.checkpoint({ rows, updates: k + 1 });
    }
    for (let k = 0; k < deletes; k++) {
      op.delete("items", deleteOf(k));
      if ((k + 1) % every === 0) op.checkpoint({ rows, updates, deletes: k + 1 });
    }
    op.checkpoint({ rows, updates, deletes });
  },
};
