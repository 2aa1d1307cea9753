import { readFileSync } from "node:fs";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";

// fixtures/default was recorded with `connector debug --record`: the API's responses in
// cassette.json, and what the sync made of them in outcome.json.
const expected = JSON.parse(readFileSync(new URL("./fixtures/default/outcome.json", import.meta.url), "utf8"));

describe("rest-api connector, replayed", () => {
  it("syncs the recorded responses offline, with no server running", async () => {
    // Nothing listens on this port: every response comes from the cassette, where a local
    // (127.0.0.1) URL matches whatever its port.
    const configuration = { base_url: "http://127.0.0.1:9", page_size: "4" };
    const result = await runSync(connector, { configuration, replay: "fixtures/default" });
    expect(result.checkpoints).toEqual(expected.checkpoints);
    expect(result.state).toEqual(expected.state);
    expect(result.rows("users").map(({ _fivetran_synced, ...row }) => row)).toEqual(expected.tables.users.rows);
    result.close();
  });
});
