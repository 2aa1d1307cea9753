/**
 * `connector airbyte`: every message of every bundled template against the protocol's schema,
 * and an acceptance battery written from Airbyte's published Connector Acceptance Tests.
 */
import fs from "node:fs";
import path from "node:path";
import type { ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { cli, fixtureProject, initHere, ROOT, tempDir } from "../helpers.js";
import { invalidMessages, lines, newAjv, records, signalAfterStates, states, type Message } from "../engines/engines.js";

async function airbyte(args: string[], cwd: string): Promise<{ exitCode: number; messages: Message[]; stderr: string }> {
  const r = await cli(["airbyte", ...args], { cwd, stripFinalNewline: false });
  return { exitCode: r.exitCode, messages: lines(r.stdout), stderr: r.stderr };
}

const write = (dir: string, name: string, value: unknown): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
};

/** The configured catalog that selects the discovered streams (all, or those named). */
function configured(catalog: Message, names?: string[], mode = "incremental"): Message {
  return {
    streams: catalog.streams
      .filter((s: Message) => !names || names.includes(s.name))
      .map((s: Message) => ({ stream: s, sync_mode: mode, destination_sync_mode: mode === "incremental" ? "append_dedup" : "overwrite" })),
  };
}

describe("every bundled template speaks the Airbyte protocol", () => {
  const templates = fs.readdirSync(path.join(ROOT, "templates"));
  it.each(templates)("%s: every stdout line of spec, check, discover and read is an AirbyteMessage", async (template) => {
    // The project as `connector init` writes it (init.test.ts spawns that for every template).
    const dir = await initHere(path.join(tempDir(), template), template);
    const all: Message[] = [];
    const spec = await airbyte(["spec"], dir);
    expect(spec.exitCode).toBe(0);
    expect(spec.messages.map((m) => m.type)).toEqual(["SPEC"]);
    const check = await airbyte(["check", "--config", "configuration.json"], dir);
    expect(check.messages.at(-1)).toEqual({ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } });
    let discover = await airbyte(["discover", "--config", "configuration.json"], dir);
    if (discover.exitCode !== 0) {
      // No schema() (hello): its streams are the tables `connector debug` wrote, so discover says to run it first.
      all.push(...discover.messages);
      expect(discover.exitCode).toBe(2);
      expect(discover.messages.at(-1)!.trace.error).toMatchObject({ failure_type: "config_error", message: expect.stringContaining("run `connector debug` first") });
      expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
      discover = await airbyte(["discover", "--config", "configuration.json"], dir);
    }
    expect(discover.exitCode).toBe(0);
    const catalog = discover.messages.find((m) => m.type === "CATALOG")!.catalog;
    expect(catalog.streams.length).toBeGreaterThan(0);
    write(dir, "catalog.json", configured(catalog));
    const read = await airbyte(["read", "--config", "configuration.json", "--catalog", "catalog.json"], dir);
    all.push(...spec.messages, ...check.messages, ...discover.messages, ...read.messages);
    expect(invalidMessages(all)).toEqual([]);
    expect(read.exitCode).toBe(0);
    expect(records(read.messages).length).toBeGreaterThan(0);
    expect(states(read.messages).length).toBeGreaterThan(0);
    // Every RECORD validates against its stream's discovered schema.
    const ajv = newAjv();
    const schemas = new Map<string, ValidateFunction>(catalog.streams.map((s: Message) => [s.name, ajv.compile(s.json_schema)]));
    for (const r of records(read.messages)) expect(schemas.get(r.stream)!(r.data), JSON.stringify(r)).toBe(true);
  });
});

