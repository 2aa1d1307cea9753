import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { runSync, verifyConnector } from "../../src/testing.js";

type State = Record<string, unknown>;
type Update = (c: Record<string, string>, s: State) => void | Promise<void>;

const schema = () => [{ table: "t", primary_key: ["id"] }];

async function warnings(update: Update, state: State = {}, configuration: Record<string, string> = {}) {
  return (await runSync({ schema, update }, { state, configuration })).warnings;
}

const at = (n: number): string => new Date(Date.UTC(2024, 0, 1, 0, n)).toISOString();

/** A source of records with increasing ids; `shared` records in a row share each timestamp. */
function records(count: number, from = 1, shared = 1): { id: number; updated_at: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, updated_at: at(Math.floor((from + i) / shared)) }));
}

function pages<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * The warnings of the three runs the state guide asks to validate: a historical sync, an
 * incremental sync after the source gained records, and a sync after a reset.
 */
async function threeRuns(makeUpdate: (source: { id: number; updated_at: string }[]) => Update, shared = 1, incremental = true): Promise<string[]> {
  const source = records(23, 1, shared);
  const first = await runSync({ schema, update: makeUpdate(source) });
  // New records, and an old one changed since: its id is lower than the last one synced.
  source.push(...records(7, 24, shared), { id: 2, updated_at: at(100) });
  const second = await runSync({ schema, update: makeUpdate(source) }, { state: first.state });
  const reset = await runSync({ schema, update: makeUpdate(source) });
  for (const r of [first, second, reset]) r.close();
  if (incremental) expect(second.counts.upserts, "the incremental run picks up only the new records").toBeLessThan(source.length);
  return [...first.warnings, ...second.warnings, ...reset.warnings];
}

