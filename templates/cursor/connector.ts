import { Connector, log, op } from "connector-sdk";
import { z } from "zod";
import { fetchUsersChangedSince } from "./source.js";

// The default is the first-run value: an empty state means a full historical sync.
const State = z.object({
  last_updated_at: z.string().default("2000-01-01T00:00:00Z"),
});

// Makes tsc check every op.checkpoint(state) against State.
declare module "connector-sdk" {
  interface Register {
    state: z.output<typeof State>;
  }
}

export default new Connector({
  // configuration.json holds strings; the schema turns page_size into a number.
  configuration: z.object({
    page_size: z.coerce.number().int().positive().default(5),
  }),
  state: State,
  schema: () => [
    { table: "users", primary_key: ["id"], columns: { id: "LONG", name: "STRING", email: "STRING", updated_at: "UTC_DATETIME" } },
  ],
  update(configuration, state) {
    let cursor = state.last_updated_at;
    log.info(`Fetching users changed after ${cursor}`);
    for (const page of fetchUsersChangedSince(cursor, configuration.page_size)) {
      for (const user of page) {
        op.upsert("users", user);
        cursor = user.updated_at;
      }
      // Commit the page and move the cursor past it. If the next page fails, the next
      // sync resumes here instead of starting over.
      op.checkpoint({ last_updated_at: cursor });
    }
  },
});
