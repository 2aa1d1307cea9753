import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

/**
 * The import rules of docs/architecture.md. Runtime imports count everywhere; `import type`
 * counts too in the bottom layers (util, sdk, normalize), whose types must not come from
 * above: a type costs nothing at run time, but an arrow back up costs a reader a cycle.
 */
const ALL = ["sdk", "http", "extract", "normalize", "destinations", "state", "sync", "verify", "replay", "project", "setup", "host", "engines", "commands", "ui", "web", "util"];
const RULES: Record<string, string[]> = {
  util: [],
  sdk: ["util"],
  http: ["sdk", "util"],
  extract: ["sdk", "util"],
  normalize: ["util"],
  // state: a destination that keeps the connector's state provides its StateStore (state/store.ts).
  destinations: ["normalize", "state", "util"],
  state: ["util"],
  sync: ["sdk", "extract", "normalize", "destinations", "state", "util"],
  project: ["sdk", "normalize", "destinations", "state", "util"],
  replay: ["sdk", "normalize", "destinations", "state", "sync", "project", "util"],
  verify: ["sdk", "extract", "normalize", "destinations", "state", "sync", "replay", "util"],
  setup: ["sdk", "state", "sync", "project", "util"],
  host: ALL.filter((f) => !["commands", "ui", "web", "engines"].includes(f)),
  // The engines run the sync into a message-stream destination, and own stdout while they do (host's stdio capture).
  engines: ["sdk", "normalize", "state", "sync", "project", "setup", "host", "util"],
  ui: ["util"],
  // The web view (connector ui): reads a project like the read-only commands, renders HTML.
  web: ["destinations", "project", "state", "replay", "util"],
  commands: ALL,
  // The entry points: the SDK a connector imports, its HTTP client (connector-sdk/http), the testing API, and the CLI.
  "index.ts": ["sdk", "normalize", "util"],
  "http.ts": ["http", "sdk", "util"],
  "testing.ts": ["sdk", "sync", "verify", "destinations", "replay", "normalize", "state", "util"],
  // The command table's definitions (commander), each action loading its command from commands/ when it runs.
  cli: ["commands", "util"],
  "cli.ts": ["cli", "ui", "util"],
};
/** The layers whose type imports obey the rules too, and what their types may use beyond their runtime rule. */
const TYPES_COUNT: Record<string, string[]> = {
  util: [],
  // A connector declares its columns with normalize's DataType.
  sdk: ["normalize"],
  normalize: [],
};
/** No source file is longer than this: a longer one holds more than one job. */
const MAX_LINES = 300;
/** Named exceptions, each with its reason. */
const EXCEPTIONS: Record<string, string[]> = {
  // The regression report prints rows by the outcome's own key format.
  "ui/test-report.ts": ["replay"],
  // The prompt checks each answer as it is typed, by the form's own rules.
  "ui/form-prompt.ts": ["setup"],
};
/** Packages that belong to one place: the terminal to ui, the command table to cli.ts and cli/. */
const PACKAGES: Record<string, (file: string) => boolean> = {
  chalk: (f) => f.startsWith("ui/"),
  ora: (f) => f.startsWith("ui/"),
  commander: (f) => f === "cli.ts" || f.startsWith("cli/"),
};

const SRC = path.join(ROOT, "src");
const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
const layerOf = (rel: string): string => (rel.includes("/") ? rel.split("/")[0]! : rel);

/** The runtime imports of a file: static, re-exports and dynamic, without `import type` and all-type braces (with them, when `types` is set). */
function runtimeImports(text: string, types = false): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)\s+from\s+"([^"]+)"/gm)) {
    if (types) {
      out.push(m[3]!);
      continue;
    }
    if (m[1]) continue;
    const braces = /^\{([^}]*)\}$/.exec(m[2]!.trim());
    if (braces && braces[1]!.split(",").every((n) => !n.trim() || n.trim().startsWith("type "))) continue;
    out.push(m[3]!);
  }
  for (const m of text.matchAll(/import\("([^"]+)"\)|new URL\("(\.[^"]+\.js)", import\.meta\.url\)/g)) out.push((m[1] ?? m[2])!);
  return out;
}