describe("the state guide's patterns trigger no lint", () => {
  it("a timestamp cursor advanced per record, checkpointed per page", async () => {
    const w = await threeRuns((source) => (_c, state) => {
      const cursor = (state.last_updated_at as string) ?? "2000-01-01T00:00:00Z";
      for (const page of pages(source.filter((r) => r.updated_at > cursor), 5)) {
        for (const r of page) {
          op.upsert("t", r);
          state.last_updated_at = r.updated_at;
        }
        op.checkpoint(state);
      }
    });
    expect(w).toEqual([]);
  });

  it("one timestamp cursor per table, checkpointed after each table", async () => {
    const w = await threeRuns((source) => (_c, state) => {
      const cursors: State = { users_cursor: state.users_cursor ?? "2000-01-01T00:00:00Z", orders_cursor: state.orders_cursor ?? "2000-01-01T00:00:00Z" };
      for (const table of ["users", "orders"]) {
        for (const r of source.filter((r) => r.updated_at > (cursors[`${table}_cursor`] as string))) {
          op.upsert(table, r);
          cursors[`${table}_cursor`] = r.updated_at;
        }
        op.checkpoint(cursors);
      }
    });
    expect(w).toEqual([]);
  });

  for (const idKey of ["id", "last_id"]) {
    it(`a compound { updated_at, ${idKey} } cursor over records that share timestamps, with numeric and string ids`, async () => {
      for (const asString of [false, true]) {
        const w = await threeRuns(
          (source) => (_c, state) => {
            let ts = (state.updated_at as string) ?? "2000-01-01T00:00:00Z";
            let id = Number(state[idKey] ?? 0);
            const after = source.filter((r) => r.updated_at > ts || (r.updated_at === ts && r.id > id));
            for (const page of pages(after, 4)) {
              for (const r of page) {
                op.upsert("t", r);
                ts = r.updated_at;
                id = r.id;
              }
              op.checkpoint({ updated_at: ts, [idKey]: asString ? String(id) : id });
            }
          },
          3,
        );
        expect(w).toEqual([]);
      }
    });
  }

  it("a CDC log position { lsn, xid }", async () => {
    const w = await threeRuns((source) => (_c, state) => {
      // The log holds the source's changes in order; xid counts them.
      const log = source.map((r, i) => ({ ...r, xid: i + 1 }));
      const from = (state.xid as number) ?? 0;
      for (const page of pages(log.filter((r) => r.xid > from), 6)) {
        for (const { xid: _, ...r } of page) op.upsert("t", r);
        const last = page.at(-1)!.xid;
        op.checkpoint({ lsn: `0/${(0x16b3748 + last * 64).toString(16).toUpperCase()}`, xid: last });
      }
    });
    expect(w).toEqual([]);
  });

  it("a parent cursor and a nested map of child cursors keyed by parent id, checkpointed per parent", async () => {
    const w = await threeRuns((source) => (_c, state) => {
      const children = { ...((state.department_cursor as Record<string, string>) ?? {}) };
      let company = (state.company_cursor as string) ?? "2000-01-01T00:00:00Z";
      for (const r of source.filter((r) => r.updated_at > company)) {
        op.upsert("companies", r);
        company = r.updated_at;
      }
      op.checkpoint({ company_cursor: company, department_cursor: children });
      for (const parent of source) {
        const key = `dept_id_${parent.id}`;
        const since = children[key] ?? "2000-01-01T00:00:00Z";
        for (const child of [0, 1].map((n) => ({ id: parent.id * 10 + n, company: parent.id, updated_at: parent.updated_at }))) {
          if (child.updated_at <= since) continue;
          op.upsert("departments", child);
          children[key] = child.updated_at;
        }
        op.checkpoint({ company_cursor: company, department_cursor: children });
      }
    });
    expect(w).toEqual([]);
  });

  for (const [name, key, encode, decode] of [
    ["a page number", "page", (n: number) => n, (v: unknown) => v as number],
    ["an offset", "offset", (n: number) => n * 5, (v: unknown) => (v as number) / 5],
    ["a next-page token", "next_page_token", (n: number) => `tok_${(n * 7919).toString(36)}`, (v: unknown) => parseInt((v as string).slice(4), 36) / 7919],
  ] as const) {
    it(`${name} as the cursor, over an append-only source`, async () => {
      const w = await threeRuns((source) => (_c, state) => {
        let page = state[key] === undefined ? 0 : decode(state[key]);
        for (;;) {
          const rows = source.slice(page * 5, page * 5 + 5);
          for (const r of rows) op.upsert("t", r);
          // A partial last page is fetched again next time, as records are appended to it.
          if (rows.length === 5) page++;
          op.checkpoint({ [key]: encode(page) });
          if (rows.length < 5) break;
        }
      });
      expect(w).toEqual([]);
    });
  }

  it("a { done: true } flag that marks a one-time load as complete", async () => {
    const w = await threeRuns((source) => (_c, state) => {
      if (state.done) return;
      for (const r of source) op.upsert("t", r);
      op.update("t", { id: 1, note: "updated" });
      op.delete("t", { id: 2 });
      op.checkpoint({ done: true });
    });
    expect(w).toEqual([]);
  });

  it("a full re-sync every sync, checkpointing an empty state after each batch", async () => {
    const w = await threeRuns(
      (source) => () => {
        for (const page of pages(source, 5)) {
          for (const r of page) op.upsert("t", r);
          op.checkpoint({});
        }
      },
      1,
      false,
    );
    expect(w).toEqual([]);
  });

  it("batched reads of a database by auto-increment id, 2 000 rows a batch", async () => {
    const w = await warnings((_c, state) => {
      let last = Number(state.last_id ?? 0);
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < 2000; i++) op.upsert("t", { id: ++last, v: "x" });
        op.checkpoint({ last_id: last });
      }
    });
    expect(w).toEqual([]);
  });

  it("a cursor set by hand to a recent value, to validate incremental behaviour without the full history", async () => {
    const w = await warnings(
      (_c, state) => {
        for (const page of pages(records(30).filter((r) => r.updated_at > (state.last_updated_at as string)), 5)) {
          for (const r of page) op.upsert("t", r);
          op.checkpoint({ last_updated_at: page.at(-1)!.updated_at });
        }
      },
      { last_updated_at: at(20) },
    );
    expect(w).toEqual([]);
  });
});

