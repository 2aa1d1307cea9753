import { Connector, log, op } from "connector-sdk";
import { z } from "zod";
import { fetchEventsAfter } from "./source.js";

export default new Connector({
  configuration: z.object({
    page_size: z.coerce.number().int().positive().default(10),
  }),
  state: z.object({
    last_id: z.number().int().nonnegative().default(0),
  }),
  schema: () => [
    { table: "events", primary_key: ["id"], columns: { id: "LONG", kind: "STRING", user_id: "LONG", occurred_at: "UTC_DATETIME" } },
  ],
  update(configuration, state) {
    let lastId = state.last_id;
    for (;;) {
      const page = fetchEventsAfter(lastId, configuration.page_size);
      if (page.length === 0) break;
      for (const event of page) op.upsert("events", event);
      lastId = page[page.length - 1]!.id;
      op.checkpoint({ last_id: lastId });
      log.debug(`committed events up to id ${lastId}`);
    }
    log.info(`Up to date at event ${lastId}`);
  },
});
