import { OperationError } from "../util/errors.js";
import { sqliteNameKey, type Naming } from "./naming.js";
import { caseTwin } from "./declared.js";
import type { Catalog } from "./catalog.js";

interface Claim {
  source: string;
  name: string;
  declared: boolean;
}

/**
 * Which table names of the connector fill each warehouse table. Two names that become one
 * table within a sync fail it: their rows would mix. A table that earlier syncs filled from
 * another name only warns, since a renamed table in the connector's code looks the same.
 * The names are kept by the destination (_connector_table_sources), in the sync's transaction.
 */
export class TableSources {
  private claims = new Map<string, Claim>();

  constructor(
    private readonly w: Catalog,
    private readonly naming: Naming,
    private readonly warn: (key: string, message: string) => void,
  ) {}

  /** Records that `source` fills table `name`; `where` starts the error message ("op.upsert", "schema()"). */
  claim(source: string, name: string, where: string, declared = false): void {
    const key = sqliteNameKey(name);
    const first = this.claims.get(key);
    if (first) {
      if (first.source === source) return;
      const other = `${first.declared ? "the declared table" : "table"} "${first.source}"`;
      if (first.name !== name) {
        throw new OperationError(`${where}: table "${source}" and ${other} differ only in case; SQLite ignores case in table names, so their rows would mix in one table. Use one spelling.`);
      }
      throw new OperationError(
        `${where}: table "${source}" and ${other} both become table "${name}", so their rows would mix in one table. Spell one table's name the same way everywhere, and give different tables names that stay different${this.naming === "fivetran" ? " (or run with --naming source to keep names as sent)" : ""}.`,
      );
    }
    const twin = this.w.tables.has(name) ? undefined : caseTwin(name, this.w.tables.keys());
    if (twin) {
      throw new OperationError(
        `${where}: table "${source}" and the existing table "${twin}" differ only in case; SQLite ignores case in table names, so they would be one table. Use the spelling "${twin}", or run \`connector reset --table ${twin}\` first.`,
      );
    }
    this.claims.set(key, { source, name, declared });
    this.record(source, name);
  }

  private record(source: string, name: string): void {
    if (this.w.tables.has(name)) {
      const known = this.w.sources.get(name) ?? [];
      if (known.length > 0 && !known.includes(source)) {
        const earlier = known.map((k) => `"${k}"`).join(", ");
        this.warn(
          `table-source:${name}`,
          `table "${name}" now gets rows from "${source}", but earlier syncs filled it from ${earlier}, which also ${known.length > 1 ? "become" : "becomes"} "${name}". If you renamed the table, ignore this; if they are different tables, rename one of them and run \`connector reset --table ${name}\`.`,
        );
      }
      this.w.recordSource(name, source, false);
    } else {
      // A table that was reset (or never created) starts its list afresh.
      this.w.recordSource(name, source, true);
    }
  }
}