describe("lint: a dropped state key", () => {
  it("fires when a checkpoint leaves out a top-level key the sync started with", async () => {
    const w = await warnings(() => op.checkpoint({ orders_cursor: 2 }), { users_cursor: 1, orders_cursor: 1 });
    expect(w).toEqual([expect.stringContaining('checkpoint 1 dropped the state key "users_cursor"')]);
  });

  it("does not fire when each checkpoint carries the other tables' cursors along", async () => {
    const w = await warnings(
      (_c, state) => {
        op.checkpoint({ ...state, orders_cursor: 2 });
        op.checkpoint({ ...state, orders_cursor: 2, users_cursor: 2 });
      },
      { users_cursor: 1, orders_cursor: 1 },
    );
    expect(w).toEqual([]);
  });
});

describe("lint: a cursor that moved backwards", () => {
  it("fires by number and by timestamp, at any depth", async () => {
    const w = await warnings(() => {
      op.checkpoint({ offset: 10, tables: { users: { updated_at: "2024-05-01T00:00:00Z" } } });
      op.checkpoint({ offset: 5, tables: { users: { updated_at: "2024-04-01T00:00:00Z" } } });
    });
    expect(w).toEqual([
      expect.stringContaining("the cursor offset moved backwards at checkpoint 2: 10 → 5"),
      expect.stringContaining('the cursor tables.users.updated_at moved backwards at checkpoint 2: "2024-05-01T00:00:00Z" → "2024-04-01T00:00:00Z"'),
    ]);
  });

  it("fires when a cursor tracks the last record of an unsorted page instead of the newest", async () => {
    const w = await warnings(() => {
      for (const page of [[3, 1, 2], [6, 4, 5], [9, 7, 8]]) {
        let cursor = "";
        for (const n of page) {
          op.upsert("t", { id: n, updated_at: at(n) });
          cursor = at(n);
        }
        op.checkpoint({ last_updated_at: cursor });
      }
    }, { last_updated_at: at(3) });
    // Start at minute 3, then minute 2 (the last of page one): backwards.
    expect(w).toEqual([expect.stringContaining(`the cursor last_updated_at moved backwards at checkpoint 1: "${at(3)}" → "${at(2)}"`)]);
  });

  it("fires on a compound { updated_at, id } cursor whose timestamp steps back", async () => {
    const w = await warnings(() => {
      op.checkpoint({ updated_at: "2024-06-02T00:00:00Z", id: 10 });
      op.checkpoint({ updated_at: "2024-06-01T00:00:00Z", id: 10 });
      op.checkpoint({ updated_at: "2024-06-03T00:00:00Z", id: 1 });
      op.checkpoint({ updated_at: "2024-06-02T00:00:00Z", id: 0 });
    });
    expect(w).toEqual([
      expect.stringContaining('the cursor updated_at moved backwards at checkpoint 2: "2024-06-02T00:00:00Z" → "2024-06-01T00:00:00Z"'),
      expect.stringContaining("the cursor id moved backwards at checkpoint 4: 1 → 0"),
    ]);
  });

  it("does not fire on a compound cursor whose id falls back as its timestamp advances, in either key order", async () => {
    const w = await warnings(() => {
      op.checkpoint({ updated_at: "2024-06-01T10:00:00Z", id: 10 });
      op.checkpoint({ updated_at: "2024-07-01T00:00:00Z", id: 3 });
    }, { updated_at: "2024-01-01T00:00:00Z", id: 0 });
    expect(w).toEqual([]);
    const nested = await warnings(() => {
      op.checkpoint({ users: { id: 10, updated_at: "2024-06-01T10:00:00Z" } });
      op.checkpoint({ users: { id: 3, updated_at: "2024-07-01T00:00:00Z" } });
    });
    expect(nested).toEqual([]);
  });

  it("does not fire when an offset restarts as a { table, offset } position moves to the next table", async () => {
    const w = await warnings(() => {
      op.checkpoint({ table: "users", offset: 60 });
      op.checkpoint({ table: "orders", offset: 0 });
      op.checkpoint({ table: "orders", offset: 20 });
    });
    expect(w).toEqual([]);
  });
});

