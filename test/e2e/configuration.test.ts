import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cli, makeProject, stripVT, waitFor } from "../helpers.js";
import { scriptedApi } from "../http-api.js";

/** A form with every kind of field, and two setup tests that read the configuration. */
const FORM = `import { Connector, op } from "connector-sdk";
export default new Connector({
  form: {
    fields: [
      { name: "api_base_url", label: "API Base URL", description: "The root of the REST API.", required: true, placeholder: "https://api.example.com" },
      { name: "pat", label: "Access token", type: "password", required: true },
      { name: "batch_size", label: "Batch size", type: "dropdown", choices: ["10", { value: "100", label: "Hundred" }, "500"], default: "100" },
      { name: "enable_metrics", label: "Enable metrics", type: "toggle" },
      { type: "conditional", when: { field: "enable_metrics", equals: true }, fields: [{ name: "metrics_prefix", label: "Metrics prefix", default: "csdk" }] },
      { name: "region", type: "hidden", default: "eu" },
    ],
    tests: {
      "Test connection": (c) => {
        if (!c.api_base_url.startsWith("https://")) throw new Error("api_base_url must start with https://, got " + c.api_base_url);
      },
      "Token accepted": async (c) => {
        console.log("checking token " + c.pat);
        if (c.pat !== "good-token-123") throw new Error("the API refused token " + c.pat, { cause: new Error("401 Unauthorized") });
      },
    },
  },
  update() { op.checkpoint({}); },
});
`;

const SECRET = "s3cr3t-typed-on-the-tty";

const running: { kill: () => void }[] = [];
afterEach(() => {
  for (const t of running.splice(0)) t.kill();
});

/**
 * `connector <args>` on a real pseudo-terminal (util-linux script). The test waits for each
 * question in the output, then types its answer: what a person at the terminal does.
 */
function terminal(dir: string, args: string, env: Record<string, string> = {}) {
  const child = spawn("script", ["-qec", `node ${BIN} ${args}`, "/dev/null"], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", CONNECTOR_CONFIGURATION: "", ...env },
  });
  let raw = "";
  child.stdout.on("data", (d) => (raw += d));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve((exitCode = code))));
  const output = (): string => stripVT(raw).replace(/\r\n/g, "\n");
  let from = 0;
  const t = {
    output,
    exited,
    /** Waits until `text` appears after everything already waited for. */
    async sees(text: string): Promise<void> {
      try {
        await waitFor(() => output().indexOf(text, from) >= 0 || exitCode !== undefined, 15_000);
      } catch {
        // reported below with the output
      }
      const at = output().indexOf(text, from);
      if (at < 0) throw new Error(`the terminal never showed ${JSON.stringify(text)}; it showed:\n${output()}`);
      from = at + text.length;
    },
    type(keys: string): void {
      child.stdin.write(keys);
    },
    kill(): void {
      if (exitCode === undefined) child.kill("SIGKILL");
    },
  };
  running.push(t);
  return t;
}

const read = (dir: string, file = "configuration.json"): unknown => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));

