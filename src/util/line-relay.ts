/**
 * Splits what a connector writes (console.log in the sync worker) into whole lines, so a
 * secret is never split between two chunks; holds them until `release()`, when the
 * configuration's secrets are known.
 */
export class LineRelay {
  private buffer = "";
  private held = true;
  private pending: string[] = [];

  constructor(private readonly sink: (line: string) => void) {}

  push(chunk: string | Buffer): void {
    this.buffer += String(chunk);
    const cut = this.buffer.lastIndexOf("\n");
    if (cut < 0) {
      // A very long line without an end: emit most of it, keeping a tail in case a secret straddles the cut.
      if (this.buffer.length > 1 << 20) {
        this.emit(this.buffer.slice(0, -4096));
        this.buffer = this.buffer.slice(-4096);
      }
      return;
    }
    for (const line of this.buffer.slice(0, cut).split("\n")) this.emit(line);
    this.buffer = this.buffer.slice(cut + 1);
  }

  release(): void {
    this.held = false;
    for (const line of this.pending.splice(0)) this.sink(line);
  }

  /** The end of the stream: the last line, even without a newline. */
  end(): void {
    if (this.buffer) this.emit(this.buffer);
    this.buffer = "";
    this.release();
  }

  private emit(line: string): void {
    if (this.held) this.pending.push(line);
    else this.sink(line);
  }
}
