/**
 * Where in the connector's own code each problem of schema()'s array is: the line of the table's
 * entry when its `table: "name"` can be found in the file that defines schema(), else the line of
 * schema() itself. V8 knows where a function is defined ([[FunctionLocation]]), which the
 * inspector tells; the array itself carries no location, so an entry is found by its text.
 * Asked only when schema() has problems: enabling the debugger to name the file takes a moment.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import type { SchemaProblem } from "../normalize/declared.js";
import { builtin } from "../util/builtin.js";

interface Place {
  file: string;
  /** 1-based. */
  line: number;
}

/** The file and line where `fn` is defined, or undefined when the inspector cannot say (a native or bound function). */
export function functionPlace(fn: unknown): Place | undefined {
  if (typeof fn !== "function") return undefined;
  // On a problem's path only: node:inspector costs every sync worker's start a few milliseconds.
  const { Session } = builtin("node:inspector");
  const session = new Session();
  const key = Symbol.for("connector-sdk.locate");
  const g = globalThis as { [key]?: unknown };
  try {
    session.connect();
    // Session.post answers synchronously in the same thread.
    const post = <T>(method: string, params?: object): T => {
      let reply: T | undefined;
      let failure: Error | null = null;
      (session.post as (m: string, p: object | undefined, cb: (e: Error | null, r: T) => void) => void)(method, params, (e, r) => {
        failure = e;
        reply = r;
      });
      if (failure) throw failure as Error;
      return reply!;
    };
    g[key] = fn;
    const { result } = post<{ result: { objectId?: string } }>("Runtime.evaluate", { expression: `globalThis[Symbol.for("connector-sdk.locate")]` });
    if (!result.objectId) return undefined;
    const props = post<{ internalProperties?: { name: string; value?: { value?: { scriptId: string; lineNumber: number } } }[] }>("Runtime.getProperties", { objectId: result.objectId, ownProperties: true });
    const location = props.internalProperties?.find((p) => p.name === "[[FunctionLocation]]")?.value?.value;
    if (!location) return undefined;
    let url: string | undefined;
    session.on("Debugger.scriptParsed", (m: { params: { scriptId: string; url: string } }) => {
      if (m.params.scriptId === location.scriptId) url = m.params.url;
    });
    post("Debugger.enable");
    post("Debugger.disable");
    if (!url) return undefined;
    return { file: url.startsWith("file:") ? fileURLToPath(url) : url, line: location.lineNumber + 1 };
  } catch {
    return undefined;
  } finally {
    delete g[key];
    session.disconnect();
  }
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * One `at …` line per problem: `at table "users" (/path/connector.ts:7)` where the entry's text
 * is found after schema()'s first line, else `at schema (/path/connector.ts:4)`; none when not
 * even schema() can be placed. `declared` is the array schema() returned.
 * An entry's text is `table: "name"` (any quotes); the n-th entry of a name is its n-th such text.
 */
export function locateProblems(problems: SchemaProblem[], declared: unknown, schema: unknown): string[] | undefined {
  const place = functionPlace(schema);
  if (!place) return undefined;
  let lines: string[] = [];
  try {
    lines = fs.readFileSync(place.file, "utf8").split("\n");
  } catch {
    // Only schema()'s own line, then.
  }
  // A transform that moved lines (a test runner's, not jiti's) gives a line of its own output: then only the file is certain.
  const name = (schema as { name?: unknown }).name;
  const certain = lines.length === 0 || typeof name !== "string" || name === "" || Boolean(lines[place.line - 1]?.includes(name));
  const from = certain ? place.line : 1;
  const entries = Array.isArray(declared) ? declared : [];
  const entryLine = (table: string, entry: number): number | undefined => {
    const nth = entries.slice(0, entry).filter((e) => (e as { table?: unknown } | null)?.table === table).length;
    const pattern = new RegExp(`["']?table["']?\\s*:\\s*(["'\`])${escape(table)}\\1`);
    let seen = 0;
    for (let i = from - 1; i < lines.length; i++) {
      if (pattern.test(lines[i]!) && seen++ === nth) return i + 1;
    }
    return undefined;
  };
  return problems.map((p) => {
    const line = p.table !== undefined && p.entry !== undefined ? entryLine(p.table, p.entry) : undefined;
    if (line !== undefined) return `at table ${JSON.stringify(p.table)} (${place.file}:${line})`;
    return `at schema (${place.file}${certain ? `:${place.line}` : ""})`;
  });
}
