// `connector run --log-format json`, as the README's cron line runs it (`>> log 2>&1`): every line of
// stdout and stderr is a JSON object, whatever fails, and whoever writes it.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, type CliResult } from "../helpers.js";

interface Line {
  time: string;
  type: string;
  message?: string;
  exitCode?: number;
  [key: string]: unknown;
}

/** Every line of both streams, each parsed as a JSON object with a time and a type; a line that is not fails the test, quoted. */
function jsonLines(r: CliResult): Line[] {
  const lines: Line[] = [];
  for (const [name, text] of [
    ["stdout", r.stdout],
    ["stderr", r.stderr],
  ] as const) {
    for (const line of text.split("\n")) {
      if (line === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`a line on ${name} is not JSON: ${line}\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`);
      }
      expect(parsed, line).toMatchObject({ time: expect.any(String), type: expect.any(String) });
      lines.push(parsed as Line);
    }
  }
  return lines;
}

const checkpointing = `import { op } from "connector-sdk";\nexport default { update() { op.checkpoint({ n: 1 }); } };\n`;

/** Fails, warns or throws in the CLI's own thread once the connector has written ./trigger: loaded with NODE_OPTIONS=--import. */
const mainThread = `import fs from "node:fs";
import { isMainThread } from "node:worker_threads";
if (isMainThread && process.env.BOOM) {
  const timer = setInterval(() => {
    if (!fs.existsSync("trigger")) return;
    clearInterval(timer);
    if (process.env.BOOM === "warn") {
      process.on("warning", () => setImmediate(() => fs.writeFileSync("fired", "")));
      process.emitWarning("a warning in the main thread");
    }
    if (process.env.BOOM === "throw") throw new Error("an exception in the main thread");
    if (process.env.BOOM === "reject") Promise.reject(new Error("a rejection in the main thread"));
  }, 5);
  timer.unref();
}
`;

const waitsForMainThread = `import fs from "node:fs";
import { op } from "connector-sdk";
export default {
  async update() {
    fs.writeFileSync("trigger", "");
    for (let i = 0; i < 2000 && !fs.existsSync("fired"); i++) await new Promise((r) => setTimeout(r, 10));
    op.checkpoint({ n: 1 });
  },
};
`;

interface Case {
  name: string;
  files: Record<string, string>;
  args: string[];
  env?: Record<string, string>;
  code: number;
  /** Lines that must be among the output, as partial matches. */
  has: Partial<Line>[];
}

