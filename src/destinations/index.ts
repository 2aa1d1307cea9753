/**
 * destinations: the load layer. `destination.ts` is the contract every destination
 * implements (schema changes, writes, a commit that carries the checkpoint); `reader.ts`
 * reads one back. SQLite is called inline; DuckDB (and other asynchronous clients) run in a
 * writer thread behind `threaded/`. `open.ts` builds one from a spec. docs/architecture.md
 * says how to add one. May import: normalize, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
