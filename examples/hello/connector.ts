import { Connector, log, op } from "connector-sdk";

// The smallest connector: no schema(), one row, one checkpoint.
// The table is created on its first upsert and keyed by _fivetran_id.
export default new Connector({
  update(configuration, state) {
    log.info("Hello from connector-sdk");
    op.upsert("hello", { message: "hello, world!" });
    op.checkpoint(state);
  },
});
