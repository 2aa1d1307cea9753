import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";

describe("hello connector", () => {
  it("writes one greeting, and a second run does not duplicate it", async () => {
    const warehouse = path.join(mkdtempSync(path.join(tmpdir(), "hello-")), "warehouse.db");
    const configuration = { greeting: "hi there" };
    const first = await runSync(connector, { configuration, warehouse });
    expect(first.rows("greetings")).toMatchObject([{ message: "hi there", _fivetran_deleted: 0 }]);
    first.close();

    const second = await runSync(connector, { configuration, state: first.state, warehouse });
    expect(second.rows("greetings")).toHaveLength(1);
    second.close();
  });
});