describe("connector configuration on a terminal", () => {
  it("asks for each field with its help, choices and default; a secret is not echoed; bad answers are asked again", async () => {
    const dir = makeProject({ "connector.ts": FORM });
    const t = terminal(dir, "configuration");
    await t.sees("The setup form of connector.ts: 6 fields.");
    await t.sees("  The root of the REST API.\nAPI Base URL (required) (e.g. https://api.example.com): ");
    t.type("\r");
    await t.sees("  API Base URL is required.\nAPI Base URL (required) (e.g. https://api.example.com): ");
    t.type("https://api.test\r");
    await t.sees("Access token (required): ");
    t.type(`${SECRET}\r`);
    await t.sees("  1) 10\n  2) 100  Hundred\n  3) 500\nBatch size [100]: ");
    t.type("7\r");
    await t.sees('  Batch size: "7" is not one of the choices: 10, 100, 500\nBatch size [100]: ');
    t.type("3\r");
    await t.sees("Enable metrics [y/N]: ");
    t.type("maybe\r");
    await t.sees("  Enable metrics: answer y or n\nEnable metrics [y/N]: ");
    t.type("y\r");
    await t.sees("Metrics prefix [csdk]: ");
    t.type("\r");
    await t.sees("Wrote configuration.json (6 values).");
    expect(await t.exited).toBe(0);
    // Typed text is echoed, the secret is not: not a character of it, not a mask.
    expect(t.output()).toContain("API Base URL (required) (e.g. https://api.example.com): https://api.test\n");
    expect(t.output()).toContain("Access token (required): \n");
    expect(t.output()).not.toContain(SECRET);
    expect(t.output()).not.toContain("*");
    // Fivetran's flat strings, in the form's order; the hidden field takes its default.
    expect(fs.readFileSync(path.join(dir, "configuration.json"), "utf8")).toBe(
      JSON.stringify({ api_base_url: "https://api.test", pat: SECRET, batch_size: "500", enable_metrics: "true", metrics_prefix: "csdk", region: "eu" }, null, 2) + "\n",
    );
    // It holds a credential: readable by its owner only.
    expect(fs.statSync(path.join(dir, "configuration.json")).mode & 0o777).toBe(0o600);
  });

  it("a field under a condition that does not hold is not asked and not written", async () => {
    const dir = makeProject({ "connector.ts": FORM });
    const t = terminal(dir, "configuration --set api_base_url=https://a.test --set batch_size=10", { CONNECTOR_FORM_PAT: "good-token-123" });
    await t.sees("Enable metrics [y/N]: ");
    t.type("\r");
    await t.sees("Wrote configuration.json");
    expect(await t.exited).toBe(0);
    // The values given up front were not asked.
    expect(t.output()).not.toContain("API Base URL");
    expect(t.output()).not.toContain("Access token");
    expect(t.output()).not.toContain("Metrics prefix");
    expect(read(dir)).toEqual({ api_base_url: "https://a.test", pat: "good-token-123", batch_size: "10", enable_metrics: "false", region: "eu" });
  });

  it("asks before replacing an existing file: n (or Enter) leaves it byte for byte", async () => {
    const dir = makeProject({ "connector.ts": FORM, "configuration.json": '{"api_base_url": "https://old.test", "pat": "old-token-456"}\n' });
    for (const answer of ["n\r", "\r"]) {
      const t = terminal(dir, "configuration");
      await t.sees("configuration.json exists; its values are offered in brackets. Replace it when done? (y/N) ");
      t.type(answer);
      await t.sees("Nothing was written; configuration.json is unchanged.");
      expect(await t.exited).toBe(0);
      expect(t.output()).not.toContain("Access token");
    }
    expect(fs.readFileSync(path.join(dir, "configuration.json"), "utf8")).toBe('{"api_base_url": "https://old.test", "pat": "old-token-456"}\n');
  });

  it("y replaces it, offering the current values; the current secret is kept on Enter and never shown", async () => {
    const dir = makeProject({ "connector.ts": FORM, "configuration.json": '{"api_base_url": "https://old.test", "pat": "old-token-456", "batch_size": "10"}\n' });
    const t = terminal(dir, "configuration");
    await t.sees("Replace it when done? (y/N) ");
    t.type("y\r");
    await t.sees("API Base URL (required) [https://old.test]: ");
    t.type("\r");
    await t.sees("Access token (required) [Enter keeps the current value]: ");
    t.type("\r");
    await t.sees("Batch size [10]: ");
    t.type("\r");
    await t.sees("Enable metrics [y/N]: ");
    t.type("n\r");
    await t.sees("Wrote configuration.json (5 values).");
    expect(await t.exited).toBe(0);
    expect(t.output()).not.toContain("old-token-456");
    expect(read(dir)).toEqual({ api_base_url: "https://old.test", pat: "old-token-456", batch_size: "10", enable_metrics: "false", region: "eu" });
  });

  it("--yes replaces an existing file without asking", async () => {
    const dir = makeProject({ "connector.ts": FORM, "configuration.json": '{"api_base_url": "https://old.test", "pat": "old-token-456"}\n' });
    const t = terminal(dir, "configuration --yes");
    await t.sees("API Base URL (required) [https://old.test]: ");
    expect(t.output()).not.toContain("Replace it");
    t.type("https://new.test\r");
    await t.sees("Access token (required) [Enter keeps the current value]: ");
    t.type("\r");
    await t.sees("Batch size [100]: ");
    t.type("\r");
    await t.sees("Enable metrics [y/N]: ");
    t.type("\r");
    expect(await t.exited).toBe(0);
    expect(read(dir)).toMatchObject({ api_base_url: "https://new.test", pat: "old-token-456" });
  });

  it("Ctrl-C stops with exit 130 and writes nothing; end of input stops with exit 1", async () => {
    const dir = makeProject({ "connector.ts": FORM });
    const t = terminal(dir, "configuration");
    await t.sees("API Base URL (required) (e.g. https://api.example.com): ");
    t.type("https://a.test\r");
    await t.sees("Access token (required): ");
    t.type("half-typed\u0003");
    await t.sees("Stopped; nothing was written.");
    expect(await t.exited).toBe(130);
    expect(t.output()).not.toContain("half-typed");
    expect(fs.existsSync(path.join(dir, "configuration.json"))).toBe(false);

    const eof = terminal(dir, "configuration");
    await eof.sees("API Base URL (required) (e.g. https://api.example.com): ");
    eof.type("\u0004");
    await eof.sees("Stopped; nothing was written.");
    expect(await eof.exited).toBe(1);
    expect(fs.existsSync(path.join(dir, "configuration.json"))).toBe(false);
  });

  it("derives the form from a zod configuration schema: secret marks, enums, booleans; an answer the schema refuses is asked again", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector, op } from "connector-sdk";
import { z } from "zod";
export default new Connector({
  configuration: z.object({
    base_url: z.string().url().describe("The API root").meta({ title: "Base URL" }),
    connection: z.string().meta({ secret: true }),
    page_size: z.number().int().default(100),
    mode: z.enum(["full", "incremental"]).default("incremental"),
    verbose: z.boolean(),
  }),
  update() { op.checkpoint({}); },
});
`,
    });
    const t = terminal(dir, "configuration");
    await t.sees("The setup form of connector.ts (from its configuration schema): 5 fields.");
    await t.sees("  The API root\nBase URL (required): ");
    t.type("not a url\r");
    await t.sees("  Base URL: Invalid URL\nBase URL (required): ");
    t.type("https://ok.test\r");
    await t.sees("connection (required): ");
    t.type("postgres://me:pw-on-the-tty@db/x\r");
    await t.sees("page_size [100]: ");
    t.type("many\r");
    await t.sees("  page_size: Invalid input: expected number, received string\npage_size [100]: ");
    t.type("50\r");
    await t.sees("  1) full\n  2) incremental\nmode [incremental]: ");
    t.type("full\r");
    await t.sees("verbose [y/N]: ");
    t.type("yes\r");
    expect(await t.exited).toBe(0);
    expect(t.output()).not.toContain("pw-on-the-tty");
    // The schema wants a number and a boolean, so they are written typed.
    expect(read(dir)).toEqual({ base_url: "https://ok.test", connection: "postgres://me:pw-on-the-tty@db/x", page_size: 50, mode: "full", verbose: true });
  });

  it("a schema message that quotes a secret answer shows it as ***", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector } from "connector-sdk";
import { z } from "zod";
export default new Connector({
  configuration: z.object({ token: z.string().startsWith("sk-", { error: (issue) => "token " + String(issue.input) + " must start with sk-" }) }),
  update() {},
});
`,
    });
    const t = terminal(dir, "configuration");
    await t.sees("token (required): ");
    t.type("wrong-secret-value\r");
    await t.sees("  token: token *** must start with sk-\ntoken (required): ");
    t.type("sk-right-value\r");
    expect(await t.exited).toBe(0);
    expect(t.output()).not.toContain("wrong-secret-value");
    expect(t.output()).not.toContain("sk-right-value");
    expect(read(dir)).toEqual({ token: "sk-right-value" });
  });
});

