/**
 * The only writer of stdout while an engine command runs: one protocol message per line,
 * buffered and written with the real fs.writeSync on file descriptor 1. Everything else that
 * would reach stdout or stderr (the connector's console.log, a write to fd 1, our own notes)
 * is captured and handed to `divert` line by line, for the engine to turn into LOG messages
 * (Airbyte) or stderr lines (Singer). Secrets are masked in diverted lines.
 */
import fs from "node:fs";
import { captureStdio } from "../host/stdio-capture.js";
import { LineRelay } from "../util/line-relay.js";
import { Redactor } from "../util/redactor.js";

const realWriteSync = fs.writeSync;
const FLUSH_AT = 1 << 16;

export type Divert = (stream: "stdout" | "stderr", line: string) => void;

export class MessageOut {
  private buffer = "";
  readonly redactor = new Redactor();
  private relays?: Record<"stdout" | "stderr", LineRelay>;

  /** Adds a line; written at once when `now`, else when the buffer is full or at the next flush. */
  line(text: string, now = false): void {
    this.buffer += text + "\n";
    if (now || this.buffer.length >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const data = Buffer.from(this.buffer, "utf8");
    this.buffer = "";
    let off = 0;
    while (off < data.length) {
      try {
        off += realWriteSync(1, data, off, data.length - off);
      } catch (e) {
        // A pipe whose reader is slower than us, in non-blocking mode: wait for it.
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        throw e;
      }
    }
  }

  /** From now on, stdout and stderr writes by anyone but this writer go to `divert`, one line at a time, secrets masked. */
  capture(divert: Divert): void {
    const relay = (stream: "stdout" | "stderr"): LineRelay => {
      const r = new LineRelay((line) => divert(stream, this.redactor.text(line)));
      r.release();
      return r;
    };
    this.relays = { stdout: relay("stdout"), stderr: relay("stderr") };
    captureStdio((stream, text) => this.relays![stream].push(text));
  }

  /** Diverts what is left of a line without its end, then writes what is buffered. */
  end(): void {
    if (this.relays) for (const r of Object.values(this.relays)) r.end();
    this.flush();
  }
}

/** The real stderr, for Singer's log lines: written synchronously, so a line is never lost at exit. */
export function writeStderr(text: string): void {
  try {
    realWriteSync(2, text.endsWith("\n") ? text : text + "\n");
  } catch {
    // stderr closed: nothing else to tell.
  }
}

/**
 * The engine's work is done and its output written: if something the connector left behind (a timer, a socket)
 * keeps the process alive, it ends anyway a second later, as the engines wait for the process, not for its output.
 */
export function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 1000).unref();
}
