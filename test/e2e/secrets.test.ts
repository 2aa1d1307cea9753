import fs from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, cli, makeProject, query, readState, stripVT, type CliResult } from "../helpers.js";

const TOKEN = "tok_9f8e7d6c5b4a";
const QUOTED = 'Hx7"q\\Zr2w9';
const LONG = "LONG_" + "9a8b7c6d5e4f3g2h1i".repeat(4) + "_END";
const DSN = "pg://adm1n:Zx81qLw@h0st9.local/pr0d";

/** Whether any 8 characters of a secret, raw or JSON-escaped once or twice, appear in the text. */
function leaks(text: string, secret: string): string | undefined {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  const inspected = inspect(secret).slice(1, -1); // as console.log of an object quotes it
  const backslashes = secret.replace(/\\/g, "\\\\"); // util.inspect with another quote: backslashes doubled, the quote kept
  for (const form of new Set([secret, once, twice, inspected, backslashes])) {
    for (let i = 0; i + 8 <= form.length; i++) if (text.includes(form.slice(i, i + 8))) return form.slice(i, i + 8);
  }
  return undefined;
}

function expectHidden(results: (CliResult | string)[], secrets: string[] = [TOKEN, QUOTED, LONG, DSN]): void {
  for (const r of results) {
    for (const text of typeof r === "string" ? [r] : [r.stdout, r.stderr]) {
      for (const s of secrets) expect(leaks(text, s), `${s} leaked in:\n${text}`).toBeUndefined();
    }
  }
}

const configuration = JSON.stringify({ base_url: "https://api.example.com", api_token: TOKEN, db_password: QUOTED, client_secret: LONG });

/** A connector with a plain configuration; `body` runs after one committed row and checkpoint. */
const plain = (body: string, state = "{ n: 1 }") => ({
  "configuration.json": configuration,
  "connector.ts": `import { op, log } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "INT", n: "INT" } }],
  update(configuration: Record<string, string>) {
    const token = configuration.api_token, quoted = configuration.db_password, long = configuration.client_secret;
    op.upsert("t", { id: 1, n: 1 });
    op.checkpoint(${state});
    ${body}
  },
};
`,
});

