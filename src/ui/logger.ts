import type { ChalkInstance } from "chalk";
import type { Ora } from "ora";
import type { LogLevel } from "../sdk/active-sync.js";
import { secrets, writeErr } from "./output.js";

export { printJson } from "./output.js";

/** The colours the CLI paints with, by chalk's names, and chalk's level (0: none). */
export type Colors = Pick<ChalkInstance, "level"> & Record<"bold" | "cyan" | "dim" | "gray" | "green" | "red" | "yellow", (text: string) => string>;

const plain = (text: string): string => text;
/** What chalk at level 0 does with one string: nothing. */
const NO_COLORS: Colors = { level: 0, bold: plain, cyan: plain, dim: plain, gray: plain, green: plain, red: plain, yellow: plain };

// chalk only where colour shows: loading it (its modules and node:tty) costs every piped run (tests, CI, cron) several ms of CPU.
const colors: Colors = "NO_COLOR" in process.env || !process.stderr.isTTY ? NO_COLORS : (await import("chalk")).default;

export interface UiOptions {
  json: boolean;
  verbose: boolean;
}

/**
 * The one place that owns chalk and ora. Everything goes to stderr; stdout is kept for
 * data (--json). Colour and the spinner appear only on a TTY, and never with NO_COLOR.
 */
export class Ui {
  readonly color: Colors;
  readonly tty: boolean;
  private spinner: Ora | undefined;
  private spinnerWanted = false;

  constructor(readonly options: UiOptions) {
    // A terminal that reports no width (some pseudo-terminals do) sends ora's redraw into
    // an endless loop of line clears: treat it like a pipe.
    this.tty = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI;
    this.color = colors;
  }

  /** Lines for people: suppressed in --json mode, where stdout carries the report. */
  info(text: string): void {
    if (!this.options.json) this.write(text);
  }

  /** A verdict in its colour: green for PASS, PASSED or SUCCEEDED, red for FAIL or FAILED, yellow for WARN; other text as it is. */
  readonly status = (text: string): string => {
    const word = /\b(PASS|PASSED|SUCCEEDED|FAIL|FAILED|WARN)\b/.exec(text)?.[1];
    if (word === undefined) return text;
    return word === "WARN" ? this.color.yellow(text) : word.startsWith("FAIL") ? this.color.red(text) : this.color.green(text);
  };

  warn(text: string): void {
    this.write(this.color.yellow(`Warning: ${text}`));
  }

  error(text: string): void {
    this.write(this.color.red(text));
  }

  /** A line the connector wrote itself (console.log in the sync worker): shown in every mode, on stderr. */
  passthrough(text: string): void {
    this.write(text);
  }

  /** A connector's log.* line: time, level, message. */
  log(level: LogLevel, message: string): void {
    if (level === "DEBUG" && !this.options.verbose) return;
    const time = new Date().toTimeString().slice(0, 8) + "." + String(new Date().getMilliseconds()).padStart(3, "0");
    const paint = level === "ERROR" ? this.color.red : level === "WARNING" ? this.color.yellow : level === "DEBUG" ? this.color.gray : (s: string) => s;
    // Redacted before the indent, which would split a secret that spans lines.
    this.write(paint(`${time} ${level.padEnd(7)} ${secrets().text(message).replace(/\n/g, "\n" + " ".repeat(21))}`));
  }

  /** ora is imported only here, because loading it costs more than the rest of a short run's start-up. */
  async startSpinner(text: string): Promise<void> {
    if (this.options.json || !this.tty) return;
    this.spinnerWanted = true;
    const { default: ora } = await import("ora");
    if (this.spinnerWanted && !this.spinner) this.spinner = ora({ text, stream: process.stderr, discardStdin: false, color: this.color.level > 0 ? "cyan" : false }).start();
  }

  spin(text: string): void {
    if (this.spinner) this.spinner.text = text;
  }

  stopSpinner(): void {
    this.spinnerWanted = false;
    this.spinner?.stop();
    this.spinner = undefined;
  }

  get spinning(): boolean {
    return this.spinnerWanted;
  }

  /** Writes a line without tearing the spinner: clear it, write, redraw. The output boundary hides secrets and stray escapes. */
  private write(text: string): void {
    if (this.spinner) {
      this.spinner.clear();
      writeErr(text + "\n");
      this.spinner.render();
    } else {
      writeErr(text + "\n");
    }
  }
}
