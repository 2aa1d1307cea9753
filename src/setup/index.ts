/**
 * setup: setup forms and setup tests (`connector configuration`): declared on the
 * Connector or derived from its configuration schema. May import: sdk, state, sync,
 * project, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
