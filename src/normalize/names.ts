/**
 * The names of one sync: each table and column name the connector sends, normalised once
 * and cached, checked for reserved and impossible names, and guarded against two names
 * that would become one table, or two keys of one row that would become one column.
 */
import { OperationError } from "../util/errors.js";
import type { Catalog } from "./catalog.js";
import { FIVETRAN_ID } from "./catalog.js";
import { isReservedColumn, nameProblem, tableNameProblem } from "./declared.js";
import { applyNaming, sqliteNameKey, type Naming } from "./naming.js";
import { loneSurrogateInName } from "./lone-surrogates.js";
import { TableSources } from "./table-sources.js";
import { describe } from "../util/describe.js";

const NONE = Symbol("no table yet");

export class Names {
  private tableNames = new Map<string, string>();
  private lastSource: unknown = NONE;
  private lastName = "";
  private columnNames = new Map<string, Map<string, string>>();
  /** Per table: the data key each column was first seen under (as SQLite compares names). */
  private keyOf = new Map<string, Map<string, string>>();
  /** Tables where two different data keys became one column: only their rows are checked for both keys at once. */
  private aliased = new Set<string>();
  /** The data of the operation in progress, to name both keys when two of them become one column. */
  private current: Record<string, unknown> | undefined;
  readonly sources: TableSources;

  constructor(
    readonly naming: Naming,
    catalog: Catalog,
    warnOnce: (key: string, message: string) => void,
  ) {
    this.sources = new TableSources(catalog, naming, warnOnce);
  }

  table(source: unknown, opName: string): string {
    // Most connectors write runs of rows to one table.
    if (source === this.lastSource) return this.lastName;
    let name = typeof source === "string" ? this.tableNames.get(source) : undefined;
    if (name === undefined) {
      if (typeof source !== "string" || source.trim() === "") {
        throw new OperationError(`op.${opName}: the table name must be a non-empty string, got ${describe(source)}`);
      }
      name = applyNaming(this.naming, source, "table");
      const problem = loneSurrogateInName(source) ?? tableNameProblem(name);
      if (problem) throw new OperationError(`op.${opName}: table ${JSON.stringify(source)} ${problem}`);
      this.sources.claim(source, name, `op.${opName}`);
      this.tableNames.set(source, name);
    }
    this.lastSource = source;
    this.lastName = name;
    return name;
  }

  column(table: string, source: string, opName: string, allowId: boolean): string {
    let cache = this.columnNames.get(table);
    if (!cache) this.columnNames.set(table, (cache = new Map()));
    let name = cache.get(source);
    if (name === undefined) {
      name = applyNaming(this.naming, source, "column");
      const problem = loneSurrogateInName(source) ?? nameProblem(name);
      if (problem) throw new OperationError(`op.${opName} on table "${table}": column ${JSON.stringify(source)} ${problem}`);
      cache.set(source, name);
      this.noteKey(table, source, name, opName);
    }
    // Reserved names start with "_"; the regex runs only for those.
    if (name.charCodeAt(0) === 95 && isReservedColumn(name) && !(allowId && name === FIVETRAN_ID)) {
      throw new OperationError(`op.${opName} on table "${table}": column "${source}" uses a reserved name; _fivetran_* and _connector_* columns belong to the warehouse`);
    }
    return name;
  }

  /** Notes the data of the operation in progress; delete reads only its key columns, so it checks every key here. */
  data(table: string, value: Record<string, unknown>, opName: string): void {
    this.current = value;
    if (opName === "delete" || (this.aliased.size !== 0 && this.aliased.has(table))) this.checkKeys(table, value, opName);
  }

  /** Notes the column a new data key becomes; a second key for one column is an error if the same row holds both. */
  private noteKey(table: string, source: string, name: string, opName: string): void {
    let keys = this.keyOf.get(table);
    if (!keys) this.keyOf.set(table, (keys = new Map()));
    const key = sqliteNameKey(name);
    if (!keys.has(key)) {
      keys.set(key, source);
      return;
    }
    this.aliased.add(table);
    if (this.current) this.checkKeys(table, this.current, opName);
  }

  /** Fails when two keys of one row become the same column, where one value would silently overwrite the other. */
  private checkKeys(table: string, data: Record<string, unknown>, opName: string): void {
    const cache = this.columnNames.get(table);
    const seen = new Map<string, string>();
    for (const key in data) {
      const name = cache?.get(key) ?? applyNaming(this.naming, key, "column");
      const k = sqliteNameKey(name);
      const other = seen.get(k);
      if (other !== undefined) {
        const why = applyNaming(this.naming, other, "column") === name ? `both become column "${name}"` : "name the same column, because SQLite ignores case in column names";
        throw new OperationError(
          `op.${opName} on table "${table}": the keys ${JSON.stringify(other)} and ${JSON.stringify(key)} ${why}, so one value would overwrite the other. Rename or remove one of them${this.naming === "fivetran" ? ", or run with --naming source to keep names as sent" : ""}.`,
        );
      }
      seen.set(k, key);
    }
  }
}
