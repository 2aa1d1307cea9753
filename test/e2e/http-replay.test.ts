import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { rows, scriptedApi } from "../http-api.js";

/** connector-sdk/http under record and replay (issue 22): retries are recorded, and replay in order with no real waiting. */

const SOURCE = rows(6);

describe("RestClient, recorded and replayed", () => {
  it("records a run with a retry in it; with the server stopped, connector test replays it offline without waiting out Retry-After", async () => {
    const api = await scriptedApi((r) =>
      r.n === 2 ? { status: 503, headers: { "retry-after": "1" }, body: { error: "busy" } } : { body: { data: SOURCE.slice((Number(r.query.page) - 1) * 2, Number(r.query.page) * 2), pages: 3 } },
    );
    const dir = makeProject({
      "connector.ts": `import { Connector, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default new Connector({
  async update(configuration, state) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "bearer", token: configuration.api_key } });
    for await (const page of api.paginate("/items", { items: "data", paginator: { type: "page", totalPagesPath: "pages" }, resume: state.page })) {
      for (const item of page.items) op.upsert("items", item);
      op.checkpoint({ page: page.resume });
    }
  },
});
`,
      "configuration.json": JSON.stringify({ base_url: "", api_key: "sk-live-abcdef123456" }),
    });
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: api.url, api_key: "sk-live-abcdef123456" }));
    let record;
    try {
      record = await cli(["debug", "--record"], { cwd: dir });
    } finally {
      await api.close();
    }
    expect(record.exitCode, record.stderr).toBe(0);
    // Page 1, page 2 refused with 503, page 2 again, page 3.
    expect(api.log.map((s) => s.query.page)).toEqual(["1", "2", "2", "3"]);
    const file = path.join(dir, "fixtures/default/cassette.json");
    const cassette = fs.readFileSync(file, "utf8");
    expect(cassette).not.toContain("sk-live-abcdef123456");
    // A wait no test could sit out: replay must not wait at all.
    expect(cassette).toContain('"retry-after": "1"');
    fs.writeFileSync(file, cassette.replace('"retry-after": "1"', '"retry-after": "30"'));

    const started = Date.now();
    const test = await cli(["test"], { cwd: dir });
    const tookMs = Date.now() - started;
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stderr + test.stdout).toContain("TEST PASSED");
    expect(tookMs).toBeLessThan(30_000);
  });
});
