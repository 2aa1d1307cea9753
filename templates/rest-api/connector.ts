import { Connector, log, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
import { z } from "zod";
import { startFixtureServer } from "./server.js";

interface User {
  id: number;
  login: string;
  plan: string;
  updated_at: string;
}

export default new Connector({
  configuration: z.object({
    // Empty: the connector serves fixtures/users.json itself, so it runs offline.
    base_url: z.string().default(""),
    api_key: z.string().default(""),
    page_size: z.coerce.number().int().positive().default(4),
  }),
  // A compound cursor: several users share an updated_at, so the timestamp alone cannot say
  // which of them the last page already delivered. The id breaks the tie. `page` is where an
  // unfinished listing goes on (page.resume), null once it reached the end.
  state: z.object({
    updated_at: z.string().default("2000-01-01T00:00:00Z"),
    id: z.number().int().default(0),
    page: z.record(z.string(), z.union([z.string(), z.number()])).nullable().default(null),
  }),
  schema: () => [
    { table: "users", primary_key: ["id"], columns: { id: "LONG", login: "STRING", plan: "STRING", updated_at: "UTC_DATETIME" } },
  ],
  async update(configuration, state) {
    const fixture = configuration.base_url ? undefined : await startFixtureServer();
    const baseUrl = configuration.base_url || fixture!.url;
    if (fixture) log.info(`No base_url configured: serving the bundled fixtures at ${baseUrl}`);
    try {
      // Retries (429, 5xx, network errors, Retry-After), paging and the bearer token are the client's.
      const api = new RestClient({
        baseUrl,
        ...(configuration.api_key ? { auth: { type: "bearer" as const, token: configuration.api_key } } : {}),
        retry: { attempts: 5, maxDelayMs: 30_000 },
      });
      const pages = api.paginate<User>("/users", {
        query: { updated_since: state.updated_at, after_id: state.id, limit: configuration.page_size },
        items: "data",
        paginator: { type: "cursor", path: "next_cursor", param: "cursor" },
        resume: state.page,
      });
      // The listing's query stays as it began until the listing ends, so a resumed page asks
      // exactly what the interrupted run would have asked; the cursor moves on at the end.
      const start = { updated_at: state.updated_at, id: state.id };
      let cursor = start;
      let at = state.page;
      for await (const page of pages) {
        for (const user of page.items) {
          op.upsert("users", user);
          cursor = { updated_at: user.updated_at, id: user.id };
        }
        // A page that brought nothing and moved nothing (a run with nothing new) has no checkpoint to commit.
        if (page.items.length === 0 && JSON.stringify(page.resume) === JSON.stringify(at)) continue;
        op.checkpoint(page.resume === null ? { ...cursor, page: null } : { ...start, page: page.resume });
        at = page.resume;
      }
    } finally {
      await fixture?.close();
    }
  },
});
