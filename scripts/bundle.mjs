// The second step of `npm run build`, after tsc: bundles the CLI and each of its worker threads, so that
// a thread loads a handful of files instead of ~90 (Node 20's ES module loader costs CPU per file: W6 in
// docs/performance.md). It reads tsc's output in dist/ and writes the bundled entry points over their
// own files, with the code an entry's dynamic imports share in dist/chunks/<thread>/; every other file of
// dist/ stays tsc's.
//
// - The library's modules (what dist/index.js and dist/http.js import) stay tsc's files, imported by path:
//   a connector loads them through "connector-sdk", and the SDK's state (the active sync, op, log) must be
//   one module instance in a thread, whoever imports it.
// - `import.meta.url` keeps meaning the file tsc wrote (dist/host/sync-run.js, …), so the paths computed
//   from it (package.json, templates, worker entry points) are the same as without the bundle.
// - A dist/ of tsc's alone works too (the bundle only replaces entry points); `node scripts/bundle.mjs`
//   refuses to bundle its own output.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const DIST = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist"));
const MARK = "/* Bundled by scripts/bundle.mjs */";

// The CLI and every file a Worker or a module URL starts: each runs as its own thread's first module.
// One build per kind of thread: a thread's modules then come in a few files, not in the dozens of chunks
// that code shared between threads splits into (each file costs Node 20's ES module loader CPU). A thread
// never loads another build's files, so each module still has one instance per thread: the entries of a
// build are the files one thread may load together (bin/connector.js loads early-worker and cli; a writer
// thread imports its destination's module by URL).
const THREADS = {
  main: ["cli", "commands/early-worker"],
  sync: ["host/sync-worker"],
  verify: ["host/verify-worker"],
  "setup-test": ["setup/setup-test-worker"],
  writer: ["destinations/threaded/writer", "destinations/duckdb/destination", "destinations/postgres/destination"],
};
const ENTRIES = Object.values(THREADS).flat();
const LIBRARY = ["index", "http"];

