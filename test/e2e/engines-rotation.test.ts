/**
 * Rotated OAuth refresh tokens under the engines: a token endpoint that rotates the refresh
 * token on every call and refuses an old one. Under Airbyte the new token leaves as a CONTROL
 * message carrying the whole configuration in the shape the platform gave it; a Singer tap
 * writes it into its --config file (owner-only) and keeps it sealed in the project for a
 * Meltano run, whose config file is written afresh each time. No token appears anywhere else.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, tempDir } from "../helpers.js";
import { closedAfterEach, newToken as token, rotatingOAuthApi } from "../http-api.js";
import { airbyteMessage, lines, type Message } from "../engines/engines.js";

const apis = closedAfterEach();

/**
 * A project of CONNECTOR, the rotating API, and the platform's config.json and catalog.json in a
 * folder of their own (as a platform keeps them, outside the project).
 */
async function setup() {
  const first = token("rt");
  const { api, issued, state } = await rotatingOAuthApi(first);
  apis.push(api);
  const dir = makeProject({ "connector.ts": CONNECTOR });
  const secrets = tempDir();
  const given = configuration(api.url, first);
  const config = path.join(secrets, "config.json");
  const catalog = path.join(secrets, "catalog.json");
  fs.writeFileSync(config, JSON.stringify(given), { mode: 0o644 });
  fs.writeFileSync(catalog, JSON.stringify(CATALOG));
  return { api, issued, state, dir, given, config, catalog };
}

// No configuration schema: the connector sees flat strings, so `credentials` arrives as JSON text, while the engine's configuration keeps its object.
const CONNECTOR = `import { Connector, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
const client = (configuration) => {
  const credentials = JSON.parse(configuration.credentials);
  return new RestClient({
    baseUrl: configuration.base_url,
    auth: { type: "oauth2-refresh-token", tokenUrl: configuration.token_url, clientId: configuration.client_id, clientSecret: credentials.client_secret, refreshToken: credentials.refresh_token },
  });
};
export default new Connector({
  schema: () => [{ table: "items", primary_key: ["id"] }],
  form: { tests: { "Test connection": async (configuration) => { await client(configuration).get("/items", { query: { page: "1" } }); } } },
  async update(configuration, state) {
    const api = client(configuration);
    for await (const page of api.paginate("/items", { items: "data", paginator: { type: "page", totalPagesPath: "pages" }, resume: state.page })) {
      for (const item of page.items) op.upsert("items", item);
      op.checkpoint({ page: page.resume });
    }
  },
});
`;

const CATALOG = { streams: [{ stream: { name: "items", json_schema: {}, supported_sync_modes: ["full_refresh", "incremental"] }, sync_mode: "incremental", destination_sync_mode: "append_dedup" }] };

function configuration(url: string, refresh: string) {
  return { base_url: url, token_url: `${url}/token`, client_id: "client-1", page_size: 3, credentials: { client_secret: "s3cret-client", refresh_token: refresh } };
}

/** The output with every CONTROL line taken out: no token may appear in what is left. */
const outsideControl = (stdout: string): string =>
  stdout
    .split("\n")
    .filter((l) => !l.startsWith('{"type":"CONTROL"'))
    .join("\n");

describe("rotated refresh tokens under the engines", () => {
  it("airbyte read: each rotation is a CONTROL message with the whole configuration as given, and a read from it goes on", async () => {
    const { issued, state, dir, given, config, catalog } = await setup();
    const read = () => cli(["airbyte", "read", "--config", config, "--catalog", catalog], { cwd: dir, stripFinalNewline: false });

    let printed = "";
    for (let run = 0; run < 2; run++) {
      const r = await read();
      expect(r.exitCode, r.stdout).toBe(0);
      printed += outsideControl(r.stdout) + r.stderr;
      const messages = lines(r.stdout);
      expect(messages.filter((m) => !airbyteMessage(m))).toEqual([]);
      const controls = messages.filter((m) => m.type === "CONTROL");
      expect(controls).toHaveLength(1);
      const control = controls[0]!.control as Message;
      expect(control.type).toBe("CONNECTOR_CONFIG");
      expect(typeof control.emitted_at).toBe("number");
      // The platform's configuration, typed and nested as it gave it, with the new token in the old one's place.
      expect(control.connectorConfig.config).toEqual({ ...given, credentials: { ...given.credentials, refresh_token: state.refresh } });
      // Before any record: the old token is already dead at the provider.
      expect(messages.indexOf(controls[0]!)).toBeLessThan(messages.findIndex((m) => m.type === "RECORD"));
      expect(messages.filter((m) => m.type === "RECORD")).toHaveLength(9);
      // The platform persists the new configuration and passes it to the next run.
      fs.writeFileSync(config, JSON.stringify(control.connectorConfig.config));
    }
    expect(state.refused).toBe(0);
    for (const t of issued) expect(printed).not.toContain(t);
  });

  it("airbyte check: a rotation in the setup test (its own worker) is a CONTROL message too, and the read goes on from it", async () => {
    const { issued, state, dir, given, config, catalog } = await setup();
    const check = await cli(["airbyte", "check", "--config", config], { cwd: dir, stripFinalNewline: false });
    expect(check.exitCode).toBe(0);
    const messages = lines(check.stdout);
    expect(messages.filter((m) => !airbyteMessage(m))).toEqual([]);
    expect(messages.at(-1)).toEqual({ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } });
    const control = messages.find((m) => m.type === "CONTROL")?.control as Message | undefined;
    expect(control?.connectorConfig.config).toEqual({ ...given, credentials: { ...given.credentials, refresh_token: state.refresh } });
    fs.writeFileSync(config, JSON.stringify(control!.connectorConfig.config));
    const read = await cli(["airbyte", "read", "--config", config, "--catalog", catalog], { cwd: dir, stripFinalNewline: false });
    expect(read.exitCode, read.stdout).toBe(0);
    expect(state.refused).toBe(0);
    for (const t of issued) expect(outsideControl(check.stdout + read.stdout) + check.stderr + read.stderr).not.toContain(t);
  });

  it("singer: each rotation is written into the --config file, owner-only; a Meltano run from the original configuration finds the sealed token", async () => {
    const { api, issued, state, dir, given, config: file } = await setup();
    let printed = "";
    const tap = async (config: string) => {
      const r = await cli(["singer", "--config", config], { cwd: dir, stripFinalNewline: false });
      printed += r.stdout + r.stderr;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(lines(r.stdout).filter((m) => m.type === "RECORD")).toHaveLength(9);
    };

    await tap(file);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ ...given, credentials: { ...given.credentials, refresh_token: state.refresh } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // A second run reads the token the first wrote.
    await tap(file);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).credentials.refresh_token).toBe(state.refresh);

    // Meltano writes the config file from meltano.yml for each run: the original token, which the provider no longer takes.
    const meltano = path.join(tempDir(), "tap.config.json");
    fs.writeFileSync(meltano, JSON.stringify(given));
    await tap(meltano);
    expect(state.refused).toBe(0);
    expect(api.log.filter((s) => s.path === "/token")).toHaveLength(3);

    for (const t of issued) expect(printed).not.toContain(t);
    const kept = fs.readFileSync(path.join(dir, "files", "http-secrets.json"), "utf8");
    for (const t of issued) expect(kept).not.toContain(t);
  });
});
