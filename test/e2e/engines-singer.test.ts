/** `connector singer`: a battery written from singer-check-tap and the Meltano SDK's standard tap tests. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, fixtureProject } from "../helpers.js";
import { lines, newAjv, signalAfterStates, type Message } from "../engines/engines.js";

async function tap(args: string[], cwd: string): Promise<{ exitCode: number; messages: Message[]; stdout: string; stderr: string }> {
  const r = await cli(["singer", ...args], { cwd, stripFinalNewline: false });
  return { exitCode: r.exitCode, messages: args.includes("--discover") || args.includes("--about") ? [] : lines(r.stdout), stdout: r.stdout, stderr: r.stderr };
}

const write = (dir: string, name: string, value: unknown): void => fs.writeFileSync(path.join(dir, name), JSON.stringify(value));

/** singer-check-tap's checks over one run: every line a message, SCHEMA before RECORD, each RECORD valid against its stream's latest SCHEMA. */
function checkStream(messages: Message[]): { records: Message[]; schemas: Map<string, Message> } {
  const ajv = newAjv();
  const latest = new Map<string, Message>();
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const records: Message[] = [];
  for (const m of messages) {
    expect(["SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION"]).toContain(m.type);
    if (m.type === "SCHEMA") {
      expect(typeof m.stream).toBe("string");
      expect(Array.isArray(m.key_properties)).toBe(true);
      latest.set(m.stream, m);
      validators.set(m.stream, ajv.compile(m.schema));
    }
    if (m.type === "RECORD") {
      const schema = latest.get(m.stream);
      expect(schema, `RECORD of ${m.stream} before its SCHEMA`).toBeDefined();
      expect(validators.get(m.stream)!(m.record), JSON.stringify(m.record)).toBe(true);
      // No key outside the schema (Meltano's StreamRecordSchemaMatchesCatalogTest).
      expect(Object.keys(m.record).filter((k) => !(k in schema!.schema.properties))).toEqual([]);
      records.push(m);
    }
    if (m.type === "STATE") expect(typeof m.value).toBe("object");
  }
  return { records, schemas: latest };
}

