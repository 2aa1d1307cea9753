import { stringifyExact } from "../util/exact.js";
/**
 * The output boundary: every line the CLI prints goes through here, so secrets become
 * `***`, terminal escapes from a connector never reach a file, a pipe or --json, and a
 * reader that closes the pipe early (`| head`) ends the command quietly.
 */
import { format } from "node:util";
import { LineRelay } from "../util/line-relay.js";
import { Redactor } from "../util/redactor.js";

const redactor = new Redactor();

/** The redactor of this run; commands add the configuration's secrets as soon as they know them. */
export function secrets(): Redactor {
  return redactor;
}

/** OSC, DCS, SOS, PM and APC strings (a terminal title, say), CSI sequences, other escapes, and control characters but tab and newline. */
const ESCAPES =
  /(?:\u001b[\]P^_X]|[\u0090\u0098\u009d-\u009f])[^\n]*?(?:\u0007|\u001b\\|\u009c|(?=\n)|$)|(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|\u001b[ -/]*[0-~]?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const SGR = /^\u001b\[[0-9;:]*m$/;

/**
 * Removes terminal escape sequences and control characters (terminal titles, cursor moves,
 * clears, bells, carriage returns); keeps colour (SGR) only when `keepColor` is set.
 */
export function stripEscapes(text: string, keepColor = false): string {
  return text.replace(/\r\n/g, "\n").replace(ESCAPES, (seq) => (keepColor && SGR.test(seq) ? seq : ""));
}

const colorOn = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && !("NO_COLOR" in process.env);

/**
 * What may be printed of a text on this stream: secrets hidden, and escapes only where a
 * colour terminal shows them. Secrets are hidden before the escapes are removed (a secret
 * may hold control characters) and after (an escape inside a secret would hide it from the
 * first pass, then vanish); a line whose secret only shows without colour loses its colour.
 */
export function printable(text: string, stream: NodeJS.WriteStream = process.stderr): string {
  if (redactor.size === 0) return stripEscapes(text, colorOn(stream));
  const bare = stripEscapes(redactor.text(text));
  const hidden = redactor.text(bare);
  if (!colorOn(stream) || hidden !== bare) return hidden;
  return stripEscapes(redactor.text(text), true);
}

const closed = new WeakSet<NodeJS.WriteStream>();

/**
 * A reader that went away (`connector inspect | head -1`) is not an error: stop writing to
 * that stream, quietly as `git log | head` does, and let the command finish with the exit
 * code it would have had (a sync whose stderr closed still commits).
 */
export function guardPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") closed.add(stream);
      else throw e;
    });
  }
}

/** The streams' own write, kept when --log-format json puts a wrapper in its place. */
const own = new Map<NodeJS.WriteStream, (text: string) => boolean>();

function write(stream: NodeJS.WriteStream, text: string): void {
  if (closed.has(stream) || stream.destroyed) return;
  const direct = own.get(stream);
  if (direct) direct(text);
  else stream.write(text);
}

/** A line of data on stdout. */
export function writeOut(text: string): void {
  write(process.stdout, printable(text, process.stdout));
}

/** A line for people on stderr. */
export function writeErr(text: string): void {
  write(process.stderr, printable(text, process.stderr));
}

/**
 * One JSON document on stdout, secrets hidden. JSON.stringify escapes C0 controls; the C1
 * range and DEL are escaped here too, so no raw control byte reaches a terminal.
 */
export function printJson(value: unknown, space = 2): void {
  write(process.stdout, jsonText(value, space) + "\n");
}

function jsonText(value: unknown, space = 2): string {
  return stringifyExact(redactor.value(value), space).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A JSON array on stdout, written an element at a time as the items arrive, so a long
 * history never has to be held in memory; the text is what printJson would print.
 */
export async function printJsonArray(items: AsyncIterable<unknown>): Promise<void> {
  let first = true;
  for await (const item of items) {
    write(process.stdout, (first ? "[\n" : ",\n") + jsonText(item).replace(/^/gm, "  "));
    first = false;
  }
  write(process.stdout, first ? "[]\n" : "\n]\n");
}

/** One JSON object on one line of stdout (JSON lines, for log collectors), secrets hidden. */
export function printJsonLine(value: unknown): void {
  printJson(value, 0);
}

/** While a connector runs in this thread (verify, state), its console output goes to stderr through the boundary, never into stdout. */
export function consoleToStderr(line: (text: string) => void): () => void {
  const methods = ["log", "info", "debug", "warn", "error", "trace"] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => line(format(...args));
  return () => methods.forEach((m, i) => (console[m] = saved[i]!));
}

let jsonLines = false;

/** Whether --log-format json is on: every line on stdout and stderr is then a JSON object. */
export function jsonLinesOn(): boolean {
  return jsonLines;
}

/** One JSON line of --log-format json: its time and type first. */
export function printEvent(type: string, fields: Record<string, unknown>): void {
  printJsonLine({ time: new Date().toISOString(), type, ...fields });
}

/**
 * A failure the error boundary reports (`Error: …`, `Internal error: …`) on stderr, or with
 * --log-format json an `error` line with the exit code, like every other line of that log.
 */
export function printError(text: string, exitCode: number): void {
  if (jsonLines) printEvent("error", { message: stripEscapes(text.replace(/^Error: /, "")), exitCode });
  else writeErr(`${text}\n`);
}

/**
 * --log-format json, for a log collector or `>> log 2>&1`: from now on, every line on both
 * streams is a JSON object on stdout. What the CLI prints itself is already JSON; anything
 * else that reaches process.stdout or process.stderr (commander's help, a writer thread's
 * stray output, a library's console call) becomes a `stdout` or `stderr` line with its text,
 * and Node's own warnings become `warning` lines. Uncaught errors are the error boundary's.
 */
export function useJsonLines(): void {
  if (jsonLines) return;
  jsonLines = true;
  for (const [stream, type] of [
    [process.stdout, "stdout"],
    [process.stderr, "stderr"],
  ] as const) {
    own.set(stream, stream.write.bind(stream) as (text: string) => boolean);
    const relay = new LineRelay((line) => {
      if (line.trim()) printEvent(type, { message: stripEscapes(line) });
    });
    relay.release();
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const done = typeof encoding === "function" ? encoding : callback;
      relay.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8"));
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
    process.on("exit", () => relay.end());
  }
  // Node prints warnings itself unless --no-warnings took its printer away; print them as JSON instead.
  if (process.listenerCount("warning") > 0) {
    process.removeAllListeners("warning");
    process.on("warning", (w: Error) => printEvent("warning", { message: stripEscapes(`${w.name}: ${w.message}`) }));
  }
}
