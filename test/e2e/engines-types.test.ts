/** Our 14 types in Airbyte records and schemas, a table without a key, a schema-less configuration, and a truncate. */
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { invalidMessages, lines, newAjv, records, type Message } from "../engines/engines.js";

const CONNECTOR = `import { op } from "connector-sdk";
export default {
  schema: () => [
    { table: "all_types", primary_key: ["id"], columns: {
      id: "LONG", b: "BOOLEAN", s: "SHORT", i: "INT", big: "LONG", d: "DECIMAL(20,4)", f: "FLOAT", x: "DOUBLE",
      day: "NAIVE_DATE", local: "NAIVE_DATETIME", utc: "UTC_DATETIME", bin: "BINARY", xml: "XML", str: "STRING", doc: "JSON" } },
    { table: "notes", columns: { text: "STRING" } },
  ],
  update(configuration) {
    op.upsert("all_types", {
      id: 1, b: true, s: 7, i: -12, big: 9007199254740993n, d: "12345678901234.5678", f: 1.5, x: 0.1,
      day: "2024-02-29", local: "2024-02-29T13:14:15.123", utc: "2024-02-29T13:14:15.123Z", bin: Buffer.from([0, 1, 254, 255]),
      xml: "<a/>", str: "é\\n\\"q\\"", doc: { k: [1, "two", null] },
    });
    op.upsert("all_types", { id: 2, b: false });
    op.upsert("notes", { text: JSON.stringify(configuration) });
    op.truncate("notes");
    op.checkpoint({ done: true });
  },
};
`;

const CATALOG = JSON.stringify({
  streams: ["all_types", "notes"].map((name) => ({ stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh"] }, sync_mode: "full_refresh", destination_sync_mode: "overwrite" })),
});

describe("types through the Airbyte adapter", () => {
  it("each of the 14 types is written exactly and fits its discovered schema; a keyless table is keyed by _fivetran_id; a schema-less connector sees strings", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR, "config.json": JSON.stringify({ n: 5, flag: true, list: [1], name: "x" }), "catalog.json": CATALOG });
    const discover = lines((await cli(["airbyte", "discover", "--config", "config.json"], { cwd: dir, stripFinalNewline: false })).stdout);
    const streams = discover[0]!.catalog.streams as Message[];
    const props = streams[0]!.json_schema.properties;
    expect(props).toMatchObject({
      id: { type: "integer" },
      b: { type: ["null", "boolean"] },
      s: { type: ["null", "integer"] },
      d: { type: ["null", "number"], description: "DECIMAL(20,4)" },
      f: { type: ["null", "number"] },
      day: { type: ["null", "string"], format: "date" },
      local: { type: ["null", "string"], format: "date-time", airbyte_type: "timestamp_without_timezone" },
      utc: { type: ["null", "string"], format: "date-time", airbyte_type: "timestamp_with_timezone" },
      bin: { type: ["null", "string"], contentEncoding: "base64" },
      xml: { type: ["null", "string"] },
      doc: { type: ["null", "object", "array", "string", "number", "boolean"] },
    });
    expect(streams[1]).toMatchObject({ name: "notes", source_defined_primary_key: [["_fivetran_id"]], json_schema: { properties: { _fivetran_id: { type: "string" }, text: { type: ["null", "string"] } } } });

    const r = await cli(["airbyte", "read", "--config", "config.json", "--catalog", "catalog.json"], { cwd: dir, stripFinalNewline: false });
    expect(r.exitCode).toBe(0);
    const messages = lines(r.stdout);
    expect(invalidMessages(messages)).toEqual([]);
    const line = r.stdout.split("\n").find((l) => l.includes('"stream":"all_types"') && l.includes('"id":1'))!;
    // Written as text: the 64-bit integer and the DECIMAL keep every digit.
    expect(line).toContain(
      '"data":{"id":1,"b":true,"s":7,"i":-12,"big":9007199254740993,"d":12345678901234.5678,"f":1.5,"x":0.1,"day":"2024-02-29","local":"2024-02-29T13:14:15.123","utc":"2024-02-29T13:14:15.123Z","bin":"AAH+/w==","xml":"<a/>","str":"é\\n\\"q\\"","doc":{"k":[1,"two",null]}}',
    );
    const ajv = newAjv();
    for (const rec of records(messages)) expect(ajv.compile(streams.find((s) => s.name === rec.stream)!.json_schema)(rec.data), JSON.stringify(rec)).toBe(true);
    expect(records(messages).find((x) => x.data.id === 2)!.data).toEqual({ id: 2, b: false });
    // No configuration schema: Fivetran's flat strings.
    const note = records(messages).find((x) => x.stream === "notes")!.data;
    expect(JSON.parse(note.text)).toEqual({ n: "5", flag: "true", list: "[1]", name: "x" });
    expect(note._fivetran_id).toMatch(/^[0-9a-f]{32}$/);
    // A truncate has no Airbyte message: a WARN line says what each destination sync mode makes of it.
    expect(messages.some((m) => m.type === "LOG" && m.log.level === "WARN" && m.log.message.startsWith('op.truncate("notes") has no message in the Airbyte protocol'))).toBe(true);
  });

  it("spec from a setup form: its fields, the secret one marked, the dropdown's choices, the required fields", async () => {
    const dir = makeProject({
      "connector.ts": `export default {
  form: { fields: [{ name: "token", label: "API token", required: true }, { name: "mode", label: "Mode", type: "dropdown", choices: ["full", "incremental"], default: "full" }] },
  update() {},
};
`,
    });
    const r = await cli(["airbyte", "spec"], { cwd: dir, stripFinalNewline: false });
    expect(r.exitCode).toBe(0);
    const spec = lines(r.stdout)[0]!.spec.connectionSpecification;
    expect(spec.properties.token).toMatchObject({ type: "string", title: "API token", airbyte_secret: true });
    expect(spec.properties.mode).toMatchObject({ type: "string", title: "Mode", enum: ["full", "incremental"], default: "full" });
    expect(spec.properties.mode.airbyte_secret).toBeUndefined();
    expect(spec.required).toEqual(["token"]);
  });
});
