/**
 * The engines' message streams applied to a deduplicating destination end with `connector
 * debug`'s live rows; so do reads killed with SIGKILL and resumed from the last STATE they
 * printed; and no configuration secret appears on stdout or stderr in any mode.
 */
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, cli, fixtureProject, query } from "../helpers.js";
import { DedupDestination, lines, records, type Message } from "../engines/engines.js";

const KEY = "sk-live-9f8e7d6c5b4a";
const STREAMS = ["customers", "orders"];
const write = (dir: string, name: string, value: unknown): void => fs.writeFileSync(path.join(dir, name), JSON.stringify(value));

/** `connector debug`'s live rows, as JSON values (booleans stored as 0/1 read back as booleans). */
function debugRows(dir: string, table: string): Message[] {
  return query(dir, `SELECT * FROM "${table}" WHERE _fivetran_deleted = 0 ORDER BY id`).map((row) => {
    const out: Message = {};
    for (const [k, v] of Object.entries(row)) {
      if (k.startsWith("_fivetran_") || v === null) continue;
      out[k] = k === "vip" || k === "paid" ? v === 1 : v;
    }
    return out;
  });
}

const byId = (rows: Message[]): Message[] => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));

let debugged: Promise<Record<string, Message[]>> | undefined;

/** `connector debug`'s live rows of engines-shop, synced once for the file's tests, which each compare against them. */
function expected(): Promise<Record<string, Message[]>> {
  debugged ??= (async () => {
    const dir = fixtureProject("engines-shop");
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    return Object.fromEntries(STREAMS.map((s) => [s, byId(debugRows(dir, s))]));
  })();
  return debugged;
}

function airbyteCatalog(dir: string): void {
  write(dir, "catalog.json", { streams: STREAMS.map((name) => ({ stream: { name, json_schema: {}, supported_sync_modes: ["incremental"] }, sync_mode: "incremental", destination_sync_mode: "append_dedup" })) });
}

describe("round trip", () => {
  it("Airbyte read and Singer run, applied as a deduplicating destination would, end with debug's live rows", async () => {
    const want = await expected();
    const dir = fixtureProject("engines-shop");
    airbyteCatalog(dir);
    const read = await cli(["airbyte", "read", "--config", "configuration.json", "--catalog", "catalog.json"], { cwd: dir, stripFinalNewline: false });
    expect(read.exitCode).toBe(0);
    const ab = new DedupDestination("_ab_cdc_deleted_at");
    for (const s of STREAMS) ab.stream(s, ["id"]);
    for (const r of records(lines(read.stdout))) ab.apply(r.stream, r.data);
    for (const s of STREAMS) expect(byId(ab.live(s)), s).toEqual(want[s]);

    const run = await cli(["singer", "--config", "configuration.json"], { cwd: dir, stripFinalNewline: false });
    expect(run.exitCode).toBe(0);
    const sg = new DedupDestination("_sdc_deleted_at");
    for (const m of lines(run.stdout)) {
      if (m.type === "SCHEMA") sg.stream(m.stream, m.key_properties);
      if (m.type === "RECORD") sg.apply(m.stream, m.record);
      if (m.type === "ACTIVATE_VERSION") sg.truncate(m.stream);
    }
    for (const s of STREAMS) expect(byId(sg.live(s)), s).toEqual(want[s]);
  });
});

/** A small seeded generator, so a failing trial can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Starts a read and SIGKILLs it once `killAt` lines have arrived; resolves with every whole line it printed. */
function readKilledAt(dir: string, killAt: number, state?: string): Promise<{ messages: Message[]; killed: boolean }> {
  const args = [BIN, "airbyte", "read", "--config", "slow.json", "--catalog", "catalog.json", ...(state ? ["--state", state] : [])];
  const child = spawn("node", args, { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  let killed = false;
  child.stdout.on("data", (d: Buffer) => {
    out += d;
    if (!killed && out.split("\n").length - 1 >= killAt) {
      killed = child.kill("SIGKILL");
    }
  });
  return new Promise((resolve) => child.on("close", () => resolve({ messages: lines(out, true), killed })));
}

describe("crashes", () => {
  it("10 reads killed with SIGKILL at random points, each resumed from the last STATE it printed, give exactly the source's rows once", async () => {
    const want = await expected();
    const dir = fixtureProject("engines-shop");
    airbyteCatalog(dir);
    write(dir, "slow.json", { api_key: KEY, slow_ms: "15" });
    const full = await readKilledAt(dir, Number.MAX_SAFE_INTEGER);
    const total = full.messages.length;
    const next = random(2312);
    let killedTrials = 0;
    for (let trial = 0; trial < 10; trial++) {
      const killAt = 1 + Math.floor(next() * (total - 2));
      const first = await readKilledAt(dir, killAt);
      if (first.killed) killedTrials++;
      const lastState = first.messages.map((m, i) => [m, i] as const).filter(([m]) => m.type === "STATE").at(-1);
      if (lastState) write(dir, "state.json", [lastState[0].state]);
      const second = await readKilledAt(dir, Number.MAX_SAFE_INTEGER, lastState ? "state.json" : undefined);
      expect(second.messages.at(-1)!.type, `trial ${trial}: the resumed read ends`).not.toBe("TRACE");
      // Exactly once: nothing the STATE covers comes again.
      const covered = new Set(records(first.messages.slice(0, lastState ? lastState[1] : 0)).map((r) => JSON.stringify([r.stream, r.data.id, r.data.version])));
      expect(records(second.messages).filter((r) => covered.has(JSON.stringify([r.stream, r.data.id, r.data.version]))), `trial ${trial}`).toEqual([]);
      const dest = new DedupDestination("_ab_cdc_deleted_at");
      for (const s of STREAMS) dest.stream(s, ["id"]);
      for (const r of [...records(first.messages), ...records(second.messages)]) dest.apply(r.stream, r.data);
      for (const s of STREAMS) expect(byId(dest.live(s)), `trial ${trial} (killed after line ${killAt}), ${s}`).toEqual(want[s]);
      dest.close();
    }
    expect(killedTrials).toBeGreaterThanOrEqual(8);
  });
});

describe("secrets", () => {
  it("the API key, printed and logged by the connector, appears on neither stdout nor stderr in any mode", async () => {
    const dir = fixtureProject("engines-shop");
    airbyteCatalog(dir);
    write(dir, "failing.json", { api_key: KEY, fail_after: "3" });
    write(dir, "revoked.json", { api_key: `revoked-${KEY}` });
    const runs = [
      ["airbyte", "spec"],
      ["airbyte", "check", "--config", "configuration.json"],
      ["airbyte", "check", "--config", "revoked.json"],
      ["airbyte", "discover", "--config", "configuration.json"],
      ["airbyte", "read", "--config", "configuration.json", "--catalog", "catalog.json"],
      ["airbyte", "read", "--config", "failing.json", "--catalog", "catalog.json"],
      ["singer", "--config", "configuration.json"],
      ["singer", "--config", "failing.json"],
      ["singer", "--config", "configuration.json", "--discover"],
      ["singer", "--about", "--format", "json"],
    ];
    let masked = 0;
    for (const args of runs) {
      const r = await cli(args, { cwd: dir });
      expect(r.stdout + r.stderr, args.join(" ")).not.toContain(KEY);
      expect(r.stdout + r.stderr, args.join(" ")).not.toContain("9f8e7d6c5b4a");
      masked += (r.stdout + r.stderr).split("***").length - 1;
    }
    // The connector's console.log and log.info lines were there, masked.
    expect(masked).toBeGreaterThanOrEqual(8);
  });
});
