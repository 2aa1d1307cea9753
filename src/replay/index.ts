/**
 * replay: record and replay of the connector's HTTP (cassettes, redaction, matching, refusing
 * every other socket while replaying, the expected outcome and the regression report's data).
 * May import: sdk, normalize, destinations, state, sync, project, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