describe("lint: operations without a checkpoint", () => {
  it("fires after 100 000 operations with no checkpoint", async () => {
    const w = await warnings(() => {
      for (let id = 0; id <= 100_000; id++) op.upsert("t", { id });
      op.checkpoint({ done: true });
    });
    expect(w).toEqual([expect.stringContaining("more than 100,000 operations went by without a checkpoint")]);
  });

  it("does not fire on exactly 100 000 operations between checkpoints", async () => {
    const w = await warnings(() => {
      for (let id = 1; id <= 100_000; id++) op.upsert("t", { id });
      op.checkpoint({ last_id: 100_000 });
    });
    expect(w).toEqual([]);
  });
});

describe("lint: a state that grows with the data", () => {
  const growing = (state: (page: number, ids: string[]) => State, perPage = 5) => async () => {
    const ids: string[] = [];
    for (let page = 0; page < 8; page++) {
      for (let i = 0; i < perPage; i++) {
        const id = `${page}-${i}-a1b2c3d4`;
        op.upsert("t", { id });
        ids.push(id);
      }
      op.checkpoint(state(page, ids));
    }
  };
  const GROWTH = /the state grew at each of the last 5 checkpoints, by [\d.]+ bytes per operation/;

  it("fires on a list of processed ids", async () => {
    expect(await warnings(growing((_, ids) => ({ seen: ids })))).toEqual([expect.stringMatching(GROWTH)]);
  });

  it("fires on a map of processed ids ({ id: true }), and on a map of whole records", async () => {
    expect(await warnings(growing((_, ids) => ({ seen: Object.fromEntries(ids.map((id) => [id, true])) })))).toEqual([expect.stringMatching(GROWTH)]);
    const record = (id: string) => ({ id, name: "n", email: "e@x", plan: "free", updated_at: "2024-01-01T00:00:00Z" });
    expect(await warnings(growing((_, ids) => ({ rows: Object.fromEntries(ids.map((id) => [id, record(id)])) })))).toEqual([expect.stringMatching(GROWTH)]);
  });

  it("does not fire on a map of per-entity cursors that gains an entity at each checkpoint", async () => {
    const entities = (page: number) => Array.from({ length: page + 1 }, (_, i) => `company_${i}`);
    for (const cursorOf of [
      (i: number): unknown => at(i), // a timestamp per entity
      (i: number): unknown => ({ updated_at: at(i), id: i * 100 }), // a compound cursor per entity
    ]) {
      expect(await warnings(growing((page) => ({ companies_cursor: at(0), departments: Object.fromEntries(entities(page).map((e, i) => [e, cursorOf(i)])) }), 1))).toEqual([]);
    }
    // At the top level, beside other keys.
    expect(await warnings(growing((page) => ({ schema_version: 2, ...Object.fromEntries(entities(page).map((e, i) => [e, at(i)])) }), 1))).toEqual([]);
    // Numbers and tokens are cursors under a cursor-like name.
    expect(await warnings(growing((page) => ({ offsets: Object.fromEntries(entities(page).map((e, i) => [e, i * 50])) }), 1))).toEqual([]);
    expect(await warnings(growing((page) => ({ next_page: Object.fromEntries(entities(page).map((e, i) => [e, `tok_${i}`])) }), 1))).toEqual([]);
  });

  it("does not fire on a map of per-entity cursors whose entities take several operations each, whatever the values (counts, epoch seconds, tokens)", async () => {
    // The attack's pattern: 10 tables, 3 upserts each, then state[table] = 3.
    expect(
      await warnings((_c, state) => {
        for (let t = 0; t < 10; t++) {
          for (let id = 1; id <= 3; id++) op.upsert(`table_${t}`, { id });
          state[`table_${t}`] = 3;
          op.checkpoint(state);
        }
      }),
    ).toEqual([]);
    const perEntity = (value: (n: number) => unknown, under: string) => async () => {
      const map: Record<string, unknown> = {};
      for (let n = 0; n < 10; n++) {
        for (let id = 1; id <= 3; id++) op.upsert("t", { id: n * 10 + id });
        map[`org/repo-${n}`] = value(n);
        op.checkpoint({ [under]: { ...map } });
      }
    };
    expect(await warnings(perEntity((n) => 1000 + n, "repos"))).toEqual([]);
    expect(await warnings(perEntity((n) => 1_700_000_000 + n * 3600, "accounts"))).toEqual([]);
    expect(await warnings(perEntity((n) => `eyJwYWdlIjo${n}fQ`, "endpoints"))).toEqual([]);
  });

  it("still fires on processed ids when each id takes two operations, and on an { id: true } map that gains an entry per row", async () => {
    const w = await warnings(() => {
      const seen: string[] = [];
      for (let page = 0; page < 8; page++) {
        for (let i = 0; i < 5; i++) {
          const id = `${page}-${i}-a1b2c3d4`;
          op.upsert("users", { id });
          op.upsert("user_details", { id, bio: "b" });
          seen.push(id);
        }
        op.checkpoint({ seen });
      }
    });
    expect(w).toEqual([expect.stringMatching(GROWTH)]);
    expect(await warnings(growing((_, ids) => ({ repos: Object.fromEntries(ids.map((id) => [id, true])) }), 3))).toEqual([expect.stringMatching(GROWTH)]);
  });

  it("does not fire on a list that grows with the tables, not with the rows", async () => {
    const w = await warnings(() => {
      const done: string[] = [];
      for (let table = 0; table < 8; table++) {
        for (let id = 0; id < 100; id++) op.upsert(`table_${table}`, { id });
        done.push(`table_${table}`);
        op.checkpoint({ finished_tables: done });
      }
    });
    expect(w).toEqual([]);
  });
});

