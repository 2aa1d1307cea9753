// A secret the connector prints in hex or with \u escapes (as Go's or Python's JSON encoders write it)
// is hidden in connector debug's output, as the raw secret is.
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";

const SECRET = "tok_<9f8e>&é/42";

describe("secret forms in a sync's output", () => {
  it("hides a secret printed in hex or \\u-escaped JSON by the connector", async () => {
    const hex = Buffer.from(SECRET).toString("hex");
    const escaped = JSON.stringify({ k: SECRET }).replace(/[<>&\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
    const dir = makeProject({
      "configuration.json": JSON.stringify({ api_key: SECRET }),
      "connector.ts": `import { op } from "connector-sdk";
export default { update(c: { api_key: string }) {
  console.log("hex " + Buffer.from(c.api_key).toString("hex"));
  console.log("json " + JSON.stringify({ k: c.api_key }).replace(/[<>&\\u007f-\\uffff]/g, (ch) => "\\\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0")));
  op.checkpoint({ n: 1 });
} };
`,
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain("hex ***");
    expect(out).toContain('json {"k":"***"}');
    for (const form of [SECRET, hex, escaped.slice(6, -2)]) expect(out).not.toContain(form);
  });
});
