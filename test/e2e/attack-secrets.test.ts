import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { scriptedApi } from "../http-api.js";

// A secret in the shapes a connector gives it on its way to an API: in a query string built
// with URLSearchParams (a space as +, and !'()~ escaped, unlike encodeURIComponent), and
// base64-encoded, alone or inside a Basic authorization header. Each shape was printed as is.

const SECRET = "s3cr3t!(pass) word~42";
const SHAPES = {
  form: new URLSearchParams({ s: SECRET }).toString().slice(2),
  base64: Buffer.from(SECRET).toString("base64"),
  base64url: Buffer.from(SECRET).toString("base64url"),
  // The Basic header's text without its first and last group, which hold "user:" and the padding.
  basic: Buffer.from(`someone:${SECRET}`).toString("base64").slice(4, -4),
};

const CONNECTOR = `import { op, log } from "connector-sdk";
export default {
  update(configuration: { api_key: string }) {
    const url = new URL("https://api.example.com/v1/items");
    url.searchParams.set("q", configuration.api_key);
    log.info("GET " + url);
    log.info("seed " + Buffer.from(configuration.api_key).toString("base64"));
    console.log("seed-url " + Buffer.from(configuration.api_key).toString("base64url"));
    log.warning("Authorization: Basic " + Buffer.from("someone:" + configuration.api_key).toString("base64"));
    op.upsert("items", { id: 1 });
    op.checkpoint({ next: url.toString() });
    throw new Error("GET " + url + " failed");
  },
};
`;

describe("a secret URL-encoded by URLSearchParams, or base64-encoded", () => {
  it("is *** on the terminal, in the crash report and in files/runs.jsonl", async () => {
    expect(SHAPES.form).not.toBe(encodeURIComponent(SECRET));
    const dir = makeProject({ "connector.ts": CONNECTOR, "configuration.json": JSON.stringify({ api_key: SECRET }) });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("GET https://api.example.com/v1/items?q=*** failed");
    expect(r.stderr).toContain("seed ***");
    expect(r.stderr).toContain("seed-url ***");
    expect(r.stderr).toContain("the state contains a value of a secret-looking configuration key");
    const reports = fs.readdirSync(path.join(dir, "crash-reports"));
    expect(reports).toHaveLength(1);
    const texts = {
      output: r.stdout + r.stderr,
      crashReport: fs.readFileSync(path.join(dir, "crash-reports", reports[0]!), "utf8"),
      runs: fs.readFileSync(path.join(dir, "files", "runs.jsonl"), "utf8"),
    };
    for (const [where, text] of Object.entries(texts)) {
      for (const [shape, form] of Object.entries(SHAPES)) expect(text.includes(form), `${shape} in ${where}`).toBe(false);
    }
  });
});

describe("a recorded cassette", () => {
  it("hides the secret base64-encoded after a prefix, in a header of any name and in a response body", async () => {
    const api = await scriptedApi((req) => ({ body: { greeting: "hello " + Buffer.from("k:" + JSON.parse(req.body).k).toString("base64") } }));
    try {
      const dir = makeProject({
        "configuration.json": JSON.stringify({ api_key: SECRET }),
        "connector.ts": `import { op } from "connector-sdk";
export default {
  async update(configuration: { api_key: string }) {
    const key = configuration.api_key;
    const headers = { "x-upstream": "Basic " + Buffer.from("someone:" + key).toString("base64"), "content-type": "application/json" };
    const r = await fetch("${api.url}/items", { method: "POST", headers, body: JSON.stringify({ k: key }) });
    op.upsert("t", { id: 1, greeting: (await r.json()).greeting });
    op.checkpoint({});
  },
};
`,
      });
      const r = await cli(["debug", "--record"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      const cassette = fs.readFileSync(path.join(dir, "fixtures", "default", "cassette.json"), "utf8");
      expect(cassette).toContain("[REDACTED]");
      const echoed = Buffer.from("k:" + SECRET).toString("base64");
      for (const form of [SHAPES.basic, echoed.slice(4, -4)]) expect(cassette).not.toContain(form);
      // The replay redacts its requests the same way, so they still match the cassette.
      const replay = await cli(["test"], { cwd: dir });
      expect(replay.exitCode, replay.stdout + replay.stderr).toBe(0);
    } finally {
      await api.close();
    }
  });
});