describe("secrets are never printed", () => {
  it("a malformed configuration.json: the JSON error names the line and column, never the text around it", async () => {
    for (const text of [`{\n  "user": "bob",\n  "api_token": ${TOKEN},\n  "x": "y"\n}`, `{"api_token": "${TOKEN}", "x": }`, `{"client_secret": "${LONG}" "x": 1}`]) {
      const dir = makeProject({ ...plain(""), "configuration.json": text });
      const debug = await cli(["debug"], { cwd: dir });
      expect(debug.exitCode).toBe(2);
      expect(debug.stderr).toMatch(/configuration\.json is not valid JSON \(line \d+, column \d+: /);
      const show = await cli(["state", "show"], { cwd: dir });
      expect(show.exitCode).toBe(2);
      expect(show.stderr).toContain("`connector state` reads the configuration to hide its secret values");
      expectHidden([debug, show]);
    }
  });

  it("coercion errors, as text and in --json, even when the message cuts the value short", async () => {
    for (const variable of ["token", "long"]) {
      const dir = makeProject(plain(`op.upsert("t", { id: 2, n: ${variable} });`));
      const text = await cli(["debug"], { cwd: dir });
      expect(text.exitCode).toBe(1);
      expect(text.stderr).toMatch(/Sync FAILED: table "t", column "n" \(INT\): INT needs an integer, got "\*\*\*(\.\.\.)?"/);
      const json = await cli(["debug", "--json"], { cwd: dir });
      expect(json.exitCode).toBe(1);
      expect(JSON.parse(json.stdout).error).toContain('got "***');
      expectHidden([text, json]);
    }
  });

  it("the connector's own error messages and stacks, and log.error with an error", async () => {
    const dir = makeProject(
      plain(`log.error("request failed", new Error("401 for " + token + " and " + quoted));
    const e = new Error("cannot authenticate with " + token);
    e.stack = "Error: cannot authenticate with " + token + "\\n    at Client.login (" + long + ".ts:1:1)";
    throw e;`),
    );
    const text = await cli(["debug"], { cwd: dir });
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toContain("Sync FAILED: cannot authenticate with ***");
    expect(text.stderr).toContain("401 for *** and ***");
    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).error).toContain("cannot authenticate with ***");
    expectHidden([text, json]);
  });

  it("log lines, console output on stdout and stderr, and a secret written in two pieces", async () => {
    const dir = makeProject(
      plain(`log.info("calling with " + token);
    log.warning("multi-line:\\n" + quoted + "\\n" + long);
    log.debug("debug " + token);
    console.log("console.log " + token);
    console.error("console.error " + JSON.stringify({ quoted }));
    process.stdout.write("pieces " + token.slice(0, 7));
    process.stdout.write(token.slice(7) + " end\\n");
    process.stderr.write("no newline at the end " + long);`),
    );
    const text = await cli(["debug", "--verbose"], { cwd: dir });
    expect(text.exitCode, text.stderr).toBe(0);
    for (const line of ["INFO    calling with ***", "DEBUG   debug ***", "console.log ***", 'console.error {"quoted":"***"}', "pieces *** end", "no newline at the end ***"]) {
      expect(text.stderr).toContain(line);
    }
    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).status).toBe("succeeded");
    expectHidden([text, json]);
  });

  it("verify: console output on stdout and stderr passes the redactor, as in debug", async () => {
    const dir = makeProject(plain(`console.log("console.log " + token);
    console.error("console.error " + JSON.stringify({ quoted }));`));
    const text = await cli(["verify", "--trials", "1", "--seed", "1"], { cwd: dir });
    expect(text.exitCode, text.stderr).toBe(0);
    for (const line of ["console.log ***", 'console.error {"quoted":"***"}']) expect(text.stderr).toContain(line);
    expectHidden([text]);
  });

  it("a secret stored in state: warned about, then hidden in every run and every state command", async () => {
    const state = `{ n: 1, token, blob: JSON.stringify({ quoted }), padding: "x".repeat(380) + long }`;
    const dir = makeProject(plain("", state));
    const first = await cli(["debug"], { cwd: dir });
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toContain("the state contains a value of a secret-looking configuration key");
    expect(first.stderr).toContain('"token":"***"');
    expect((readState(dir) as { token: string }).token).toBe(TOKEN); // the state itself is kept as the connector wrote it
    const second = await cli(["debug"], { cwd: dir });
    expect(second.stderr).toMatch(/Previous state:\n\{\n {2}"n": 1,\n {2}"token": "\*\*\*"/);
    expect(second.stderr).toContain("State: {");
    const json = await cli(["debug", "--json"], { cwd: dir });
    const report = JSON.parse(json.stdout);
    expect(report.previousState.token).toBe("***");
    expect(report.state.blob).toBe('{"quoted":"***"}');
    const runs = [first, second, json];
    for (const args of [["show"], ["show", "--json"], ["history"], ["history", "--json"], ["diff", "1"], ["diff", "1", "--json"], ["set", "other", "1"], ["rewind", "1"]]) {
      const r = await cli(["state", ...args], { cwd: dir });
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      runs.push(r);
    }
    expect(JSON.parse(runs[4]!.stdout).token).toBe("***");
    expect(JSON.parse(runs[6]!.stdout)[0].state.token).toBe("***");
    const set = await cli(["state", "set", "copy", JSON.stringify(TOKEN)], { cwd: dir });
    expect(set.stderr).toContain('Set copy to "***"');
    expectHidden([...runs, set]);
  });

  it("values a zod schema marks secret, under ordinary keys: debug, --json, state show and verify", async () => {
    const dir = makeProject({
      "configuration.json": JSON.stringify({ base_url: "https://api.example.com", connection: DSN }),
      "connector.ts": `import { Connector, op, log } from "connector-sdk";
import { z } from "zod";
export default new Connector({
  configuration: z.object({ base_url: z.string(), connection: z.string().meta({ secret: true }) }),
  update(configuration) {
    log.info("connecting to " + configuration.connection);
    console.log("console " + configuration.connection);
    op.upsert("t", { id: 1 });
    op.checkpoint({ where: configuration.connection });
    if (process.env.FAIL) throw new Error("cannot reach " + configuration.connection);
  },
});
`,
    });
    const text = await cli(["debug"], { cwd: dir });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stderr).toContain("connecting to ***");
    expect(text.stderr).toContain("console ***");
    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).state).toEqual({ where: "***" });
    const show = await cli(["state", "show"], { cwd: dir });
    expect(JSON.parse(show.stdout)).toEqual({ where: "***" });
    const failing = { FAIL: "1" };
    const verifyText = await cli(["verify", "--trials", "1", "--seed", "1"], { cwd: dir, env: failing });
    expect(verifyText.exitCode).toBe(1);
    expect(verifyText.stderr).toContain("the historical sync failed: cannot reach ***");
    const verifyJson = await cli(["verify", "--trials", "1", "--seed", "1", "--json"], { cwd: dir, env: failing });
    expect(JSON.parse(verifyJson.stdout).checks[0].detail).toBe("the historical sync failed: cannot reach ***");
    expectHidden([text, json, show, verifyText, verifyJson]);
  });

  it("secrets as console.log quotes them, cut by a terminal escape, inside JSON text and in a connection string", async () => {
    const password = 'Zx9"q\\w0rd!';
    const backtick = "Pa'ss\"w\\rd#42";
    const privateKey = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\n-----END PRIVATE KEY-----\n";
    const serviceAccount = JSON.stringify({ type: "service_account", project_id: "proj-1", private_key: privateKey });
    const dir = makeProject({
      "configuration.json": JSON.stringify({
        password,
        api_secret: backtick,
        service_account: serviceAccount,
        connection_string: "postgres://admin:S3cretPassw0rd@db:5432/x",
      }),
      "connector.mjs": `import { op, log } from "connector-sdk";
export default {
  update(c) {
    console.log(c);
    console.log({ both: "'" + c.api_secret });
    console.log({ body: JSON.stringify({ password: c.password, api_secret: c.api_secret }) });
    const s = c.password;
    log.info(s.slice(0, 5) + "\\x1b[31m" + s.slice(5));
    log.info(JSON.parse(c.service_account).private_key);
    log.info(c.connection_string);
    op.checkpoint({ done: true });
  },
};
`,
    });
    const text = await cli(["debug"], { cwd: dir });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stderr).toContain("password: '***'");
    expect(text.stderr).toContain('body: `{"password":"***","api_secret":"***"}`');
    expect(text.stderr).toContain("INFO    postgres://admin:***@db:5432/x");
    expect(text.stderr).toContain('"type":"service_account","project_id":"proj-1","private_key":"***"');
    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).status).toBe("succeeded");
    expectHidden([text, json], [password, backtick, privateKey, "S3cretPassw0rd", "MIIEvQIBADANBgkqhkiG9w0BAQEF"]);
  });
});

