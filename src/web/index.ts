/**
 * connector ui: a read-only local web view of a project (overview, tables, checkpoints and their
 * state diffs, recorded HTTP, runs), served by node:http on 127.0.0.1 behind a token. Pages are
 * rendered on the server as semantic HTML; the small script and stylesheet ship inside the package.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