describe("Airbyte acceptance battery (engines-shop)", () => {
  const shop = (): { dir: string; catalog: string } => {
    const dir = fixtureProject("engines-shop");
    return { dir, catalog: "" };
  };
  const read = (dir: string, extra: string[] = [], config = "configuration.json") => airbyte(["read", "--config", config, "--catalog", "catalog.json", ...extra], dir);
  // Every copy of the project discovers the same catalog and reads the same records, so `discover` and the full
  // read (configuration.json, every stream, no state) run once, in a copy of their own, for every test that asserts on them.
  let own: string | undefined;
  let discovered: Promise<Message> | undefined;
  let fullRead: ReturnType<typeof read> | undefined;
  const discover = (): Promise<Message> =>
    (discovered ??= airbyte(["discover", "--config", "configuration.json"], (own ??= shop().dir)).then((r) => r.messages.find((m) => m.type === "CATALOG")!.catalog));
  const readAll = (): ReturnType<typeof read> =>
    (fullRead ??= discover().then((catalog) => {
      write(own!, "catalog.json", configured(catalog));
      return read(own!);
    }));
  /** Each record's identity: stream, key and the event that wrote it. */
  const ids = (ms: Message[]): string[] => records(ms).map((r) => `${r.stream}:${r.data.id}:${r.data.version ?? "deleted"}`);

  it("spec: the secret field is marked airbyte_secret, and the others are not", async () => {
    const { dir } = shop();
    const spec = (await airbyte(["spec"], dir)).messages[0]!.spec.connectionSpecification;
    expect(spec.properties.api_key.airbyte_secret).toBe(true);
    expect(spec.properties.until.airbyte_secret).toBeUndefined();
    expect(spec.required).toContain("api_key");
  });

  it("check: a valid configuration SUCCEEDED; one the schema refuses, or one a setup test refuses, FAILED with the reason", async () => {
    const { dir } = shop();
    expect((await airbyte(["check", "--config", "configuration.json"], dir)).messages.at(-1)!.connectionStatus.status).toBe("SUCCEEDED");
    write(dir, "short.json", { api_key: "short" });
    const short = await airbyte(["check", "--config", "short.json"], dir);
    expect(short.exitCode).toBe(0);
    expect(short.messages.at(-1)!.connectionStatus).toMatchObject({ status: "FAILED", message: expect.stringContaining("api_key") });
    write(dir, "revoked.json", { api_key: "revoked-0123456789" });
    const revoked = await airbyte(["check", "--config", "revoked.json"], dir);
    expect(revoked.messages.at(-1)!.connectionStatus).toEqual({ status: "FAILED", message: "Test connection: the API refused the key ***" });
  });

  it("discover: a valid catalog, each stream's primary key in its schema, both sync modes, the delete column", async () => {
    const catalog = await discover();
    expect(catalog.streams.map((s: Message) => s.name)).toEqual(["customers", "orders"]);
    for (const s of catalog.streams) {
      expect(s.supported_sync_modes).toEqual(["full_refresh", "incremental"]);
      expect(s.source_defined_primary_key).toEqual([["id"]]);
      for (const [k] of s.source_defined_primary_key) expect(s.json_schema.properties[k]).toBeDefined();
      expect(s.json_schema.properties._ab_cdc_deleted_at).toEqual({ type: ["null", "string"], format: "date-time" });
      expect(s.json_schema.additionalProperties).toBe(true);
      expect(newAjv().validateSchema(s.json_schema)).toBe(true);
    }
    const customers = catalog.streams[0].json_schema.properties;
    expect(customers.updated_at).toEqual({ type: ["null", "string"], format: "date-time", airbyte_type: "timestamp_with_timezone" });
    expect(customers.vip).toEqual({ type: ["null", "boolean"] });
    expect(customers.id).toEqual({ type: "integer" });
  });

  it("read: records fit their schemas, STARTED comes before and COMPLETE after each stream's records, deletes carry _ab_cdc_deleted_at", async () => {
    const catalog = await discover();
    const r = await readAll();
    expect(r.exitCode).toBe(0);
    expect(invalidMessages(r.messages)).toEqual([]);
    const ajv = newAjv();
    const schemas = new Map<string, ValidateFunction>(catalog.streams.map((s: Message) => [s.name, ajv.compile(s.json_schema)]));
    for (const rec of records(r.messages)) expect(schemas.get(rec.stream)!(rec.data)).toBe(true);
    for (const name of ["customers", "orders"]) {
      const status = r.messages.flatMap((m, i) => (m.type === "TRACE" && m.trace.stream_status?.stream_descriptor.name === name ? [[i, m.trace.stream_status.status]] : []));
      const recordAt = r.messages.flatMap((m, i) => (m.type === "RECORD" && m.record.stream === name ? [i] : []));
      expect(status.map((s) => s[1])).toEqual(["STARTED", "COMPLETE"]);
      expect(status[0]![0]).toBeLessThan(recordAt[0]!);
      expect(status[1]![0]).toBeGreaterThan(recordAt.at(-1)!);
    }
    const deletes = records(r.messages).filter((rec) => rec.data._ab_cdc_deleted_at);
    expect(deletes.map((d) => d.data.id)).toEqual([2, 9, 16, 23, 30]);
    expect(Object.keys(deletes[0]!.data).sort()).toEqual(["_ab_cdc_deleted_at", "id"]);
    const last = states(r.messages).at(-1)!;
    expect(last).toMatchObject({ type: "GLOBAL", global: { shared_state: { seq: 40 }, stream_states: [{ stream_descriptor: { name: "customers" } }, { stream_descriptor: { name: "orders" } }] } });
    // STATE comes after every record it covers: the records of events 1 to 5 precede the first one.
    const firstState = r.messages.findIndex((m) => m.type === "STATE");
    expect(r.messages.slice(0, firstState).filter((m) => m.type === "RECORD")).toHaveLength(5);
  });

  it("a forced failure: a TRACE ERROR of type system_error, INCOMPLETE statuses, exit 1, and the states before it", async () => {
    const { dir } = shop();
    write(dir, "catalog.json", configured(await discover()));
    write(dir, "failing.json", { api_key: "sk-live-9f8e7d6c5b4a", fail_after: "12" });
    const r = await read(dir, [], "failing.json");
    expect(r.exitCode).toBe(1);
    expect(invalidMessages(r.messages)).toEqual([]);
    const error = r.messages.find((m) => m.type === "TRACE" && m.trace.type === "ERROR")!;
    expect(error.trace.error).toMatchObject({ message: "the source failed at event 13", failure_type: "system_error" });
    expect(r.messages.filter((m) => m.trace?.stream_status?.status === "INCOMPLETE")).toHaveLength(2);
    expect(states(r.messages).map((s) => s.global.shared_state.seq)).toEqual([5, 10]);
  });

  it("two reads in a row: the second, from the first's last STATE, emits only the new records", async () => {
    const { dir } = shop();
    write(dir, "catalog.json", configured(await discover()));
    const first = await readAll();
    write(dir, "state.json", [states(first.messages).at(-1)]);
    write(dir, "more.json", { api_key: "sk-live-9f8e7d6c5b4a", until: "55" });
    const second = await read(dir, ["--state", "state.json"], "more.json");
    expect(second.exitCode).toBe(0);
    const seen = new Set(ids(first.messages));
    expect(ids(second.messages).filter((id) => seen.has(id))).toEqual([]);
    expect(records(second.messages).map((r) => r.data.version ?? r.data.id)).toEqual(Array.from({ length: 15 }, (_, i) => 41 + i).map((n) => (n % 7 === 0 ? n - 5 : n)));
    // The same state as the legacy object, and as a single message, gives the same records.
    write(dir, "legacy.json", states(first.messages).at(-1)!.global.shared_state);
    expect(ids((await read(dir, ["--state", "legacy.json"], "more.json")).messages)).toEqual(ids(second.messages));
    write(dir, "single.json", states(first.messages).at(-1));
    expect(ids((await read(dir, ["--state", "single.json"], "more.json")).messages)).toEqual(ids(second.messages));
  });

  it("a read from each intermediate STATE emits exactly the records after it", async () => {
    const { dir } = shop();
    write(dir, "catalog.json", configured(await discover()));
    const full = await readAll();
    const at = full.messages.flatMap((m, i) => (m.type === "STATE" ? [i] : []));
    expect(at.length).toBe(8);
    for (const i of at.slice(0, -1)) {
      write(dir, "state.json", [full.messages[i]!.state]);
      const resumed = await read(dir, ["--state", "state.json"]);
      expect(resumed.exitCode).toBe(0);
      expect(ids(resumed.messages)).toEqual(ids(full.messages.slice(i + 1)));
    }
  });

  it("a state far in the future emits no record", async () => {
    const { dir } = shop();
    write(dir, "catalog.json", configured(await discover()));
    write(dir, "state.json", [{ type: "GLOBAL", global: { shared_state: { seq: 9_000_000_000 }, stream_states: [{ stream_descriptor: { name: "customers" }, stream_state: {} }, { stream_descriptor: { name: "orders" }, stream_state: {} }] } }]);
    const r = await read(dir, ["--state", "state.json"]);
    expect(r.exitCode).toBe(0);
    expect(records(r.messages)).toEqual([]);
    expect(r.messages.filter((m) => m.trace?.stream_status?.status === "COMPLETE")).toHaveLength(2);
  });

  it("SIGTERM (a cancelled job) mid-read: INCOMPLETE statuses, a transient TRACE ERROR, exit 143, and a resume from the last STATE emits the rest once", async () => {
    const { dir } = shop();
    write(dir, "catalog.json", configured(await discover()));
    write(dir, "slow.json", { api_key: "sk-live-9f8e7d6c5b4a", every: "2", slow_ms: "50" });
    // Stopped once the second STATE is out, while update() waits between checkpoints.
    const { code, out, err } = await signalAfterStates(["airbyte", "read", "--config", "slow.json", "--catalog", "catalog.json"], dir, 2);
    expect(code).toBe(143);
    expect(err).toBe("");
    const messages = lines(out);
    expect(invalidMessages(messages)).toEqual([]);
    expect(messages.at(-1)!.trace.error).toMatchObject({ message: expect.stringContaining("interrupted by SIGTERM"), failure_type: "transient_error" });
    expect(messages.filter((m) => m.trace?.stream_status?.status === "INCOMPLETE")).toHaveLength(2);
    const lastState = states(messages).at(-1)!;
    const covered = messages.slice(0, messages.findLastIndex((m) => m.type === "STATE"));
    write(dir, "state.json", [lastState]);
    const rest = await read(dir, ["--state", "state.json"], "slow.json");
    expect(rest.exitCode).toBe(0);
    const all = await read(dir, [], "slow.json");
    expect([...ids(covered), ...ids(rest.messages)]).toEqual(ids(all.messages));
  });

  it("a stream added to the catalog after a read: the next read starts over rather than skip the new stream's past", async () => {
    const { dir } = shop();
    const catalog = await discover();
    write(dir, "catalog.json", configured(catalog, ["customers"]));
    const first = await read(dir);
    write(dir, "state.json", [states(first.messages).at(-1)]);
    write(dir, "catalog.json", configured(catalog));
    const second = await read(dir, ["--state", "state.json"]);
    expect(second.exitCode).toBe(0);
    expect(invalidMessages(second.messages)).toEqual([]);
    // Every order of the 40 events, not only those after the state.
    expect(records(second.messages).filter((rec) => rec.stream === "orders")).toHaveLength(12);
    expect(second.messages.some((m) => m.type === "LOG" && m.log.level === "WARN" && m.log.message.includes('does not cover "orders"'))).toBe(true);
    // Dropping a stream keeps the state: only the records after it.
    write(dir, "state.json", [states(second.messages).at(-1)]);
    write(dir, "catalog.json", configured(catalog, ["orders"]));
    expect(records((await read(dir, ["--state", "state.json"])).messages)).toEqual([]);
  });

  it("a catalog that selects one of two streams emits only that one, and says how many operations it dropped", async () => {
    const { dir } = shop();
    const customerEvents = Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => n % 7 === 0 || n % 3 !== 0).length;
    write(dir, "catalog.json", configured(await discover(), ["orders"]));
    const r = await read(dir);
    expect(r.exitCode).toBe(0);
    expect(new Set(records(r.messages).map((rec) => rec.stream))).toEqual(new Set(["orders"]));
    expect(r.messages.filter((m) => m.type === "TRACE" && m.trace.stream_status).map((m) => m.trace.stream_status.stream_descriptor.name)).toEqual(["orders", "orders"]);
    expect(r.messages.some((m) => m.type === "LOG" && new RegExp(`^${customerEvents} operation\\(s\\) on "customers" were dropped`).test(m.log.message))).toBe(true);
    expect(states(r.messages).at(-1)!.global.stream_states).toEqual([{ stream_descriptor: { name: "orders" }, stream_state: {} }]);
  });
});
