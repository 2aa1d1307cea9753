import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { Connector, op } from "../../src/index.js";
import { runSync, SyncError } from "../../src/testing.js";
import { ROOT, tempDir } from "../helpers.js";

const live = (rows: Record<string, unknown>[]) => rows.map(({ _fivetran_synced, ...rest }) => rest);

async function failure(p: Promise<unknown>): Promise<SyncError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SyncError) return e;
    throw e;
  }
  throw new Error("expected the sync to fail");
}

describe("operations", () => {
  it("upsert replaces the whole row and revives a deleted one; update is partial; delete is soft", async () => {
    const r = await runSync({
      schema: () => [{ table: "users", primary_key: ["id"] }],
      update() {
        op.upsert("users", { id: 1, name: "ada", email: "a@x" });
        op.upsert("users", { id: 2, name: "bob", email: "b@x" });
        op.upsert("users", { id: 1, name: "ada l." });
        op.update("users", { id: 2, name: "bobby" });
        op.delete("users", { id: 2 });
        op.delete("users", { id: 1 });
        op.upsert("users", { id: 1, name: "ada again" });
        op.checkpoint({});
      },
    });
    expect(live(r.rows("users"))).toEqual([
      { id: 1, name: "ada again", email: null, _fivetran_deleted: 0 },
      { id: 2, name: "bobby", email: "b@x", _fivetran_deleted: 1 },
    ]);
    expect(r.counts).toMatchObject({ upserts: 4, updates: 1, deletes: 2, checkpoints: 1 });
  });

  it("an update that matches no row changes nothing and is reported as a warning", async () => {
    const r = await runSync({
      schema: () => [{ table: "users", primary_key: ["id"] }],
      update() {
        op.update("users", { id: 9, name: "ghost" });
        op.checkpoint({});
      },
    });
    expect(r.rows("users")).toEqual([]);
    expect(r.counts.updates).toBe(1);
    expect(r.warnings.join("\n")).toMatch(/1 update\(s\) on table "users" matched no row/);
  });

  it("truncate soft-deletes the rows present at the call, in emission order, without comparing timestamps", async () => {
    const r = await runSync({
      schema: () => [{ table: "t", primary_key: ["id"] }],
      update() {
        op.upsert("t", { id: 1 });
        op.upsert("t", { id: 2 });
        op.truncate("t");
        op.upsert("t", { id: 3 });
        op.upsert("t", { id: 2 });
        op.checkpoint({});
      },
    });
    expect(r.rows("t").map((x) => [x.id, x._fivetran_deleted])).toEqual([
      [1, 1],
      [2, 0],
      [3, 0],
    ]);
  });

  it("delete refreshes _fivetran_synced; every row carries ISO UTC millisecond timestamps", async () => {
    // The clock is set by hand, so the test needs no sleep and the two stamps are known exactly.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.UTC(2025, 0, 1, 12, 0, 0, 0));
      const r = await runSync({
        schema: () => [{ table: "t", primary_key: ["id"] }],
        update() {
          op.upsert("t", { id: 1 });
          op.upsert("t", { id: 2 });
          vi.setSystemTime(Date.UTC(2025, 0, 1, 12, 0, 0, 7));
          op.delete("t", { id: 1 });
          op.checkpoint({});
        },
      });
      const [deleted, kept] = r.rows("t");
      expect(kept).toMatchObject({ id: 2, _fivetran_deleted: 0, _fivetran_synced: "2025-01-01T12:00:00.000Z" });
      expect(deleted).toMatchObject({ id: 1, _fivetran_deleted: 1, _fivetran_synced: "2025-01-01T12:00:00.007Z" });
      expect(deleted!._fivetran_synced as string > (kept!._fivetran_synced as string)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("keyless tables get a deterministic _fivetran_id; update and delete need it", async () => {
    const r = await runSync({
      update() {
        op.upsert("events", { kind: "click", at: 1 });
        op.upsert("events", { at: 1, kind: "click" });
        op.upsert("events", { kind: "view", at: 2 });
        op.checkpoint({});
      },
    });
    const rows = r.rows("events");
    expect(rows).toHaveLength(2);
    const id = rows.find((x) => x.kind === "view")!._fivetran_id as string;
    const again = await runSync({
      update() {
        op.upsert("events", { kind: "view", at: 2 });
        op.delete("events", { _fivetran_id: id });
        op.checkpoint({});
      },
    });
    expect(again.rows("events")).toMatchObject([{ _fivetran_id: id, _fivetran_deleted: 1 }]);
    const e = await failure(runSync({ update: () => { op.upsert("events", { kind: "x" }); op.delete("events", { kind: "x" }); } }));
    expect(e.message).toContain('primary key column "_fivetran_id" is missing or null (table "events" has no primary key');
  });
});

describe("schema and types", () => {
  it("creates declared tables and columns before any row, as one schema change per table", async () => {
    const r = await runSync({
      schema: () => [
        { table: "empty", primary_key: ["id"], columns: { id: "LONG", note: "STRING" } },
        { table: "other", columns: { x: "INT" } },
      ],
      update: () => op.checkpoint({}),
    });
    expect(r.tables()).toEqual(["empty", "other"]);
    expect(r.counts.schemaChanges).toBe(2);
    expect(r.rows("empty")).toEqual([]);
  });

  it("adds new columns with NULL in older rows and widens LONG to DOUBLE to STRING", async () => {
    const r = await runSync({
      schema: () => [{ table: "t", primary_key: ["id"] }],
      update() {
        op.upsert("t", { id: 1, v: 1 });
        op.upsert("t", { id: 2, v: 2.5, extra: "new" });
        op.upsert("t", { id: 3, v: "three" });
        op.checkpoint({});
      },
    });
    expect(live(r.rows("t"))).toEqual([
      // 1 is stored as it would have been had v been STRING from the start: "1", not "1.0".
      { id: 1, v: "1", extra: null, _fivetran_deleted: 0 },
      { id: 2, v: "2.5", extra: "new", _fivetran_deleted: 0 },
      { id: 3, v: "three", extra: null, _fivetran_deleted: 0 },
    ]);
    // the declared table, columns v and extra, and two widenings of v
    expect(r.counts.schemaChanges).toBe(5);
  });

  it("rejects a value that does not fit a declared column, naming table, column and value", async () => {
    const e = await failure(
      runSync({
        schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "LONG", amount: "DECIMAL(5,2)" } }],
        update: () => op.upsert("t", { id: 1, amount: "12.345" }),
      }),
    );
    expect(e.message).toContain('table "t", column "amount" (DECIMAL(5,2))');
    expect(e.message).toContain('"12.345" would lose digits');
  });

  it("rejects a missing primary key and a primary key of the wrong type", async () => {
    const schema = () => [{ table: "t", primary_key: ["id"] }];
    const missing = await failure(runSync({ schema, update: () => op.upsert("t", { name: "x" }) }));
    expect(missing.message).toContain('op.upsert on table "t": primary key column "id" is missing or null');
    const wrong = await failure(
      runSync({
        schema,
        update() {
          op.upsert("t", { id: 1 });
          op.upsert("t", { id: "one" });
        },
      }),
    );
    expect(wrong.message).toContain('table "t", primary key column "id": "one" is STRING, but the key is LONG');
  });

  it.each([
    [{ table: "t" }, "must return an array"],
    [[{ primary_key: ["id"] }], 'entry 0 needs a non-empty "table" name'],
    [[{ table: "a" }, { table: "A" }], 'declares table "A" twice ("a" and "A" both become "a")'],
    [[{ table: "t", columns: { x: "VARCHAR" } }], 'table "t", column "x": unknown type "VARCHAR"'],
    [[{ table: "t", columns: { x: "DECIMAL" } }], "DECIMAL needs a precision and a scale"],
    [[{ table: "t", columns: { userId: "LONG", user_id: "LONG" } }], 'column "user_id" is declared twice'],
    [[{ table: "t", primary_key: "id" }], '"primary_key" must be a list of column names'],
    [[{ table: "t", columns: { _fivetran_deleted: "BOOLEAN" } }], "reserved name"],
  ])("rejects schema() %j", async (schema, message) => {
    const e = await failure(runSync({ schema: () => schema as never, update: () => op.checkpoint({}) }));
    expect(e.message).toContain(message);
  });

  it("refuses a primary-key change between runs, naming the table to load again (the CLI adds how)", async () => {
    const warehouse = path.join(tempDir(), "w.db");
    await runSync({ schema: () => [{ table: "t", primary_key: ["id"] }], update: () => op.upsert("t", { id: 1, code: "a" }) }, { warehouse });
    const e = await failure(runSync({ schema: () => [{ table: "t", primary_key: ["code"] }], update: () => op.checkpoint({}) }, { warehouse }));
    expect(e.message).toContain('the primary key of table "t" changed from (id) to (code)');
    expect(e.message).toContain("the table must be loaded again from the start");
    expect((e.cause as { reloadTable?: string }).reloadTable).toBe("t");
  });

  it("refuses reserved columns in data, and warns once about double-encoded JSON", async () => {
    const reserved = await failure(runSync({ update: () => op.upsert("t", { id: 1, _fivetran_deleted: 0 }) }));
    expect(reserved.message).toContain('column "_fivetran_deleted" uses a reserved name');
    const r = await runSync({
      schema: () => [{ table: "t", primary_key: ["id"], columns: { payload: "JSON" } }],
      update() {
        op.upsert("t", { id: 1, payload: JSON.stringify({ a: 1 }) });
        op.upsert("t", { id: 2, payload: JSON.stringify({ a: 2 }) });
        op.checkpoint({});
      },
    });
    expect(r.warnings.filter((w) => w.includes("double-encoded"))).toHaveLength(1);
  });
});

