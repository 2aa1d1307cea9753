/**
 * The names a connector imports from connector-sdk, checked before it loads. jiti turns a named
 * import the package does not have into `undefined` instead of refusing it, so a port that kept
 * Python's names (`import { Operations as op } from "connector-sdk"`) would only fail at run time,
 * with "Cannot read properties of undefined". Each file the connector imports by a relative path
 * is read, and every name it takes from connector-sdk (import, export … from, require, `sdk.name`
 * of a namespace) must be one the package exports, types included.
 */
import fs from "node:fs";
import path from "node:path";

/** Fivetran's Python SDK's names, and what they are called here. */
const PYTHON: Record<string, string> = {
  Operations: "op",
  Operation: "op",
  operations: "op",
  Ops: "op",
  Logging: "log",
  logging: "log",
  Logger: "log",
  logger: "log",
  Log: "log",
};

const MAX_FILES = 200;
const MAX_BYTES = 1 << 20;
const EXTENSIONS = [".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"];

/** The names a module exports (`all`, types included; `values`, those that exist at run time): from its .d.ts beside it when there is one (a build), else its own text. */
export function exportedNames(entry: string): { all: Set<string>; values: Set<string> } | undefined {
  const declarations = entry.replace(/\.(m?js|ts)$/, ".d.ts");
  // A build without its declarations has lost the type names: then nothing can be told for certain.
  const source = fs.existsSync(declarations) ? declarations : entry.endsWith(".ts") ? entry : undefined;
  if (!source) return undefined;
  const text = stripComments(fs.readFileSync(source, "utf8"));
  const all = new Set<string>();
  const values = new Set<string>();
  for (const m of text.matchAll(/\bexport\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const spec of m[2]!.split(",")) {
      const typeOnly = Boolean(m[1]) || /^\s*type\s/.test(spec);
      const parts = spec.trim().replace(/^type\s+/, "").split(/\s+as\s+/);
      const name = (parts[1] ?? parts[0])!.trim();
      if (!name) continue;
      all.add(name);
      if (!typeOnly) values.add(name);
    }
  }
  for (const m of text.matchAll(/\bexport\s+(?:declare\s+)?(?:abstract\s+)?(const|let|var|function\*?|class|type|interface|enum|namespace)\s+([\w$]+)/g)) {
    all.add(m[2]!);
    if (m[1] !== "type" && m[1] !== "interface") values.add(m[2]!);
  }
  return { all, values };
}

/** Comments become spaces, so that offsets and lines stay where they were. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|(^|[^:\\"'`])\/\/[^\n]*/g, (m, lead: string | undefined) => (lead ?? "") + m.slice(lead?.length ?? 0).replace(/[^\n]/g, " "));
}

interface Spec {
  name: string;
  alias?: string;
}

interface Use {
  file: string;
  line: number;
  module: string;
  /** The statement as written, on one line. */
  text: string;
  kind: "named" | "default" | "require" | "member";
  specs: Spec[];
  /** For a default import or a member access: the namespace's local name. */
  local?: string;
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split("\n").length;
const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim();

function parseSpecs(list: string, separator: RegExp): Spec[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s && !/^type\s/.test(s))
    .map((s) => {
      const [name, alias] = s.split(separator).map((p) => p.trim());
      return alias && alias !== name ? { name: name!, alias } : { name: name! };
    });
}