describe("passwords inside connection strings that are not URLs", () => {
  it("ADO.NET, ODBC, libpq and JDBC forms under ordinary keys: hidden in logs, errors and --json, the rest of the string kept", async () => {
    const strings = {
      mssql: "Server=tcp:db.example.com,1433;Initial Catalog=app;User Id=loader;Password=Wq8 zr!4pass;Encrypt=true;",
      odbc: "Driver={ODBC Driver 18};Server=db;Uid=u;Pwd={br@ce;d9x};",
      libpq: "host=db.example.com dbname=app user=loader password='tw0 w0rds9' sslmode=require",
      jdbc: "jdbc:postgresql://db.example.com:5432/app?user=loader&password=p%40ssw0rd77&ssl=true",
      storage: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=QmFzZTY0S2V5PT0xyz=;EndpointSuffix=core.windows.net",
    };
    const dir = makeProject({
      "configuration.json": JSON.stringify(strings),
      "connector.mjs": `import { op, log } from "connector-sdk";
export default {
  update(c) {
    for (const [name, value] of Object.entries(c)) log.info(name + ": " + value);
    op.checkpoint({ done: true });
    throw new Error("cannot connect with " + c.mssql);
  },
};
`,
    });
    const text = await cli(["debug"], { cwd: dir });
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toContain("INFO    mssql: Server=tcp:db.example.com,1433;Initial Catalog=app;User Id=loader;Password=***;Encrypt=true;");
    expect(text.stderr).toContain("INFO    jdbc: jdbc:postgresql://db.example.com:5432/app?user=loader&password=***&ssl=true");
    expect(text.stderr).toContain("Sync FAILED: cannot connect with Server=tcp:db.example.com");
    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).status).toBe("failed");
    expectHidden([text, json], ["Wq8 zr!4pass", "br@ce;d9x", "tw0 w0rds9", "p%40ssw0rd77", "p@ssw0rd77", "QmFzZTY0S2V5PT0xyz="]);
  });
});

/** Runs `connector <args> | head -1` in a shell: head closes the pipe after one line. */
async function headOne(dir: string, args: string): Promise<{ code: number; firstLine: string; stderr: string }> {
  const r = await execa("bash", ["-c", `node ${BIN} ${args} 2>stderr.txt | head -1; echo "\${PIPESTATUS[0]}" > code.txt`], { cwd: dir, env: { NO_COLOR: "1" }, reject: false });
  return { code: Number(fs.readFileSync(path.join(dir, "code.txt"), "utf8")), firstLine: String(r.stdout), stderr: fs.readFileSync(path.join(dir, "stderr.txt"), "utf8") };
}

