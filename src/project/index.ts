/**
 * project: a connector project on disk. Its paths, the lock, loading connector.ts, the
 * configuration file, the destination it writes to, templates and reset. May import: sdk,
 * normalize, destinations, state, util.
 */
export { project, type Project } from "./project.js";