for (const entry of ENTRIES) {
  const file = path.join(DIST, `${entry}.js`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run tsc first (npm run build)`);
  if (fs.readFileSync(file, "utf8").slice(0, 300).includes(MARK)) throw new Error(`${file} is already bundled: run npm run build, which runs tsc first`);
}

/** The files the library entry points import, transitively: they stay separate modules. */
function libraryFiles() {
  const seen = new Set();
  const todo = LIBRARY.map((e) => path.join(DIST, `${e}.js`));
  while (todo.length) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const code = fs.readFileSync(file, "utf8");
    for (const m of code.matchAll(/(?:\bfrom\s*|^import\s*|\bimport\s*\(\s*)"(\.{1,2}\/[^"]+)"/gm)) todo.push(path.resolve(path.dirname(file), m[1]));
  }
  return seen;
}
const library = libraryFiles();
const relative = (file) => path.relative(DIST, file).split(path.sep).join("/");

// commander, bundled into the CLI's thread: its seven CommonJS files are then no files to resolve and read at every start,
// and the node:child_process it requires at load (with net, dgram and the socket list: about 3 ms of CPU), for subcommands
// run as executables, which this CLI has none of, is required when one would be spawned.
const COMMANDER = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "node_modules", "commander");
const COMMANDER_REQUIRE = /^export const \{ Command, CommanderError, Option \} = createRequire\(import\.meta\.url\)\("commander"\);$/m;
const CHILD_PROCESS = "const childProcess = require('node:child_process');";
function commanderFile(id) {
  const code = fs.readFileSync(id, "utf8");
  if (!id.endsWith(`${path.sep}command.js`)) return code;
  if (!code.includes(CHILD_PROCESS)) throw new Error(`${id} no longer requires node:child_process as scripts/bundle.mjs expects`);
  return code.replace(CHILD_PROCESS, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };");
}
if (!COMMANDER_REQUIRE.test(fs.readFileSync(path.join(DIST, "cli", "commander.js"), "utf8"))) throw new Error("dist/cli/commander.js no longer loads commander as scripts/bundle.mjs expects");

fs.rmSync(path.join(DIST, "chunks"), { recursive: true, force: true });
for (const [thread, entries] of Object.entries(THREADS)) await bundle(thread, entries);

async function bundle(thread, entries) {
  await build({
    input: Object.fromEntries(entries.map((e) => [e, path.join(DIST, `${e}.js`)])),
    platform: "node",
    transform: { target: "node20" },
    logLevel: "warn",
    // No tree shaking and no dead-code elimination (output.minify): both drop calls they take for pure, and a
    // call made for the error it throws is not (`try { decodeURIComponent(v) } catch` in
    // destinations/postgres/url.ts lost its check). tsc's files run every statement; the bundle must too.
    treeshake: false,
    // Packages stay packages, but for commander in the CLI's thread (see COMMANDER); rolldown's own helpers (a template
    // literal holding "</script>" is rewritten with one) are bundled.
    external: (id) => !id.startsWith(".") && !path.isAbsolute(id) && !id.startsWith("@oxc-project/runtime/") && !(thread === "main" && id === "commander"),
    plugins: [
      {
        name: "connector-sdk-dist",
        resolveId(source, importer) {
          if (!importer || !source.startsWith(".")) return null;
          const file = path.resolve(path.dirname(importer), source);
          return library.has(file) ? { id: `@dist/${relative(file)}`, external: true } : null;
        },
        load(id) {
          if (id.startsWith(COMMANDER + path.sep)) return commanderFile(id);
          if (!id.startsWith(DIST + path.sep) || !id.endsWith(".js")) return null;
          const code = fs.readFileSync(id, "utf8");
          // Another thread's entry, already bundled by an earlier build: its modules would run twice in one thread.
          if (code.slice(0, 300).includes(MARK)) throw new Error(`${relative(id)} belongs to another thread's build: put its entry in the ${thread} build too`);
          const mapFile = `${id}.map`;
          return { code, map: fs.existsSync(mapFile) ? fs.readFileSync(mapFile, "utf8") : null };
        },
        transform(code, id) {
          if (id === path.join(DIST, "cli", "commander.js")) code = code.replace(COMMANDER_REQUIRE, 'import * as Commander from "commander";\nexport const { Command, CommanderError, Option } = Commander;');
          // Only tsc's files: rolldown's runtime keeps its own chunk's import.meta.url.
          if (!id.startsWith(DIST + path.sep) || !code.includes("import.meta.url")) return id === path.join(DIST, "cli", "commander.js") ? { code, map: null } : null;
          return { code: code.replaceAll("import.meta.url", `new URL(${JSON.stringify(relative(id))}, __connectorDist).href`), map: null };
        },
        renderChunk(code, chunk) {
          // The library's files by their path from this chunk; the root on the first line, so that the source map's lines hold.
          const up = "../".repeat(chunk.fileName.split("/").length - 1) || "./";
          const root = code.includes("__connectorDist") ? `const __connectorDist = new URL(${JSON.stringify(up)}, import.meta.url); ` : "";
          return { code: `${MARK} ${root}` + code.replace(/(["'])@dist\/([^"']+)\1/g, (_, q, file) => `${q}${up}${file}${q}`), map: null };
        },
      },
    ],
    output: {
      dir: DIST,
      format: "esm",
      sourcemap: true,
      minify: false,
      // ASCII only, and no comments: a file with one non-ASCII character becomes a two-byte string in V8, decoded,
      // kept and scanned at twice the size (the sync worker's largest bundle held 32 such lines, most in comments).
      charset: "ascii",
      comments: false,
      entryFileNames: "[name].js",
      chunkFileNames: `chunks/${thread}/[name]-[hash].js`,
    },
  });
}
