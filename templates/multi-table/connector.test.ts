import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";

describe("multi-table connector", () => {
  it("keeps a cursor per table and per parent, and an incremental run syncs nothing twice", async () => {
    const warehouse = path.join(mkdtempSync(path.join(tmpdir(), "multi-")), "warehouse.db");

    const first = await runSync(connector, { warehouse });
    expect(first.rows("companies")).toHaveLength(3);
    expect(first.rows("departments")).toHaveLength(9);
    expect(first.state).toEqual({
      companies_cursor: "2024-08-03T12:00:00Z",
      departments: { acme: "2024-08-03T09:00:00Z", globex: "2024-08-06T09:00:00Z", initech: "2024-08-09T09:00:00Z" },
    });
    // One checkpoint for companies, then one per company.
    expect(first.checkpoints).toHaveLength(4);
    first.close();

    const second = await runSync(connector, { state: first.state, warehouse });
    expect(second.counts.upserts).toBe(0);
    expect(second.rows("departments")).toHaveLength(9);
    second.close();

    // Rewinding one parent's cursor replays only that parent's children.
    const rewound = await runSync(connector, { state: { ...first.state, departments: { ...first.state.departments as object, globex: "2000-01-01T00:00:00Z" } } });
    expect(rewound.counts.byTable.departments?.upserts).toBe(3);
    expect(rewound.counts.byTable.companies).toBeUndefined();
    rewound.close();
  });
});
