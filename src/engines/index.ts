/**
 * engines: the connector as an Airbyte source and a Singer tap (docs/engines.md): the sync of
 * `connector debug` run into a message-stream destination, the protocols' messages, our 14
 * types as JSON Schema, and the files `connector build` writes. May import: sdk, normalize,
 * state, sync, project, setup, host, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