describe("the layers of src/ (docs/architecture.md)", () => {
  const all = files(SRC).map((f) => path.relative(SRC, f));

  it("every folder and entry point has a rule, and every folder an index.ts that says what it holds", () => {
    const layers = new Set(all.map(layerOf));
    for (const layer of layers) expect(RULES, `no import rule for ${layer}`).toHaveProperty([layer]);
    for (const layer of [...layers].filter((l) => !l.endsWith(".ts"))) {
      const index = path.join(SRC, layer, "index.ts");
      expect(fs.existsSync(index), `${layer}/index.ts`).toBe(true);
      expect(fs.readFileSync(index, "utf8")).toMatch(/^\/\*\*/);
    }
  });

  it("no file imports a layer its own may not use", () => {
    const broken: string[] = [];
    for (const rel of all) {
      const layer = layerOf(rel);
      const types = TYPES_COUNT[layer];
      const allowed = new Set([layer, ...RULES[layer]!, ...(EXCEPTIONS[rel] ?? []), ...(types ?? [])]);
      for (const spec of runtimeImports(fs.readFileSync(path.join(SRC, rel), "utf8"), types !== undefined)) {
        if (spec.startsWith(".")) {
          const target = path.relative(SRC, path.resolve(SRC, path.dirname(rel), spec));
          const to = layerOf(target).replace(/\.js$/, ".ts");
          if (!allowed.has(to)) broken.push(`${rel} imports ${target} (${layer} may not use ${to})`);
        } else {
          const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
          const owner = PACKAGES[pkg];
          if (owner && !owner(rel)) broken.push(`${rel} imports ${pkg}, which only ${pkg === "commander" ? "cli.ts and cli/" : "ui/"} may use`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("the rules catch a broken import", () => {
    const text = 'import { op } from "../sdk/operations.js";\nimport type { X } from "../cli.js";\nimport { type Y } from "../ui/a.js";';
    expect(runtimeImports(text)).toEqual(["../sdk/operations.js"]);
    expect(runtimeImports(text, true)).toEqual(["../sdk/operations.js", "../cli.js", "../ui/a.js"]);
  });

  it("no cycle of imports crosses folders, types included", () => {
    const edges = new Map<string, string[]>();
    for (const rel of all) {
      const text = fs.readFileSync(path.join(SRC, rel), "utf8");
      const local = runtimeImports(text, true).filter((s) => s.startsWith("."));
      edges.set(rel, local.map((s) => path.relative(SRC, path.resolve(SRC, path.dirname(rel), s)).replace(/\.js$/, ".ts")));
    }
    // Tarjan's strongly connected components: each holds the files of one cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const crossing: string[][] = [];
    const visit = (v: string): void => {
      index.set(v, index.size);
      low.set(v, index.get(v)!);
      stack.push(v);
      for (const w of edges.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) !== index.get(v)) return;
      const scc = stack.splice(stack.indexOf(v));
      if (new Set(scc.map(layerOf)).size > 1) crossing.push(scc.sort());
    };
    for (const rel of all) if (!index.has(rel)) visit(rel);
    expect(crossing).toEqual([]);
  });

  it(`no file of src/ is longer than ${MAX_LINES} lines`, () => {
    const long = all.map((rel) => [rel, fs.readFileSync(path.join(SRC, rel), "utf8").split("\n").length - 1] as const).filter(([, n]) => n > MAX_LINES);
    expect(long.map(([rel, n]) => `${rel}: ${n} lines`)).toEqual([]);
  });

  it("a folder's index.ts holds only its comment: no re-exports, each module is imported from its own file", () => {
    for (const layer of new Set(all.filter((f) => f.includes("/")).map(layerOf))) {
      const text = fs.readFileSync(path.join(SRC, layer, "index.ts"), "utf8");
      expect(text.replace(/^\/\*\*[\s\S]*?\*\/\n/, "").trim(), `${layer}/index.ts`).toMatch(/^(export \{\};)?$/);
    }
  });
});

/**
 * docs/architecture.md, "Adding a destination": a destination is its folder and one line of
 * destinations/registry.ts. Outside destinations/, no file imports a destination's folder or
 * compares with a destination's name: it asks the module (registry.ts) what it declares.
 */
describe("the destinations are reached through their modules only", () => {
  const all = files(SRC).map((f) => path.relative(SRC, f));
  const kinds = fs
    .readdirSync(path.join(SRC, "destinations"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(SRC, "destinations", e.name, "index.ts")))
    .map((e) => e.name);
  const outside = all.filter((rel) => layerOf(rel) !== "destinations");

  it("every folder of destinations/ but threaded/ is a destination whose index.ts exports its module, and has its line in the registry", () => {
    const registry = fs.readFileSync(path.join(SRC, "destinations", "registry.ts"), "utf8");
    expect(kinds.sort()).toEqual(["duckdb", "postgres", "sqlite"]);
    for (const kind of kinds) {
      expect(fs.readFileSync(path.join(SRC, "destinations", kind, "index.ts"), "utf8")).toMatch(new RegExp(`export const ${kind}: DestinationModule<`));
      expect(registry).toMatch(new RegExp(`^  ${kind},$`, "m"));
    }
  });

  it("no file outside destinations/ imports a destination's folder (or threaded/), even for a type", () => {
    const broken: string[] = [];
    for (const rel of outside) {
      const text = fs.readFileSync(path.join(SRC, rel), "utf8");
      for (const m of text.matchAll(/(?:from\s+|import\()"(\.[^"]+)"/g)) {
        const target = path.relative(SRC, path.resolve(SRC, path.dirname(rel), m[1]!));
        if (/^destinations\/[^/]+\//.test(target)) broken.push(`${rel} imports ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("no file outside destinations/ compares with a destination's name", () => {
    const names = kinds.map((k) => `"${k}"`).join("|");
    const comparison = new RegExp(`(?:[=!]==?\\s*(?:${names}))|(?:(?:${names})\\s*[=!]==?)|case\\s+(?:${names})\\s*:`);
    const broken = outside.flatMap((rel) =>
      fs
        .readFileSync(path.join(SRC, rel), "utf8")
        .split("\n")
        .flatMap((line, i) => (comparison.test(line) ? [`${rel}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(broken).toEqual([]);
  });

  /**
   * The project lock is a SQLite write lock on a file of its own (project/lock.ts), not a destination; it shares the
   * SQLite destination's driver, loaded once with its addon's path (util/sqlite-driver.ts), which reads no errors.
   */
  const DRIVER_EXCEPTIONS = ["project/lock.ts", "util/sqlite-driver.ts"];
  const CLIENTS = new Set(["better-sqlite3", "@duckdb/node-api", "pg", "pg-copy-streams"]);
  const driverUse = (rel: string, text: string): string[] => [
    ...[...text.matchAll(/["'`]SQLITE_\w*/g)].map((m) => `${rel} reads the code ${m[0].slice(1)}`),
    ...runtimeImports(text, true)
      .filter((spec) => CLIENTS.has(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!))
      .map((spec) => `${rel} imports ${spec}`),
  ];

  it("only a destination reads its database client's errors: outside destinations/, no client is imported and no SQLITE_ code is compared", () => {
    const broken = outside.filter((rel) => !DRIVER_EXCEPTIONS.includes(rel)).flatMap((rel) => driverUse(rel, fs.readFileSync(path.join(SRC, rel), "utf8")));
    expect(broken).toEqual([]);
    expect(driverUse("x.ts", 'if (code.startsWith("SQLITE_")) {}\nimport type { Pool } from "pg";')).toEqual(["x.ts reads the code SQLITE_", "x.ts imports pg"]);
  });

  /**
   * The sinks outside the registry: the sync runs into them through the Destination contract, but they have no
   * URL, no reader, no scratch copy and nothing to reset, so they are no destination kind (docs/architecture.md).
   */
  const SINKS = ["engines/stream-destination.ts"];
  const implementsDestination = (text: string): boolean => /\bimplements\s+(?:Async)?Destination\b/.test(text);

  it("outside destinations/, only the sinks docs/architecture.md names implement the Destination contract", () => {
    expect(outside.filter((rel) => implementsDestination(fs.readFileSync(path.join(SRC, rel), "utf8")))).toEqual(SINKS);
    const architecture = fs.readFileSync(path.join(ROOT, "docs", "architecture.md"), "utf8");
    for (const sink of SINKS) expect(architecture).toContain(`\`${sink}\``);
    expect(implementsDestination("export class S implements Destination {")).toBe(true);
    expect(implementsDestination("export class S implements DestinationModule {")).toBe(false);
  });

  it("the checks catch a kind named outside destinations/", () => {
    const names = kinds.map((k) => `"${k}"`).join("|");
    const comparison = new RegExp(`(?:[=!]==?\\s*(?:${names}))|(?:(?:${names})\\s*[=!]==?)|case\\s+(?:${names})\\s*:`);
    expect(comparison.test('if (spec.kind === "postgres") {')).toBe(true);
    expect(comparison.test('  case "sqlite":')).toBe(true);
    expect(comparison.test('if (kind.ownLock) {')).toBe(false);
  });
});