describe("Singer battery (engines-shop)", () => {
  it("SCHEMA before RECORD, records valid against the latest SCHEMA, keys present, unique and not null, STATE is our state", async () => {
    const dir = fixtureProject("engines-shop");
    const r = await tap(["--config", "configuration.json"], dir);
    expect(r.exitCode).toBe(0);
    const { records, schemas } = checkStream(r.messages);
    expect([...schemas.keys()]).toEqual(["customers", "orders"]);
    for (const [stream, schema] of schemas) {
      expect(schema.key_properties).toEqual(["id"]);
      const keys = records.filter((m) => m.stream === stream && !m.record._sdc_deleted_at).map((m) => m.record.id);
      expect(keys.every((k) => k !== null && k !== undefined)).toBe(true);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const deletes = records.filter((m) => m.record._sdc_deleted_at);
    expect(deletes.map((m) => m.record.id)).toEqual([2, 9, 16, 23, 30]);
    expect(r.messages.filter((m) => m.type === "STATE").at(-1)).toEqual({ type: "STATE", value: { seq: 40 } });
  });

  it("the catalog from --discover is accepted by --catalog, and its metadata selects the streams", async () => {
    const dir = fixtureProject("engines-shop");
    const d = await tap(["--config", "configuration.json", "--discover"], dir);
    expect(d.exitCode).toBe(0);
    const catalog = JSON.parse(d.stdout) as Message;
    expect(catalog.streams.map((s: Message) => s.tap_stream_id)).toEqual(["customers", "orders"]);
    for (const s of catalog.streams) {
      const top = s.metadata.find((m: Message) => m.breadcrumb.length === 0).metadata;
      expect(top).toMatchObject({ selected: true, "table-key-properties": ["id"] });
      expect(newAjv().validateSchema(s.schema)).toBe(true);
    }
    write(dir, "catalog.json", catalog);
    const all = await tap(["--config", "configuration.json", "--catalog", "catalog.json"], dir);
    expect(all.exitCode).toBe(0);
    expect(new Set(checkStream(all.messages).records.map((m) => m.stream))).toEqual(new Set(["customers", "orders"]));
    catalog.streams[0].metadata.find((m: Message) => m.breadcrumb.length === 0).metadata.selected = false;
    write(dir, "catalog.json", catalog);
    const one = await tap(["--config", "configuration.json", "--catalog", "catalog.json"], dir);
    expect(new Set(checkStream(one.messages).records.map((m) => m.stream))).toEqual(new Set(["orders"]));
    expect(one.messages.filter((m) => m.type === "SCHEMA").map((m) => m.stream)).toEqual(["orders"]);
  });

  it("a re-run from the last STATE passes, with only what is new", async () => {
    const dir = fixtureProject("engines-shop");
    const first = await tap(["--config", "configuration.json"], dir);
    write(dir, "state.json", first.messages.filter((m) => m.type === "STATE").at(-1)!.value);
    write(dir, "more.json", { api_key: "sk-live-9f8e7d6c5b4a", until: "45" });
    const again = await tap(["--config", "more.json", "--state", "state.json"], dir);
    expect(again.exitCode).toBe(0);
    expect(checkStream(again.messages).records.map((m) => m.record.version ?? m.record.id)).toEqual([41, 37, 43, 44, 45]); // event 42 deletes customer 37
    // An Airbyte state is refused, never read as empty.
    write(dir, "airbyte.json", [{ type: "GLOBAL", global: { shared_state: { seq: 40 }, stream_states: [] } }]);
    const refused = await tap(["--config", "more.json", "--state", "airbyte.json"], dir);
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/CRITICAL The state file airbyte\.json cannot be used: it holds a list/);
  });

  it("SIGTERM (Meltano cancelling a run) mid-sync: a CRITICAL line naming the signal, exit 143, and a re-run from the last STATE gives the rest once", async () => {
    const dir = fixtureProject("engines-shop");
    write(dir, "slow.json", { api_key: "sk-live-9f8e7d6c5b4a", every: "2", slow_ms: "50" });
    // Stopped once the second STATE is out, while update() waits between checkpoints.
    const { code, out, err } = await signalAfterStates(["singer", "--config", "slow.json"], dir, 2);
    expect(code).toBe(143);
    expect(err).toMatch(/CRITICAL interrupted by SIGTERM: resume from the last STATE/);
    expect(err + out).not.toContain("sk-live-9f8e7d6c5b4a");
    const messages = lines(out);
    const last = messages.findLastIndex((m) => m.type === "STATE");
    write(dir, "state.json", messages[last]!.value);
    const rest = await tap(["--config", "slow.json", "--state", "state.json"], dir);
    expect(rest.exitCode).toBe(0);
    const all = await tap(["--config", "slow.json"], dir);
    // A delete's _sdc_deleted_at is the time it was read: compared as "deleted".
    const ids = (ms: Message[]) => ms.filter((m) => m.type === "RECORD").map((m) => `${m.stream}:${m.record.id}:${m.record.version}:${m.record._sdc_deleted_at ? "deleted" : "live"}`);
    expect([...ids(messages.slice(0, last)), ...ids(rest.messages)]).toEqual(ids(all.messages));
  });

  it("--about --format json has name, description, version, capabilities and settings with the secret marked", async () => {
    const dir = fixtureProject("engines-shop");
    const r = await tap(["--about", "--format", "json"], dir);
    expect(r.exitCode).toBe(0);
    const about = JSON.parse(r.stdout) as Message;
    expect(about).toMatchObject({ name: "tap-engines-shop", description: "Customers and orders, for the engine tests", version: "1.2.3" });
    expect(about.capabilities).toEqual(["catalog", "discover", "state", "about", "activate-version"]);
    expect(about.settings.properties.api_key).toMatchObject({ type: "string", secret: true });
    expect((await tap(["--about"], dir)).stdout).toMatch(/^# tap-engines-shop\n/);
  });

  it("a truncate is an ACTIVATE_VERSION, and the records after it carry that version", async () => {
    const dir = fixtureProject("engines-shop");
    fs.writeFileSync(
      path.join(dir, "connector.ts"),
      `import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "items", primary_key: ["id"], columns: { id: "LONG" } }],
  update() {
    op.upsert("items", { id: 1 });
    op.truncate("items");
    op.upsert("items", { id: 2 });
    op.checkpoint({});
  },
});
`,
    );
    write(dir, "configuration.json", {});
    const r = await tap([], dir);
    expect(r.exitCode).toBe(0);
    const types = r.messages.map((m) => m.type);
    expect(types).toEqual(["SCHEMA", "RECORD", "ACTIVATE_VERSION", "RECORD", "STATE"]);
    expect(r.messages[1]!.version).toBeUndefined();
    expect(r.messages[3]!.version).toBe(r.messages[2]!.version);
  });
});
