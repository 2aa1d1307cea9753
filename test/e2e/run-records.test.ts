import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, tempDir } from "../helpers.js";
import { appendRunRecord, readRunRecords, runRecord, RUNS_FILE } from "../../src/project/run-records.js";

const SECRET = "sk_live_runrecord_77aa";

const CONNECTOR = `import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "users", primary_key: ["id"] }, { table: "events", primary_key: ["id"] }],
  update(configuration: any, state: any) {
    op.upsert("users", { id: 1 });
    op.upsert("users", { id: 2 });
    op.checkpoint({ cursor: 1 });
    op.upsert("events", { id: 1 });
    op.delete("users", { id: 1 });
    op.checkpoint({ cursor: 2 });
    if (state.cursor) throw new Error("the API refused key " + configuration.api_key);
  },
});
`;

describe("run records (files/runs.jsonl)", () => {
  it("connector debug writes one record per run, success and failure, with its counts, owner-only and without the secret", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR, "configuration.json": JSON.stringify({ api_key: SECRET }) });
    const ok = await cli(["debug"], { cwd: dir });
    expect(ok.exitCode, ok.stderr).toBe(0);
    const file = path.join(dir, "files", RUNS_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const [first] = readRunRecords(dir);
    expect(first).toMatchObject({ command: "debug", run: 1, status: "succeeded", lastCheckpoint: { seq: 2 }, destination: { kind: "sqlite", location: path.join("files", "warehouse.db") } });
    expect(first!.counts).toEqual({ upserts: 3, updates: 0, deletes: 1, truncates: 0, checkpoints: 2, schemaChanges: 2 });
    expect(first!.byTable).toEqual({ users: { upserts: 2, updates: 0, deletes: 1, truncates: 0 }, events: { upserts: 1, updates: 0, deletes: 0, truncates: 0 } });
    expect(first!.peakRssBytes).toBeGreaterThan(0);
    expect(first!.durationMs).toBe(Date.parse(first!.endedAt) - Date.parse(first!.startedAt));

    const failed = await cli(["debug"], { cwd: dir });
    expect(failed.exitCode).toBe(1);
    const records = readRunRecords(dir);
    expect(records).toHaveLength(2);
    const last = records[1]!;
    expect(last).toMatchObject({ run: 2, status: "failed", error: { name: "Error" } });
    expect(last.error!.message).toContain("the API refused key");
    expect(last.crashReport).toMatch(/^crash-reports\/.*\.json$/);
    expect(fs.existsSync(path.join(dir, last.crashReport!))).toBe(true);
    expect(fs.readFileSync(file, "utf8")).not.toContain(SECRET);
    expect(fs.readdirSync(path.join(dir, "files")).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("connector run records each attempt, with the destination it wrote to", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR, "configuration.json": JSON.stringify({ api_key: SECRET }) });
    const first = await cli(["run", "--destination", "sqlite:out/w.db"], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    const failed = await cli(["run", "--destination", "sqlite:out/w.db", "--retries", "1", "--retry-delay", "1ms"], { cwd: dir });
    expect(failed.exitCode).toBe(1);
    const records = readRunRecords(dir);
    expect(records.map((r) => [r.command, r.status, r.attempt, r.destination.location])).toEqual([
      ["run", "succeeded", 1, path.join("out", "w.db")],
      ["run", "failed", 1, path.join("out", "w.db")],
      ["run", "failed", 2, path.join("out", "w.db")],
    ]);
    expect(fs.readFileSync(path.join(dir, "files", RUNS_FILE), "utf8")).not.toContain(SECRET);
  });

  it("keeps only the newest runs, and skips a damaged line", () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "files"));
    fs.writeFileSync(path.join(dir, "files", RUNS_FILE), "not json\n");
    const counts = { upserts: 1, updates: 0, deletes: 0, truncates: 0, checkpoints: 1, schemaChanges: 0, byTable: {} };
    for (let i = 1; i <= 7; i++) {
      const r = runRecord({ status: "succeeded", counts, durationMs: i, run: i }, { command: "run", destination: { kind: "sqlite", location: "w.db" } }, (v) => v);
      appendRunRecord(dir, r, 5);
    }
    expect(readRunRecords(dir).map((r) => r.run)).toEqual([3, 4, 5, 6, 7]);
  });
});
