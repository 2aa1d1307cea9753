import chalk, { Chalk, type ChalkInstance } from "chalk";
import type { Ora } from "ora";
import { stringifyExact } from "../core/exact.js";
import type { LogLevel } from "../core/registry.js";

export interface UiOptions {
  json: boolean;
  verbose: boolean;
}

/**
 * The one place that owns chalk and ora. Everything goes to stderr; stdout is kept for
 * data (--json). Colour and the spinner appear only on a TTY, and never with NO_COLOR.
 */
export class Ui {
  readonly color: ChalkInstance;
  readonly tty: boolean;
  private spinner: Ora | undefined;
  private spinnerWanted = false;

  constructor(readonly options: UiOptions) {
    // A terminal that reports no width (some pseudo-terminals do) sends ora's redraw into
    // an endless loop of line clears: treat it like a pipe.
    this.tty = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI;
    const noColor = "NO_COLOR" in process.env || !process.stderr.isTTY;
    this.color = noColor ? new Chalk({ level: 0 }) : chalk;
  }

  /** Lines for people: suppressed in --json mode, where stdout carries the report. */
  info(text: string): void {
    if (!this.options.json) this.write(text);
  }

  warn(text: string): void {
    this.write(this.color.yellow(`Warning: ${text}`));
  }

  error(text: string): void {
    this.write(this.color.red(text));
  }

  /** A connector's log.* line: time, level, message. */
  log(level: LogLevel, message: string): void {
    if (level === "DEBUG" && !this.options.verbose) return;
    const time = new Date().toTimeString().slice(0, 8) + "." + String(new Date().getMilliseconds()).padStart(3, "0");
    const paint = level === "ERROR" ? this.color.red : level === "WARNING" ? this.color.yellow : level === "DEBUG" ? this.color.gray : (s: string) => s;
    this.write(paint(`${time} ${level.padEnd(7)} ${message.replace(/\n/g, "\n" + " ".repeat(21))}`));
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

  /** Writes a line without tearing the spinner: clear it, write, redraw. */
  private write(text: string): void {
    if (this.spinner) {
      this.spinner.clear();
      process.stderr.write(text + "\n");
      this.spinner.render();
    } else {
      process.stderr.write(text + "\n");
    }
  }
}

/** Prints one JSON document on stdout; a bigint prints as its exact digits. */
export function printJson(value: unknown): void {
  process.stdout.write(stringifyExact(value, 2) + "\n");
}
