/**
 * commands: one thin file per command, loaded lazily by cli.ts: options in, a library call,
 * rendering through ui, typed errors out. Nothing is re-exported here, so that --help
 * loads none of them.
 */
export {};
