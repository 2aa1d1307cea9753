import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSync } from "connector-sdk/testing";
import { afterAll, describe, expect, it } from "vitest";
import connector from "./connector.js";

// Both runs sync into one warehouse file, in a folder removed after the tests.
const dir = mkdtempSync(path.join(tmpdir(), "hello-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("hello connector", () => {
  it("writes one greeting, and a second run does not duplicate it", async () => {
    const warehouse = path.join(dir, "warehouse.db");
    const configuration = { greeting: "hi there" };
    const first = await runSync(connector, { configuration, warehouse });
    expect(first.rows("greetings")).toMatchObject([{ message: "hi there", _fivetran_deleted: 0 }]);
    expect(first.warnings).toEqual([]);
    first.close();

    const second = await runSync(connector, { configuration, state: first.state, warehouse });
    expect(second.rows("greetings")).toHaveLength(1);
    second.close();
  });
});
