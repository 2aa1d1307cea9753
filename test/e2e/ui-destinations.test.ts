import fs from "node:fs";
import path from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, makeProject, startDebug, waitFor } from "../helpers.js";
import { launchBrowser, startUi, type RunningUi } from "../support/browser.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

const CONNECTOR = `import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "users", primary_key: ["id"] }],
  update(configuration, state: any) {
    for (const cursor of [10, 20, 30]) {
      if ((state.cursor ?? 0) >= cursor) continue;
      op.upsert("users", { id: cursor, name: "user " + cursor });
      if (cursor === 20) op.delete("users", { id: 10 });
      op.checkpoint({ cursor });
    }
  },
});
`;

const pg = usePostgres("ui_destinations");
let browser: BrowserContext;
const servers: RunningUi[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

/** The overview lists users (3 rows, 1 deleted), the timeline 3 checkpoints, and checkpoint 2 the cursor from 10 to 20. */
async function showsTablesAndCheckpoints(dir: string, args: string[], destination: RegExp): Promise<void> {
  const s = await startUi(dir, args);
  servers.push(s);
  const page = await browser.newPage();
  await page.goto(s.url);
  const main = await page.locator("main").innerText();
  expect(main).toMatch(destination);
  const users = (await page.locator("main tr", { has: page.locator('a[href="/tables/users"]') }).locator("td").allInnerTexts()).map((t) => t.trim());
  expect(users.slice(2, 5)).toEqual(["3", "2", "1"]);
  expect(main).toContain('"cursor": 30');
  await page.click('a[href="/tables/users"]');
  // Newest synced first; 10 and 20 were written at the same checkpoint, in an order each destination keeps its own way.
  const ids = await page.locator("#rows tbody tr td:first-child").allInnerTexts();
  expect(ids[0]).toBe("30");
  expect([...ids].sort()).toEqual(["10", "20", "30"]);
  expect(await page.locator("#rows tbody tr.deleted").count()).toBe(1);
  await page.goto(`${s.base}/checkpoints`);
  expect(await page.locator("main tbody tr").count()).toBe(3);
  await page.goto(`${s.base}/checkpoints/2`);
  expect((await page.locator("main tr.changed td").allInnerTexts()).map((t) => t.trim())).toEqual(["cursor", "changed", "10", "20"]);
  await page.close();
}

describe("connector ui on every destination", () => {
  it("DuckDB: shows the tables and the checkpoints of files/warehouse.duckdb", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const r = await cli(["debug", "--destination", "duckdb"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    await showsTablesAndCheckpoints(dir, [], /DuckDB files\/warehouse\.duckdb/);
  });

  it("PostgreSQL: shows the tables and the checkpoints of a connector run --destination, and hides the password", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const url = pg().url(pg().database, freshSchema("ui"));
    const r = await cli(["run", "--destination", url, "--name", "shop"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    await showsTablesAndCheckpoints(dir, ["--destination", url, "--name", "shop"], /PostgreSQL postgres:\/\//);
    const s = servers[servers.length - 1]!;
    expect(s.stdout() + s.stderr()).not.toContain(pg().password);
    const page = await browser.newPage();
    await page.goto(s.url);
    expect(await page.content()).not.toContain(pg().password);
  });

  it("DuckDB held by a running sync: the page says the warehouse is in use, shows the rest, and reads it once the sync is done", async () => {
    const dir = makeProject({
      "connector.ts": `import fs from "node:fs";
import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "users", primary_key: ["id"] }],
  async update() {
    op.upsert("users", { id: 1 });
    op.checkpoint({ cursor: 1 });
    fs.writeFileSync("waiting", "");
    while (!fs.existsSync("go")) await new Promise((r) => setTimeout(r, 20));
  },
});
`,
    });
    const sync = startDebug(dir, ["--destination", "duckdb"]);
    await waitFor(() => fs.existsSync(path.join(dir, "waiting")));
    const s = await startUi(dir);
    servers.push(s);
    const page = await browser.newPage();
    await page.goto(s.url);
    const main = await page.locator("main").innerText();
    expect(main).toContain("The warehouse cannot be read now:");
    expect(main).toContain("is in use by another process");
    expect(main).toContain('"cursor": 1');
    fs.writeFileSync(path.join(dir, "go"), "");
    expect(await sync.exited, sync.stderr()).toBe(0);
    await page.reload();
    expect(await page.locator('a[href="/tables/users"]').count()).toBe(1);
    expect(await page.locator("main").innerText()).not.toContain("cannot be read now");
  });
});
