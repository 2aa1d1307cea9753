/**
 * Reads answers from the terminal, key by key, for a whole form. One reader serves every
 * question, so keys typed ahead are never lost between two questions, and a secret answer
 * is read with echo off: what is typed never reaches the screen, nor any recording of it.
 */
import readline from "node:readline";
import { InterruptedError } from "../util/errors.js";

interface Key {
  sequence?: string;
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
}

/** End of input (Ctrl-D on an empty line): the user gave up. */
export class EndOfInput extends Error {
  override name = "EndOfInput";
}

export class TerminalReader {
  private keys: [string | undefined, Key][] = [];
  private waiting: (() => void) | undefined;
  private readonly onKey = (s: string | undefined, key: Key | undefined): void => {
    this.keys.push([s, key ?? {}]);
    this.waiting?.();
  };

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stderr,
  ) {
    readline.emitKeypressEvents(input);
    // Raw mode before the first question: the terminal's own echo is off from the start.
    input.setRawMode(true);
    input.on("keypress", this.onKey);
    input.resume();
  }

  close(): void {
    this.input.off("keypress", this.onKey);
    this.input.setRawMode(false);
    this.input.pause();
  }

  private next(): Promise<[string | undefined, Key]> {
    const k = this.keys.shift();
    if (k) return Promise.resolve(k);
    return new Promise((resolve) => {
      this.waiting = () => {
        this.waiting = undefined;
        resolve(this.keys.shift()!);
      };
    });
  }

  /**
   * One line, after the prompt has been written. `hidden` echoes nothing, not even a mask,
   * so the length of a secret does not show either. Ctrl-C interrupts; Ctrl-D on an empty
   * line is the end of input.
   */
  async line(hidden: boolean): Promise<string> {
    let text = "";
    let lastWasReturn = false;
    for (;;) {
      const [s, key] = await this.next();
      // Enter arrives as \r on a raw terminal, and as \r\n or \n from some programs: one line each time.
      if (key.name === "enter" && lastWasReturn) {
        lastWasReturn = false;
        continue;
      }
      lastWasReturn = key.name === "return";
      if (key.ctrl && key.name === "c") {
        this.output.write("\n");
        throw new InterruptedError("SIGINT");
      }
      if (key.ctrl && key.name === "d") {
        if (text === "") {
          this.output.write("\n");
          throw new EndOfInput("end of input");
        }
        continue;
      }
      if (key.name === "return" || key.name === "enter") {
        this.output.write("\n");
        return text;
      }
      if (key.name === "backspace") {
        if (text.length > 0) {
          const chars = [...text];
          chars.pop();
          text = chars.join("");
          if (!hidden) this.output.write("\b \b");
        }
        continue;
      }
      if (key.ctrl && key.name === "u") {
        if (!hidden) this.output.write("\b \b".repeat([...text].length));
        text = "";
        continue;
      }
      // Printable characters only: no arrows, function keys or other escape sequences.
      if (s === undefined || key.ctrl || key.meta || /[\u0000-\u001f\u007f]/.test(s)) continue;
      text += s;
      if (!hidden) this.output.write(s);
    }
  }
}