describe("state and checkpoints", () => {
  it("returns every checkpoint's state, copied at the moment of the call", async () => {
    const r = await runSync({
      update(_c, state) {
        const s = { n: Number((state as { n?: number }).n ?? 0) };
        for (let i = 0; i < 3; i++) {
          s.n++;
          op.checkpoint(s);
        }
      },
    }, { state: { n: 10 } });
    expect(r.checkpoints).toEqual([{ n: 11 }, { n: 12 }, { n: 13 }]);
    expect(r.state).toEqual({ n: 13 });
  });

  it("a failing sync keeps the last committed state and rows", async () => {
    const e = await failure(
      runSync({
        schema: () => [{ table: "t", primary_key: ["id"] }],
        update() {
          op.upsert("t", { id: 1 });
          op.checkpoint({ at: 1 });
          op.upsert("t", { id: 2 });
          throw new Error("boom");
        },
      }),
    );
    expect(e.message).toBe("boom");
    expect(e.result.state).toEqual({ at: 1 });
    expect(e.result.rows("t").map((x) => x.id)).toEqual([1]);
  });

  it("warns about big states and about secrets stored in state", async () => {
    const r = await runSync(
      { update: (c) => op.checkpoint({ copy: (c as Record<string, string>).api_token, pad: "x".repeat(1024 * 1024 + 10) }) },
      { configuration: { api_token: "sk_live_abcdef" } },
    );
    expect(r.warnings.some((w) => w.includes("over 1 MB"))).toBe(true);
    expect(r.warnings.some((w) => w.includes("secret-looking configuration key"))).toBe(true);
  });

  it("op outside a sync is a clear error", () => {
    expect(() => op.upsert("t", { id: 1 })).toThrow(/outside a sync/);
  });

  it("reaches the engine from another copy of the SDK through the Symbol.for registry", async () => {
    const other = (await import(path.join(ROOT, "dist", "index.js"))) as typeof import("../../src/index.js");
    expect(other.op).not.toBe(op);
    const r = await runSync(new other.Connector({ update: () => { other.op.upsert("t", { id: 1 }); other.op.checkpoint({ ok: true }); } }));
    expect(r.state).toEqual({ ok: true });
    expect(r.rows("t")).toHaveLength(1);
  });

  it("accepts a Connector instance and a plain object alike", async () => {
    const def = { update: () => op.checkpoint({ a: 1 }) };
    expect((await runSync(new Connector(def))).state).toEqual({ a: 1 });
    expect((await runSync(def)).state).toEqual({ a: 1 });
  });
});

