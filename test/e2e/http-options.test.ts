import fs from "node:fs";
import path from "node:path";
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

  it("a credential no header can carry (a curly quote pasted into a token, a line break inside an api key) or an api-key header name with a space is refused at once, not retried five times as a network error, and the value is not printed", async () => {
    const dir = makeProject({
      "connector.ts": `import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const auth = JSON.parse(configuration.options);
    const api = new RestClient({ baseUrl: "http://127.0.0.1:9/v1", auth, retry: { attempts: 2, baseDelayMs: 1000 } });
    await api.get("/items");
  },
};
`,
    });
    const cases: [object, string][] = [
      [{ type: "bearer", token: "tok_Q7vX2mK9\u2019pL4rT8" }, "RestClient option auth.token cannot be sent in an HTTP header: its character at index 12 is a line break or lies outside Latin-1"],
      [{ type: "api-key", name: "X-Api-Key", value: "key-Zq9v\r\nW3xL7mN2" }, "RestClient option auth.value cannot be sent in an HTTP header: its character at index 8 is a line break"],
      [{ type: "api-key", name: "Api Key", value: "key-Zq9vW3xL7mN2" }, 'RestClient option auth.name: "Api Key" is not an HTTP header name'],
    ];
    for (const [auth, says] of cases) {
      fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ options: JSON.stringify(auth) }));
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toMatch(/retry \d of/);
      expect(r.stderr).not.toMatch(/Q7vX2mK9|W3xL7mN2/);
    }
    // Spaces around a credential (a newline read with it from a file) are trimmed by fetch, as before: no error.
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ options: JSON.stringify({ type: "bearer", token: "tok_Q7vX2mK9pL4rT8\n" }) }));
    const ok = await cli(["debug"], { cwd: dir });
    expect(ok.stderr).not.toContain("RestClient option");
  });

  it("a baseUrl or tokenUrl without its scheme (\"localhost:8080\", which parses as the scheme localhost:) is refused at once with the URL it meant, not retried five times as an unknown scheme", async () => {
    const dir = makeProject({
      "connector.ts": `import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, retry: { attempts: 2, baseDelayMs: 1000 } });
    await api.get("/items");
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: "localhost:9" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('RestClient option baseUrl: "localhost:9" is not an http or https URL (it reads as the scheme "localhost:"). Did you mean "http://localhost:9"?');
    expect(r.stderr).not.toMatch(/retry \d of/);
    fs.writeFileSync(path.join(dir, "connector.ts"), `import { RestClient } from "connector-sdk/http";
export default {
  async update() {
    new RestClient({ auth: { type: "oauth2-client-credentials", tokenUrl: "ftp://127.0.0.1:9/token", clientId: "app", clientSecret: "cs-Zq9vW3xL7mN2" } });
  },
};
`);
    const t = await cli(["debug"], { cwd: dir });
    expect(t.exitCode).toBe(1);
    expect(t.stderr).toContain('RestClient option auth.tokenUrl: "ftp://127.0.0.1:9/token" is not an http or https URL (it reads as the scheme "ftp:").');
  });
});
