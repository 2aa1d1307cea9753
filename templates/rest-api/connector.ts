import { Connector, log, op } from "connector-sdk";
import { z } from "zod";
import { startFixtureServer } from "./server.js";

interface User {
  id: number;
  login: string;
  plan: string;
  updated_at: string;
}

interface Page {
  data: User[];
  has_more: boolean;
}

export default new Connector({
  configuration: z.object({
    // Empty: the connector serves fixtures/users.json itself, so it runs offline.
    base_url: z.string().default(""),
    api_key: z.string().default(""),
    page_size: z.coerce.number().int().positive().default(4),
  }),
  // A compound cursor: several users share an updated_at, so the timestamp alone cannot
  // say which of them the last page already delivered. The id breaks the tie.
  state: z.object({
    updated_at: z.string().default("2000-01-01T00:00:00Z"),
    id: z.number().int().default(0),
  }),
  schema: () => [
    { table: "users", primary_key: ["id"], columns: { id: "LONG", login: "STRING", plan: "STRING", updated_at: "UTC_DATETIME" } },
  ],
  async update(configuration, state) {
    const fixture = configuration.base_url ? undefined : await startFixtureServer();
    const baseUrl = configuration.base_url || fixture!.url;
    if (fixture) log.info(`No base_url configured: serving the bundled fixtures at ${baseUrl}`);
    try {
      let cursor = { updated_at: state.updated_at, id: state.id };
      for (;;) {
        const url = new URL("/users", baseUrl);
        url.searchParams.set("updated_since", cursor.updated_at);
        url.searchParams.set("after_id", String(cursor.id));
        url.searchParams.set("limit", String(configuration.page_size));
        const response = await fetch(url, {
          headers: configuration.api_key ? { authorization: `Bearer ${configuration.api_key}` } : {},
          signal: AbortSignal.timeout(30_000),
        });
        if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
        const page = (await response.json()) as Page;
        for (const user of page.data) {
          op.upsert("users", user);
          cursor = { updated_at: user.updated_at, id: user.id };
        }
        op.checkpoint(cursor);
        if (!page.has_more) break;
      }
    } finally {
      await fixture?.close();
    }
  },
});
