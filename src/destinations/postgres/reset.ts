/** `connector reset` of a connector in PostgreSQL: its tables (some, or all with its state and history) dropped under its lock; other connectors in the schema are untouched. */
import type { ResetPlan } from "../module.js";
import { connectorTables, dropConnector, withConnectorLock } from "./admin.js";
import type { PostgresOptions } from "./url.js";

export async function resetConnector(o: PostgresOptions, location: string, plan: ResetPlan): Promise<void> {
  await withConnectorLock(o, "reset", async (client) => {
    const known = await connectorTables(client, o);
    const tables = plan.tables?.length ? plan.resolve(known, plan.tables) : undefined;
    const what = tables
      ? `the tables ${tables.join(", ")} of connector "${o.connector}" in ${location} (the state and the other tables are kept)`
      : `connector "${o.connector}" in ${location}: ${known.length ? `its tables ${known.join(", ")}, ` : ""}its state and its checkpoint history (other connectors in the schema are untouched)`;
    plan.say(`This drops ${what}.`);
    if (!(await plan.confirm())) {
      plan.say("Reset cancelled; nothing was dropped.");
      return;
    }
    await dropConnector(client, o, tables);
    if (tables) {
      plan.say(`Dropped ${tables.join(", ")}.`);
      plan.say(
        `The stored state still holds the cursor for ${tables.length > 1 ? "these tables" : "this table"}, so the next run resumes from it and will not reload the dropped rows. ` +
          `Remove that cursor first, for example with \`connector state unset <key> --destination <url> --name ${o.connector}\`.`,
      );
    } else {
      plan.say(`Reset done: the next \`connector run\` of "${o.connector}" is a historical sync from {}.`);
    }
  });
}
