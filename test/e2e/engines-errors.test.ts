/**
 * The engines' bad-input and failure catalogue (docs/errors.md, "Engines"): each row's exit code, its
 * failure_type, and the words of its TRACE ERROR on stdout (Airbyte) or its CRITICAL line on stderr (Singer).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, fixtureProject, ROOT } from "../helpers.js";
import { invalidMessages, lines } from "../engines/engines.js";

interface EngineCase {
  id: string;
  args: string[];
  files?: Record<string, string>;
  code: number;
  failure?: "config_error" | "system_error" | "transient_error";
  says: string[];
}

const CATALOG = JSON.stringify({ streams: [{ stream: { name: "customers", json_schema: {}, supported_sync_modes: ["incremental"] }, sync_mode: "incremental", destination_sync_mode: "append_dedup" }] });
const read = (extra: string[] = []): string[] => ["airbyte", "read", "--config", "configuration.json", "--catalog", "catalog.json", ...extra];
const connector = (body: string): string => `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "customers", primary_key: ["id"], columns: { id: "LONG" } }],
  async update() {
    ${body}
  },
};
`;

const SECRET = "sk-live-9f8e7d6c5b4a";
const CONFIG = JSON.stringify({ api_key: SECRET });
// An exception in a timer, outside update()'s flow, whose message holds the API key.
const TIMER_THROWS = `const key = (arguments[0] as { api_key: string }).api_key;
    setTimeout(() => { throw new Error("late boom with " + key); }, 1);
    await new Promise((r) => setTimeout(r, 2000));`;

export const ENGINE_CATALOGUE: EngineCase[] = [
  { id: "airbyte-config-flag-missing", args: ["airbyte", "discover"], code: 2, failure: "config_error", says: ["--config <file> is required."] },
  { id: "airbyte-config-missing", args: ["airbyte", "read", "--config", "nope.json", "--catalog", "catalog.json"], code: 2, failure: "config_error", says: ["The configuration file nope.json does not exist."] },
  { id: "airbyte-config-malformed", args: read(), files: { "configuration.json": '{"api_key": ' }, code: 2, failure: "config_error", says: ["The configuration file configuration.json is not valid JSON"] },
  { id: "airbyte-config-refused", args: ["airbyte", "discover", "--config", "configuration.json"], files: { "configuration.json": '{"api_key": "short"}' }, code: 2, failure: "config_error", says: ["Invalid configuration (configuration.json)", "api_key:"] },
  { id: "airbyte-catalog-missing", args: read().slice(0, -1).concat("gone.json"), code: 2, failure: "config_error", says: ["The catalog file gone.json does not exist."] },
  { id: "airbyte-catalog-not-configured", args: read(), files: { "catalog.json": '{"streams": [{"name": "customers"}]}' }, code: 2, failure: "config_error", says: ["The catalog file catalog.json is not a configured catalog: streams[0] has no stream.name."] },
  {
    id: "airbyte-catalog-unknown-stream",
    args: read(),
    files: { "catalog.json": CATALOG.replace('"customers"', '"invoices"') },
    code: 2,
    failure: "config_error",
    says: ['selects the stream "invoices", which this connector does not have. Its streams: customers, orders.'],
  },
  {
    id: "airbyte-catalog-mixed-modes",
    args: read(),
    files: { "catalog.json": JSON.stringify({ streams: [JSON.parse(CATALOG).streams[0], { stream: { name: "orders" }, sync_mode: "full_refresh", destination_sync_mode: "overwrite" }] }) },
    code: 2,
    failure: "config_error",
    says: ["mixes full_refresh and incremental streams", "Configure every stream with the same sync mode."],
  },
  { id: "airbyte-state-malformed", args: read(["--state", "state.json"]), files: { "state.json": "[{" }, code: 2, failure: "config_error", says: ["The state file state.json is not valid JSON"] },
  {
    id: "airbyte-state-stream",
    args: read(["--state", "state.json"]),
    files: { "state.json": JSON.stringify([{ type: "STREAM", stream: { stream_descriptor: { name: "users" }, stream_state: { cursor: 1 } } }]) },
    code: 2,
    failure: "config_error",
    says: ['it holds a per-stream (STREAM) state for "users", written by another connector'],
  },
  {
    id: "airbyte-state-other-connector",
    args: read(["--state", "state.json"]),
    files: { "state.json": JSON.stringify([{ type: "GLOBAL", global: { shared_state: { seq: 3 }, stream_states: [{ stream_descriptor: { name: "invoices" } }] } }]) },
    code: 2,
    failure: "config_error",
    says: ['names streams this connector does not have ("invoices"), so it was written by another connector'],
  },
  { id: "airbyte-state-unknown-shape", args: read(["--state", "state.json"]), files: { "state.json": '"seq=3"' }, code: 2, failure: "config_error", says: ["The state file state.json cannot be used: it holds", "not a list of state messages or a state object"] },
  { id: "airbyte-state-schema", args: read(["--state", "state.json"]), files: { "state.json": '{"seq": "three"}' }, code: 2, failure: "config_error", says: ["The saved state in state.json does not match the connector's state schema", "seq:"] },
  {
    id: "airbyte-partial-update",
    args: read(),
    files: { "connector.ts": connector('op.upsert("customers", { id: 1 }); op.update("customers", { id: 1 }); op.checkpoint({});'), "configuration.json": "{}" },
    code: 1,
    failure: "system_error",
    says: ['op.update("customers") changes only some columns of a row, which the Airbyte protocol cannot carry', 'op.upsert("customers", row)'],
  },
  { id: "airbyte-connector-throws", args: read(), files: { "connector.ts": connector('throw new Error("the API answered 500");'), "configuration.json": "{}" }, code: 1, failure: "system_error", says: ["the API answered 500"] },
  {
    id: "airbyte-throws-in-timer",
    args: read(),
    files: { "connector.ts": connector(TIMER_THROWS), "configuration.json": CONFIG },
    code: 1,
    failure: "system_error",
    says: ["the connector threw outside update(): late boom with ***"],
  },
  { id: "airbyte-network", args: read(), files: { "connector.ts": connector('await fetch("http://127.0.0.1:9/items");'), "configuration.json": "{}" }, code: 1, failure: "transient_error", says: ["fetch failed"] },
  {
    id: "airbyte-no-streams",
    args: ["airbyte", "discover", "--config", "configuration.json"],
    files: { "connector.ts": 'export default { update() {} };\n' },
    code: 2,
    failure: "config_error",
    says: ["This connector has no schema(), so its streams are the tables `connector debug` wrote, and the project has no warehouse yet", "Declare the tables in schema(), or run `connector debug` first"],
  },
  { id: "singer-no-streams", args: ["singer", "--discover"], files: { "connector.ts": 'export default { update() {} };\n' }, code: 2, says: ["CRITICAL This connector has no schema(), so its streams are the tables `connector debug` wrote"] },
  { id: "singer-state-airbyte", args: ["singer", "--state", "state.json"], files: { "state.json": "[]" }, code: 2, says: ["CRITICAL The state file state.json cannot be used: it holds a list (an Airbyte state?)"] },
  { id: "singer-catalog-unknown-stream", args: ["singer", "--catalog", "catalog.json"], files: { "catalog.json": '{"streams": [{"tap_stream_id": "invoices"}]}' }, code: 2, says: ['CRITICAL The catalog file catalog.json lists the stream "invoices", which this connector does not have.'] },
  { id: "singer-format-without-about", args: ["singer", "--format", "json"], code: 2, says: ["CRITICAL --format goes with --about."] },
  { id: "singer-partial-update", args: ["singer"], files: { "connector.ts": connector('op.upsert("customers", { id: 1 }); op.update("customers", { id: 1 });'), "configuration.json": "{}" }, code: 1, says: ['CRITICAL op.update("customers") changes only some columns of a row, which the Singer protocol cannot carry'] },
  { id: "singer-throws-in-timer", args: ["singer"], files: { "connector.ts": connector(TIMER_THROWS), "configuration.json": CONFIG }, code: 1, says: ["CRITICAL the connector threw outside update(): late boom with ***"] },
];

describe("the engines' catalogue (docs/errors.md)", () => {
  it("every row is documented with its exit code", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "errors.md"), "utf8");
    for (const c of ENGINE_CATALOGUE) expect(doc, c.id).toMatch(new RegExp(`^\\| \`${c.id}\` \\|.*\\| ${c.code} \\|$`, "m"));
  });

  for (const c of ENGINE_CATALOGUE) {
    it(`${c.id}: exit ${c.code}`, async () => {
      const dir = fixtureProject("engines-shop");
      fs.writeFileSync(path.join(dir, "catalog.json"), CATALOG);
      for (const [name, text] of Object.entries(c.files ?? {})) fs.writeFileSync(path.join(dir, name), text);
      const r = await cli(c.args, { cwd: dir, stripFinalNewline: false });
      expect(r.exitCode, r.stdout + r.stderr).toBe(c.code);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      if (c.args[0] === "airbyte") {
        const messages = lines(r.stdout);
        expect(invalidMessages(messages)).toEqual([]);
        const error = messages.at(-1)!;
        expect(error.type).toBe("TRACE");
        expect(error.trace.error.failure_type).toBe(c.failure);
        for (const s of c.says) expect(error.trace.error.message).toContain(s);
        expect(r.stderr).toBe("");
      } else {
        expect(r.stdout.split("\n").filter(Boolean).every((l) => ["SCHEMA", "RECORD", "STATE"].includes(JSON.parse(l).type))).toBe(true);
        for (const s of c.says) expect(r.stderr).toContain(s);
      }
    });
  }
});