describe("other warnings at a checkpoint", () => {
  it("an update that matched no row, and a secret-looking configuration value in the state", async () => {
    const w = await warnings(
      (c) => {
        op.update("t", { id: 404, name: "x" });
        op.checkpoint({ token: c.api_key });
      },
      {},
      { api_key: "sk_live_0123456789" },
    );
    expect(w).toEqual([
      expect.stringContaining("the state contains a value of a secret-looking configuration key"),
      expect.stringContaining('1 update(s) on table "t" matched no row'),
    ]);
  });
});

describe("verify on a connector that never checkpoints", () => {
  const connector = (checkpoint: boolean) => ({
    schema,
    update() {
      for (let id = 1; id <= 20; id++) op.upsert("t", { id });
      if (checkpoint) op.checkpoint({ last_id: 20 });
    },
  });

  it("warns that an interrupted sync starts over from the beginning, and still passes", async () => {
    const report = await verifyConnector(connector(false), { seed: 1, trials: 2 });
    expect(report.passed).toBe(true);
    expect(report.checks.find((c) => c.check === "interrupted")).toMatchObject({
      status: "warn",
      detail: expect.stringContaining("the connector never checkpoints, so an interrupted sync starts over from the beginning"),
    });
  });

  it("does not warn when the connector checkpoints", async () => {
    const report = await verifyConnector(connector(true), { seed: 1, trials: 2 });
    expect(report.checks.find((c) => c.check === "interrupted")?.status).toBe("pass");
  });
});