describe("memory over many checkpoints", () => {
  // The history of states is in _connector_checkpoints; holding every state in memory ran a long sync out of it.
  it("the engine keeps no committed state but the last", async () => {
    const { setFlagsFromString } = await import("node:v8");
    const { runInNewContext } = await import("node:vm");
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const { Sync } = await import("../../src/sync/sync.js");
    const { SqliteDestination } = await import("../../src/destinations/sqlite/destination.js");
    const destination = new SqliteDestination(":memory:");
    const seen: WeakRef<object>[] = [];
    const engine = new Sync({
      definition: {
        update() {
          for (let i = 0; i < 50; i++) op.checkpoint({ i, pad: "x".repeat(1000) + i });
        },
      },
      configuration: {},
      state: {},
      destination,
      naming: "fivetran",
      events: { checkpoint: (info) => seen.push(new WeakRef(info.state)) },
    });
    const result = await engine.run();
    expect(result.status).toBe("succeeded");
    await new Promise((r) => setImmediate(r));
    gc();
    const alive = seen.map((ref) => ref.deref()).filter((s) => s !== undefined);
    expect(alive).toEqual([result.state]);
    expect(result.state).toMatchObject({ i: 49 });
    expect(result.counts.checkpoints).toBe(50);
    destination.close();
  });

  it("runSync collects every checkpoint's state unless keepCheckpoints is false", async () => {
    const def = { update: () => [1, 2, 3].forEach((n) => op.checkpoint({ n })) };
    expect((await runSync(def)).checkpoints).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const lean = await runSync(def, { keepCheckpoints: false });
    expect(lean.checkpoints).toEqual([]);
    expect(lean.state).toEqual({ n: 3 });
    expect(lean.counts.checkpoints).toBe(3);
  });
});
