/**
 * What a connector writes to stdout or stderr in the sync worker, sent to the main thread
 * as text instead of reaching the terminal, a pipe or `--json` output on its own: console.*
 * (through process.stdout and process.stderr), and writes straight to file descriptors 1
 * and 2 with fs.write and fs.writeSync, as fast loggers do (pino's sonic-boom).
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

export type StdioName = "stdout" | "stderr";

const FDS: Record<number, StdioName> = { 1: "stdout", 2: "stderr" };

type Callback = (...args: unknown[]) => void;

/** The text of an fs.write or fs.writeSync call after the descriptor, and how many bytes it says it wrote. */
function written(args: unknown[]): { text: string; bytes: number } {
  const [data, a, b] = args;
  if (typeof data === "string") {
    const encoding = (typeof b === "string" ? b : typeof a === "string" ? a : "utf8") as BufferEncoding;
    return { text: data, bytes: Buffer.byteLength(data, encoding) };
  }
  const view = ArrayBuffer.isView(data) ? data : new Uint8Array(0);
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const offset = typeof a === "number" ? a : 0;
  const length = typeof b === "number" ? b : bytes.length - offset;
  return { text: bytes.subarray(offset, offset + length).toString("utf8"), bytes: length };
}

export function captureStdio(send: (stream: StdioName, text: string) => void): void {
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name];
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const done = typeof encoding === "function" ? encoding : callback;
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
      if (text) send(name, text);
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
  }
  const writeSync = fs.writeSync;
  const write = fs.write;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    const name = FDS[fd];
    if (!name) return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
    const { text, bytes } = written(rest);
    if (text) send(name, text);
    return bytes;
  }) as typeof fs.writeSync;
  fs.write = ((fd: number, ...rest: unknown[]) => {
    const name = FDS[fd];
    if (!name) return (write as (...a: unknown[]) => void)(fd, ...rest);
    const callback = rest.pop() as Callback;
    const { text, bytes } = written(rest);
    if (text) send(name, text);
    process.nextTick(() => callback(null, bytes, rest[0]));
  }) as typeof fs.write;
  // `import { writeSync } from "node:fs"` sees the replacements too.
  syncBuiltinESMExports();
}
