import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";

/** RestClient options a newcomer gets wrong (issue 22, attacked): refused when the client is made, before any request. */

describe("RestClient options", () => {
  it("a baseUrl with a user name and password (as requests accepts) is refused at once with the way out, not retried five times as a network error, and the password is not printed", async () => {
    const dir = makeProject({
      "connector.ts": `import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: "http://etl:" + configuration.pw + "@127.0.0.1:9/v1", retry: { baseDelayMs: 1 } });
    await api.get("/items");
  },
};
`,
      "configuration.json": JSON.stringify({ pw: "Pa55-w0rd-x9" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('RestClient option baseUrl: a user name or password in the URL (http://***@127.0.0.1:9) is not sent by fetch. Give them as auth: { type: "basic", username, password }, and baseUrl without them.');
    expect(r.stderr).not.toMatch(/retry \d of/);
    expect(r.stderr).not.toContain("Pa55-w0rd-x9");
  });
});
