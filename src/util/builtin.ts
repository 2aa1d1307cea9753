/**
 * One of Node's own modules, loaded at the first call rather than when the module that needs it is
 * imported. Each of these is needed on one path only (a keyless row's hash, a crash report outside
 * the project, a heap sample, a schema problem's location, a cached tarball's check), and importing it at the top would make
 * every thread that bundles its user pay for it at start-up, which every spawned command does.
 */
import { createRequire } from "node:module";

interface Builtins {
  "node:crypto": typeof import("node:crypto");
  "node:inspector": typeof import("node:inspector");
  "node:v8": typeof import("node:v8");
  "node:zlib": typeof import("node:zlib");
}

const require = createRequire(import.meta.url);

export function builtin<N extends keyof Builtins>(name: N): Builtins[N] {
  return require(name) as Builtins[N];
}
