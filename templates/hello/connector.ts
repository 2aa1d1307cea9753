import { Connector, log, op } from "connector-sdk";

// No schema(): the table "greetings" is created on its first upsert. It has no primary
// key, so each row is keyed by _fivetran_id, a hash of its values: syncing the same row
// again does not duplicate it.
export default new Connector({
  update(configuration, state) {
    const greeting = configuration.greeting ?? "hello, world!";
    log.info(`Saying ${JSON.stringify(greeting)}`);
    op.upsert("greetings", { message: greeting });
    // Even without a cursor, checkpoint: it commits the rows.
    op.checkpoint(state);
  },
});
