/**
 * The warnings of one sync, in the order they came: each sent on as it comes and listed in the
 * result. Updates that matched no row are summed per table and reported at the end; op.warning's
 * distinct messages are listed up to a cap, so a warning per row cannot fill the memory.
 */

/** The distinct op.warning messages a result lists. */
const MAX_LISTED_WARNINGS = 100;

export class SyncWarnings {
  readonly list: string[] = [];
  private readonly warned = new Set<string>();
  private readonly noMatch = new Map<string, number>();
  private readonly connectorWarnings = new Set<string>();
  private unlisted = 0;

  constructor(private readonly sent?: (message: string) => void) {}

  add(message: string): void {
    this.list.push(message);
    this.sent?.(message);
  }

  /** A warning given once per sync, however often its cause comes back. */
  once(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.add(message);
  }

  /** Updates on a table that matched no row and changed nothing. */
  unmatched(table: string, n = 1): void {
    this.noMatch.set(table, (this.noMatch.get(table) ?? 0) + n);
  }

  /** op.warning's message, listed once among the run's warnings (the log shows every call). */
  connector(message: string): void {
    if (this.connectorWarnings.has(message)) return;
    if (this.connectorWarnings.size >= MAX_LISTED_WARNINGS) {
      this.unlisted++;
      return;
    }
    this.connectorWarnings.add(message);
    this.add(message);
  }

  /** A state file left from another warehouse (debug's, or one deleted since): the rows before its cursor are missing here. */
  stateWithoutRows(stateFile: string, destination: string): void {
    this.add(
      `this sync starts from the state in ${stateFile}, but ${destination} holds no checkpoint yet, so what the source gave before that state is not loaded into it. To load everything, start from an empty state (\`connector reset\`, or --state with a new file).`,
    );
  }

  /** The end of the sync: the summed warnings. */
  report(): void {
    for (const [table, n] of this.noMatch) {
      this.add(`${n} update(s) on table "${table}" matched no row and changed nothing; op.update only changes rows that exist (use op.upsert to insert).`);
    }
    this.noMatch.clear();
    if (this.unlisted === 0) return;
    this.add(`op.warning was called ${this.unlisted.toLocaleString("en-US")} more time(s), with messages beyond the ${MAX_LISTED_WARNINGS} listed here; the log shows them all.`);
    this.unlisted = 0;
  }
}