describe("output", () => {
  it("a reader that closes the pipe early (| head -1) ends every command quietly", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  update() {
    for (let i = 0; i < 10000; i++) op.upsert("big", { id: i, text: "row " + i + " " + "y".repeat(100) });
    for (let c = 0; c < 3; c++) op.checkpoint({ c, padding: "z".repeat(300000) });
  },
};
`,
    });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    // Enough checkpoints for `state history` to fill the pipe.
    const db = new (await import("better-sqlite3")).default(path.join(dir, "files", "warehouse.db"));
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 4 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
      INSERT INTO _connector_checkpoints (seq, run, time, state, operations) SELECT i, 1, '2024-01-01T00:00:00.000Z', '{"c":1}', '{"big":{"upserts":1,"updates":0,"deletes":0,"truncates":0}}' FROM n`);
    db.close();
    const cases: [string, RegExp][] = [
      ["inspect big --limit 10000", /^_fivetran_id\tid\ttext/],
      ["inspect big --limit 10000 --json", /^\[/],
      ["state history", /^ *Seq  Run/],
      ["state history --json", /^\[/],
      ["state show", /^\{/],
      ["debug --json", /^\{/],
    ];
    for (const [args, first] of cases) {
      const r = await headOne(dir, args);
      expect(r.firstLine, args).toMatch(first);
      expect(r.stderr, args).not.toMatch(/EPIPE|Error|at /);
      expect(r.code, `${args}: ${r.stderr}`).toBe(0);
    }
    expect(query(dir, "SELECT count(*) AS n FROM big")).toEqual([{ n: 10000 }]);
  });

  it("a closed stderr does not stop a sync: every row and the final state are committed", async () => {
    const dir = makeProject({
      "connector.ts": `import { op, log } from "connector-sdk";
export default {
  update() {
    for (let i = 0; i < 3000; i++) { log.info("line " + i + " " + "w".repeat(100)); console.log("console " + i); op.upsert("t", { id: i }); }
    op.checkpoint({ done: true });
  },
};
`,
    });
    const r = await execa("bash", ["-c", `node ${BIN} debug 2>&1 | head -1; echo "\${PIPESTATUS[0]}" > code.txt`], { cwd: dir, env: { NO_COLOR: "1" }, reject: false });
    expect(String(r.stdout)).toMatch(/^Connector: /);
    expect(fs.readFileSync(path.join(dir, "code.txt"), "utf8").trim()).toBe("0");
    expect(readState(dir)).toEqual({ done: true });
    expect(query(dir, "SELECT count(*) AS n FROM t")).toEqual([{ n: 3000 }]);
    expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(false);
  });

  const noisy = {
    "connector.ts": `import { op, log } from "connector-sdk";
export default {
  update() {
    log.info("\\u001b]0;pwned title\\u0007\\u001b[31mred\\u001b[0m log \\u001b[2J\\u001b[H\\u0007bell\\rreturn");
    console.log("\\u001b]2;console title\\u001b\\\\\\u001b[1;32mgreen console\\u001b[0m");
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
    throw new Error("\\u001b[31mboom\\u001b[0m \\u001b]0;again\\u0007");
  },
};
`,
  };

  it("terminal escapes from a connector never reach a pipe or --json", async () => {
    const dir = makeProject(noisy);
    const text = await cli(["debug"], { cwd: dir });
    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toContain("INFO    red log bellreturn");
    expect(text.stderr).toContain("green console");
    expect(text.stderr).toContain("Sync FAILED: boom");
    expect(JSON.parse(json.stdout).error).toMatch(/^boom \n/);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(out).not.toContain("\\u001b");
      expect(out).not.toContain("title");
    }
  });

  it("on a colour terminal, a connector's colours show but its terminal titles and screen clears do not", async () => {
    const dir = makeProject(noisy);
    const { NO_COLOR: _no, CI: _ci, ...inherited } = process.env;
    const r = await execa("script", ["-qec", `stty cols 120 rows 40; node ${BIN} debug`, "/dev/null"], {
      cwd: dir,
      reject: false,
      extendEnv: false,
      env: { ...inherited, FORCE_COLOR: "1", TERM: "xterm" },
      timeout: 30_000,
    });
    const screen = String(r.stdout);
    expect(stripVT(screen)).toContain("Sync FAILED: boom");
    expect(screen).toContain("\u001b[31mred\u001b[0m log");
    expect(screen).not.toContain("title");
    expect(screen).not.toContain("\u001b[2J");
  });

  it("-v is --verbose on debug; -V and --version print the version, and so does -v alone", async () => {
    const dir = makeProject({ "connector.ts": `import { op, log } from "connector-sdk";\nexport default { update() { log.debug("a debug line"); op.checkpoint({ ran: true }); } };\n` });
    const r = await cli(["debug", "-v"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("DEBUG   a debug line");
    expect(r.stderr).toContain("Sync SUCCEEDED");
    expect(readState(dir)).toEqual({ ran: true });
    const { version } = JSON.parse(fs.readFileSync(path.join(BIN, "../../package.json"), "utf8"));
    for (const flag of ["-V", "--version", "-v"]) {
      const v = await cli([flag], { cwd: dir });
      expect(v.exitCode, flag).toBe(0);
      expect(v.stdout.trim(), flag).toBe(version);
    }
    expect((await cli(["debug", "--help"], { cwd: dir })).stdout).toContain("-v, --verbose");
  });
});
