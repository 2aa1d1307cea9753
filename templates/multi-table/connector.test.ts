import { readFileSync } from "node:fs";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";
import type { Company, Department } from "./source.js";

// The expectations come from the data the source serves, so they hold after you edit
// data/ as the README suggests. runSync uses an in-memory warehouse.
const read = <T>(file: string): T[] => JSON.parse(readFileSync(new URL(`./data/${file}`, import.meta.url), "utf8")) as T[];
const companies = read<Company>("companies.json");
const departments = read<Department>("departments.json");
const latest = (rows: { updated_at: string }[]): string => rows.map((r) => r.updated_at).toSorted((a, b) => Date.parse(a) - Date.parse(b)).at(-1) ?? "2000-01-01T00:00:00Z";

describe("multi-table connector", () => {
  it("keeps a cursor per table and per parent, and an incremental run syncs nothing again", async () => {
    const first = await runSync(connector);
    expect(first.rows("companies")).toHaveLength(companies.length);
    expect(first.rows("departments")).toHaveLength(departments.length);
    expect(first.state).toEqual({
      companies_cursor: latest(companies),
      departments: Object.fromEntries(companies.map((c) => [c.id, latest(departments.filter((d) => d.company_id === c.id))])),
    });
    // One checkpoint for companies, then one per company.
    expect(first.checkpoints).toHaveLength(1 + companies.length);
    expect(first.warnings).toEqual([]);
    first.close();

    const second = await runSync(connector, { state: first.state });
    expect(second.counts.upserts).toBe(0);
    expect(second.state).toEqual(first.state);
    second.close();
  });

  it("rewinding one parent's cursor replays only that parent's children", async () => {
    const first = await runSync(connector);
    first.close();
    for (const company of companies) {
      const cursors = { ...(first.state.departments as Record<string, string>), [company.id]: "2000-01-01T00:00:00Z" };
      const rewound = await runSync(connector, { state: { ...first.state, departments: cursors } });
      expect(rewound.rows("departments").map((d) => d.id)).toEqual(
        departments
          .filter((d) => d.company_id === company.id)
          .map((d) => d.id)
          .toSorted(),
      );
      expect(rewound.counts.byTable.companies).toBeUndefined();
      expect(rewound.state).toEqual(first.state);
      rewound.close();
    }
  });
});