const CASES: Case[] = [
  { name: "an unknown flag (commander's own error)", files: { "connector.ts": checkpointing }, args: ["run", "--bogus", "--log-format", "json"], code: 2, has: [{ type: "error", exitCode: 2, message: "error: unknown option '--bogus'" }] },
  {
    name: "an unknown command, with --log-format=json",
    files: {},
    args: ["rnu", "--log-format=json"],
    code: 2,
    has: [{ type: "error", exitCode: 2, message: expect.stringContaining("unknown command 'rnu'") as unknown as string }],
  },
  { name: "a missing project", files: {}, args: ["run", "nowhere", "--destination", "sqlite:w.db", "--log-format", "json"], code: 2, has: [{ type: "error", exitCode: 2, message: expect.stringContaining("Project directory not found") as unknown as string }] },
  {
    name: "a malformed configuration",
    files: { "connector.ts": checkpointing, "configuration.json": '{"a": 1,}' },
    args: ["run", "--destination", "sqlite:w.db", "--log-format", "json"],
    code: 2,
    has: [{ type: "error", exitCode: 2, message: expect.stringContaining("configuration.json is not valid JSON") as unknown as string }],
  },
  {
    name: "a destination that is not a URL",
    files: { "connector.ts": checkpointing },
    args: ["run", "--destination", "mysql://u@h/db", "--log-format", "json"],
    code: 2,
    has: [{ type: "error", exitCode: 2, message: expect.stringContaining("--destination must be a destination URL") as unknown as string }],
  },
  {
    name: "a connector that throws (with its crash report)",
    files: { "connector.ts": `export default { update() { throw new TypeError("x is not a function"); } };\n` },
    args: ["run", "--destination", "sqlite:w.db", "--log-format", "json"],
    code: 1,
    has: [{ type: "crash-report" }, { type: "report", status: "failed", error: expect.stringContaining("x is not a function") as unknown as string }],
  },
  {
    name: "a thrown non-Error",
    files: { "connector.ts": `export default { update() { throw { code: 42 }; } };\n` },
    args: ["run", "--destination", "sqlite:w.db", "--log-format", "json"],
    code: 1,
    // Its first line, then, as under an Error, the place it was thrown.
    has: [{ type: "report", status: "failed", error: expect.stringMatching(/^the connector threw a non-Error value: \{"code":42\}\n {4}at update \(.*connector\.ts:1\)$/) as unknown as string }],
  },
  {
    name: "a connector that prints: console, file descriptors 1 and 2, child processes, Node warnings",
    files: {
      "connector.ts": `import fs, { writeSync } from "node:fs";
import { execSync } from "node:child_process";
import { op } from "connector-sdk";
export default {
  async update() {
    console.log("two\\nlines");
    console.error({ an: "object" });
    fs.writeSync(1, "straight to fd 1\\n");
    writeSync(2, Buffer.from("straight to fd 2\\n"));
    await new Promise<void>((resolve) => fs.write(1, "fs.write to fd 1\\n", () => resolve()));
    execSync("echo from a child >&2");
    process.emitWarning("careful");
    await new Promise((r) => setTimeout(r, 10));
    op.checkpoint({ n: 1 });
    process.stdout.write("no newline at the end");
  },
};
`,
    },
    args: ["run", "--destination", "sqlite:w.db", "--log-format", "json"],
    code: 0,
    has: [
      { type: "output", message: "two" },
      { type: "output", message: "lines" },
      { type: "output", message: "{ an: 'object' }" },
      { type: "output", message: "straight to fd 1" },
      { type: "output", message: "straight to fd 2" },
      { type: "output", message: "fs.write to fd 1" },
      { type: "output", message: "from a child" },
      { type: "output", message: expect.stringContaining("Warning: careful") as unknown as string },
      { type: "output", message: "no newline at the end" },
      { type: "report", status: "succeeded" },
    ],
  },
  {
    name: "a warning of Node's in the CLI's own thread",
    files: { "connector.ts": waitsForMainThread, "main-thread.mjs": mainThread },
    args: ["run", "--destination", "sqlite:w.db", "--log-format", "json"],
    env: { BOOM: "warn" },
    code: 0,
    has: [{ type: "warning", message: "Warning: a warning in the main thread" }, { type: "report", status: "succeeded" }],
  },
  {
    name: "an uncaught exception in the CLI's own thread",
    files: { "connector.ts": waitsForMainThread, "main-thread.mjs": mainThread },
    args: ["run", "--destination", "sqlite:w.db", "--log-format", "json"],
    env: { BOOM: "throw" },
    code: 1,
    has: [{ type: "error", exitCode: 1, message: expect.stringContaining("Internal error: Error: an exception in the main thread") as unknown as string }],
  },
  {
    name: "an unhandled rejection in the CLI's own thread",
    files: { "connector.ts": waitsForMainThread, "main-thread.mjs": mainThread },
    args: ["run", "--destination", "sqlite:w.db", "--log-format", "json"],
    env: { BOOM: "reject" },
    code: 1,
    has: [{ type: "error", exitCode: 1, message: expect.stringContaining("Internal error: Error: a rejection in the main thread") as unknown as string }],
  },
];

describe("connector run --log-format json: every line of both streams is JSON", () => {
  for (const c of CASES) {
    it(`${c.name}: exit ${c.code}`, async () => {
      const dir = makeProject(c.files);
      const env = c.env ? { ...c.env, NODE_OPTIONS: `--import ${path.join(dir, "main-thread.mjs")}` } : undefined;
      const r = await cli(c.args, { cwd: dir, env });
      const lines = jsonLines(r);
      expect(r.exitCode, r.stdout + r.stderr).toBe(c.code);
      for (const want of c.has) expect(lines, JSON.stringify(want)).toContainEqual(expect.objectContaining(want));
      // Each error is said once.
      expect(lines.filter((l) => l.type === "error").length).toBeLessThanOrEqual(1);
    });
  }

  it("the crash report's line names the file, and the report line carries it", async () => {
    const dir = makeProject({ "connector.ts": `export default { update() { throw new TypeError("x is not a function"); } };\n` });
    const lines = jsonLines(await cli(["run", "--destination", "sqlite:w.db", "--log-format", "json"], { cwd: dir }));
    const notice = lines.find((l) => l.type === "crash-report")!;
    const report = lines.find((l) => l.type === "report")!;
    expect(notice.file).toMatch(/^crash-reports\/.*\.json$/);
    expect(report.crashReport).toBe(notice.file);
    expect(fs.existsSync(path.join(dir, notice.file as string))).toBe(true);
  });
});