/** What one file takes from the given modules, and the relative files it imports. */
function scan(file: string, modules: Set<string>): { uses: Use[]; relatives: string[] } {
  const text = stripComments(fs.readFileSync(file, "utf8"));
  const uses: Use[] = [];
  const relatives: string[] = [];
  const namespaces: { local: string; module: string }[] = [];
  for (const m of text.matchAll(/(^|[;\n}])\s*(import|export)\s+(type\s+)?([^;'"`]*?)\s*from\s*(["'])([^"'\n]+)\5/g)) {
    const [, , , typeOnly, clause, , module] = m;
    if (module!.startsWith(".")) relatives.push(module!);
    if (typeOnly || !modules.has(module!)) continue;
    const at = m.index! + m[0].indexOf(m[2]!, m[1]!.length);
    const base = { file, line: lineOf(text, at), module: module!, text: oneLine(text.slice(at, m.index! + m[0].length)) };
    const braces = /\{([^}]*)\}/.exec(clause!);
    if (braces) uses.push({ ...base, kind: "named", specs: parseSpecs(braces[1]!, /\s+as\s+/) });
    const star = /\*\s*as\s+([\w$]+)/.exec(clause!);
    if (star) namespaces.push({ local: star[1]!, module: module! });
    const def = /^\s*([\w$]+)\s*(,|$)/.exec(clause!);
    if (def && m[2] === "import") uses.push({ ...base, kind: "default", specs: [{ name: "default" }], local: def[1]! });
  }
  for (const m of text.matchAll(/(?:import\s*\(|require\s*\(|^\s*import\s+)\s*(["'])(\.[^"'\n]+)\1/gm)) relatives.push(m[2]!);
  for (const m of text.matchAll(/\b(?:const|let|var)\s+(\{[^}]*\}|[\w$]+)\s*=\s*require\s*\(\s*(["'])([^"'\n]+)\2\s*\)/g)) {
    const module = m[3]!;
    if (!modules.has(module)) continue;
    const target = m[1]!;
    if (target.startsWith("{")) uses.push({ file, line: lineOf(text, m.index!), module, text: oneLine(m[0]), kind: "require", specs: parseSpecs(target.slice(1, -1), /\s*:\s*/) });
    else namespaces.push({ local: target, module });
  }
  for (const m of text.matchAll(/\brequire\s*\(\s*(["'])([^"'\n]+)\1\s*\)\s*\.\s*([\w$]+)/g)) {
    if (modules.has(m[2]!)) uses.push({ file, line: lineOf(text, m.index!), module: m[2]!, text: oneLine(m[0]), kind: "member", specs: [{ name: m[3]! }], local: `require("${m[2]}")` });
  }
  for (const ns of namespaces) {
    const escaped = ns.local.replace(/\$/g, "\\$");
    for (const m of text.matchAll(new RegExp(`(?<![\\w$.])${escaped}\\s*\\.\\s*([\\w$]+)`, "g"))) {
      uses.push({ file, line: lineOf(text, m.index!), module: ns.module, text: oneLine(m[0]), kind: "member", specs: [{ name: m[1]! }], local: ns.local });
    }
  }
  return { uses, relatives };
}

/** The file a relative import names, as a TypeScript-aware loader finds it (`./client.js` may be client.ts). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.(m|c)?jsx?$/, "");
  const candidates = [base, ...EXTENSIONS.map((e) => stem + e), ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => path.join(base, "index" + e))];
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

/** The closest exported name: the same letters in another case, Python's name for it, or a near spelling. */
function suggestion(name: string, names: Set<string>): { name: string; why: string } | undefined {
  const python = PYTHON[name];
  if (python && names.has(python)) return { name: python, why: `Fivetran's Python SDK calls ${python} ${name}` };
  for (const n of names) if (n.toLowerCase() === name.toLowerCase()) return { name: n, why: `it is spelled ${n}` };
  let best: string | undefined;
  let bestDistance = 3;
  for (const n of names) {
    const d = distance(n.toLowerCase(), name.toLowerCase());
    if (d < bestDistance && d < Math.max(2, n.length / 2)) [best, bestDistance] = [n, d];
  }
  return best ? { name: best, why: `did you mean ${best}?` } : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** What to write instead of a statement whose names are all known now, or undefined. */
function rewrite(use: Use, fixed: Map<string, string>): string | undefined {
  const quote = `"${use.module}"`;
  if (use.kind === "default") return `import * as ${use.local} from ${quote}; (or import { Connector, op, log } from ${quote})`;
  if (use.kind === "member") return fixed.has(use.specs[0]!.name) ? `${use.local}.${fixed.get(use.specs[0]!.name)}` : undefined;
  const specs = use.specs.map((s) => {
    const name = fixed.get(s.name) ?? s.name;
    // The local name stays, so that the code that uses it needs no change.
    const alias = s.alias ?? (name !== s.name ? s.name : undefined);
    if (!alias || alias === name) return name;
    s = { name, alias };
    return use.kind === "require" ? `${name}: ${alias}` : `${name} as ${alias}`;
  });
  if (use.kind === "require") return `const { ${specs.join(", ")} } = require(${quote});`;
  const keyword = use.text.startsWith("export") ? "export" : "import";
  return `${keyword} { ${specs.join(", ")} } from ${quote};`;
}

/**
 * The names the connector's files take from `modules` (a module name and its entry file) that the
 * module does not export, each with its file and line and what to write instead; empty when all are known.
 */
export function unknownSdkImports(connectorFile: string, modules: Record<string, string>): string[] {
  const exported = new Map<string, NonNullable<ReturnType<typeof exportedNames>>>();
  for (const [name, entry] of Object.entries(modules)) {
    const names = exportedNames(entry);
    if (names) exported.set(name, names);
  }
  const wanted = new Set(exported.keys());
  const problems: string[] = [];
  const queue = [path.resolve(connectorFile)];
  const seen = new Set(queue);
  for (let i = 0; i < queue.length && i < MAX_FILES; i++) {
    const file = queue[i]!;
    let found: ReturnType<typeof scan>;
    try {
      if (fs.statSync(file).size > MAX_BYTES) continue;
      found = scan(file, wanted);
    } catch {
      continue; // jiti reports a file it cannot read when it loads it.
    }
    for (const specifier of found.relatives) {
      const next = resolveRelative(file, specifier);
      if (next && !seen.has(next) && !next.split(path.sep).includes("node_modules")) {
        seen.add(next);
        queue.push(next);
      }
    }
    for (const use of found.uses) {
      const { all: names, values } = exported.get(use.module)!;
      const missing = use.specs.filter((s) => !names.has(s.name));
      if (missing.length === 0) continue;
      const where = `${path.relative(path.dirname(connectorFile), file) || file}:${use.line}`;
      const lines = [`${where}: ${use.text}`];
      const fixed = new Map<string, string>();
      for (const s of missing) {
        if (s.name === "default") {
          lines.push(`  "${use.module}" has no default export: take its names, or all of them as a namespace`);
          continue;
        }
        const hint = suggestion(s.name, names);
        if (hint) fixed.set(s.name, hint.name);
        lines.push(`  "${use.module}" has no export "${s.name}"${hint ? `: ${hint.why}` : `; it exports ${[...values].sort().join(", ")} (and types)`}`);
      }
      const instead = missing.every((s) => s.name === "default" || fixed.has(s.name)) ? rewrite(use, fixed) : undefined;
      if (instead) lines.push(`  Write instead: ${instead}`);
      problems.push(lines.join("\n"));
    }
  }
  return problems;
}
