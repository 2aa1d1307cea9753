/**
 * host: the worker threads that run a connector for `connector debug`, `run` and `verify`,
 * the session that hosts them (worker-session.ts), and what they send the main thread, which
 * keeps the terminal, the signals and the clock. May import: everything but commands, ui, web and engines.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