describe("connector configuration without a terminal", () => {
  it("--set and CONNECTOR_FORM_<NAME> fill the fields; the others take their defaults; no secret is printed", async () => {
    const dir = makeProject({ "connector.ts": FORM });
    const r = await cli(["configuration", "--set", "api_base_url=https://a.test", "--set", "batch_size=Hundred", "--set", "enable_metrics=yes"], {
      cwd: dir,
      env: { CONNECTOR_FORM_PAT: "good-token-123" },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("Wrote configuration.json (6 values).");
    expect(r.stderr + r.stdout).not.toContain("good-token-123");
    expect(read(dir)).toEqual({ api_base_url: "https://a.test", pat: "good-token-123", batch_size: "100", enable_metrics: "true", metrics_prefix: "csdk", region: "eu" });
  });

  it("exits 2 naming the flag and the variable of each required field it lacks, and writes nothing", async () => {
    const dir = makeProject({ "connector.ts": FORM });
    const r = await cli(["configuration", "--set", "api_base_url=https://a.test"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("connector configuration asks for each field on a terminal, and there is none.");
    expect(r.stderr).toContain("  pat: --set pat=…  or  CONNECTOR_FORM_PAT=…");
    expect(r.stderr).not.toContain("api_base_url: --set");
    expect(fs.existsSync(path.join(dir, "configuration.json"))).toBe(false);
  });

  it("replaces an existing file only with --yes, keeping its values for the fields not given", async () => {
    const original = '{"api_base_url": "https://old.test", "pat": "old-token-456"}\n';
    const dir = makeProject({ "connector.ts": FORM, "configuration.json": original });
    const refused = await cli(["configuration", "--set", "batch_size=10"], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("configuration.json exists, and there is no terminal to ask whether to replace it. Pass --yes to replace it.");
    expect(fs.readFileSync(path.join(dir, "configuration.json"), "utf8")).toBe(original);

    const r = await cli(["configuration", "--set", "batch_size=10", "--yes"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("old-token-456");
    expect(read(dir)).toEqual({ api_base_url: "https://old.test", pat: "old-token-456", batch_size: "10", enable_metrics: "false", region: "eu" });
  });

  it("--configuration names the file to write", async () => {
    const dir = makeProject({ "connector.ts": FORM });
    const r = await cli(["configuration", "--configuration", "prod.json", "--set", "api_base_url=https://a.test", "--set", "pat=good-token-123"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(read(dir, "prod.json")).toMatchObject({ api_base_url: "https://a.test" });
    expect(fs.existsSync(path.join(dir, "configuration.json"))).toBe(false);
  });

  it("a value for a field whose condition does not hold is not written, with a warning", async () => {
    const dir = makeProject({ "connector.ts": FORM });
    const r = await cli(["configuration", "--set", "api_base_url=https://a.test", "--set", "pat=good-token-123", "--set", "metrics_prefix=x"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("Warning: the value given for metrics_prefix is not written: the form asks for metrics_prefix only when enable_metrics is true.");
    expect(read(dir)).not.toHaveProperty("metrics_prefix");
  });

  it("writes Fivetran's strings when the schema accepts them, and checks the result against it", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector } from "connector-sdk";
import { z } from "zod";
export default new Connector({
  configuration: z.object({ base_url: z.string().url(), page_size: z.coerce.number().default(100), token: z.string().meta({ secret: true }) }),
  update() {},
});
`,
    });
    const bad = await cli(["configuration", "--set", "base_url=nope", "--set", "token=tok-abc-123"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("The answers do not pass the connector's configuration schema, so configuration.json was not written:\n  base_url: Invalid URL");
    expect(fs.existsSync(path.join(dir, "configuration.json"))).toBe(false);

    const r = await cli(["configuration", "--set", "base_url=https://a.test", "--set", "page_size=20", "--set", "token=tok-abc-123"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(read(dir)).toEqual({ base_url: "https://a.test", page_size: "20", token: "tok-abc-123" });
    // connector debug reads what was written.
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
  });
});

describe("connector configuration --test", () => {
  const project = (configuration: object, tests = "") =>
    makeProject({ "connector.ts": tests ? FORM.replace("    tests: {", `    tests: {\n${tests}`) : FORM, "configuration.json": JSON.stringify(configuration) });

  it("prints PASS for each test that returns, and exits 0", async () => {
    const dir = project({ api_base_url: "https://a.test", pat: "good-token-123" });
    const r = await cli(["configuration", "--test"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("Running the setup tests of connector.ts against configuration.json:\nPASS  Test connection\n");
    expect(r.stderr).toContain("PASS  Token accepted\n2 setup tests: 2 passed, 0 failed");
    expect(r.stdout).toBe("");
  });

  it("prints FAIL with the message and its cause, runs every test, exits 1, and never prints the secret", async () => {
    const dir = project({ api_base_url: "http://a.test", pat: "wrong-token-789" });
    const r = await cli(["configuration", "--test"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("FAIL  Test connection: api_base_url must start with https://, got http://a.test\n");
    // The token is a password field: hidden in the test's own output and in its message.
    expect(r.stderr).toContain("checking token ***\nFAIL  Token accepted: the API refused token ***: caused by 401 Unauthorized\n");
    expect(r.stderr).toContain("2 setup tests: 0 passed, 2 failed");
    expect(r.stderr + r.stdout).not.toContain("wrong-token-789");
  });

  it("--json gives the same report on stdout", async () => {
    const dir = project({ api_base_url: "https://a.test", pat: "wrong-token-789" });
    const r = await cli(["configuration", "--test", "--json"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      passed: false,
      configuration: path.join(dir, "configuration.json"),
      tests: [
        { name: "Test connection", status: "pass" },
        { name: "Token accepted", status: "fail", message: "the API refused token ***: caused by 401 Unauthorized" },
      ],
    });
    expect(r.stdout + r.stderr).not.toContain("wrong-token-789");
    expect(r.stderr).not.toContain("PASS");

    const ok = await cli(["configuration", "--test", "--json"], { cwd: project({ api_base_url: "https://a.test", pat: "good-token-123" }) });
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ passed: true, tests: [{ status: "pass" }, { status: "pass" }] });
  });

  it("--timeout fails a test that never returns, or that ends its thread, and the next test still runs", async () => {
    const dir = project(
      { api_base_url: "https://a.test", pat: "good-token-123" },
      `      "Busy loop": () => { for (;;) {} },
      "Waits forever": () => new Promise(() => {}),
      "Exits": () => { process.exit(3); },
`,
    );
    const r = await cli(["configuration", "--test", "--timeout", "1s"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("FAIL  Busy loop: did not finish within 1s (--timeout)");
    expect(r.stderr).toContain("FAIL  Waits forever: never finished: it waits on a promise that nothing will ever settle\n");
    expect(r.stderr).toContain("FAIL  Exits: called process.exit(3); throw an Error to fail instead\n");
    expect(r.stderr).toContain("PASS  Test connection");
    expect(r.stderr).toContain("5 setup tests: 2 passed, 3 failed");
  });

  it("hides a token the test's HTTP client obtained, in its output and its failure", async () => {
    const api = await scriptedApi((req) => (req.path === "/token" ? { body: { access_token: "tok-from-setup-4821", expires_in: 3600 } } : { status: 403, body: { error: "no" } }));
    try {
      const dir = makeProject({
        "connector.ts": `import { Connector } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default new Connector({
  form: {
    fields: [{ name: "client_id" }],
    tests: {
      "Reach the API": async (c) => {
        const api = new RestClient({ baseUrl: ${JSON.stringify(api.url)}, retry: { attempts: 1 }, auth: { type: "oauth2-client-credentials", tokenUrl: ${JSON.stringify(api.url + "/token")}, clientId: c.client_id, clientSecret: "cs" } });
        await api.get("/me").catch(() => {});
        // The token the provider gave, as a test might print it while it looks into a refusal.
        const token = "tok-from-" + "setup-4821";
        console.log("got " + token);
        throw new Error("refused " + token);
      },
    },
  },
  update() {},
});
`,
        "configuration.json": JSON.stringify({ client_id: "app" }),
      });
      const r = await cli(["configuration", "--test"], { cwd: dir });
      expect(r.exitCode).toBe(1);
      expect(api.log.map((l) => l.path)).toEqual(["/token", "/me"]);
      expect(r.stderr).toContain("got ***\nFAIL  Reach the API: refused ***\n");
      expect(r.stdout + r.stderr).not.toContain("tok-from-setup-4821");
    } finally {
      await api.close();
    }
  });

  it("tests get the configuration validated by the schema; --configuration names another file", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector } from "connector-sdk";
import { z } from "zod";
export default new Connector({
  configuration: z.object({ page_size: z.coerce.number().default(100) }),
  form: { tests: { "Page size is a number": (c) => { if (typeof c.page_size !== "number" || c.page_size !== 7) throw new Error("got " + typeof c.page_size); } } },
  update() {},
});
`,
      "other.json": '{"page_size": "7"}',
    });
    const r = await cli(["configuration", "--test", "--configuration", "other.json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("against other.json:\nPASS  Page size is a number");
  });
});

describe("the form's secrets elsewhere", () => {
  it("connector debug hides the value of a password field, whatever its name", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector, log, op } from "connector-sdk";
export default new Connector({
  form: { fields: [{ name: "pat", type: "password" }, { name: "note", secret: true }, { name: "host" }] },
  update(c) { log.info("using " + c.pat + " and " + c.note + " on " + c.host); op.checkpoint({}); },
});
`,
      "configuration.json": '{"pat": "ghp-token-42", "note": "quiet-value", "host": "db.test"}',
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("using *** and *** on db.test");
  });
});
