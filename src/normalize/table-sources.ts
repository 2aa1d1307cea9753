import { OperationError, ReloadTableError } from "../util/errors.js";
import { sqliteNameKey, type Naming } from "./naming.js";
import { caseTwin } from "./declared.js";
import type { Catalog } from "./catalog.js";
import { isNearName } from "./near-names.js";

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
      throw new ReloadTableError(
        `${where}: table "${source}" and the existing table "${twin}" differ only in case; SQLite ignores case in table names, so they would be one table. Use the spelling "${twin}", or drop table "${twin}" first.`,
        twin,
      );
    }
    this.claims.set(key, { source, name, declared });
    if (!declared) this.nearDeclared(source, name, where);
    this.record(source, name);
  }

  /** A table schema() does not declare, named almost as one it does: most likely a typo that makes a second table. */
  private nearDeclared(source: string, name: string, where: string): void {
    for (const c of this.claims.values()) {
      if (!c.declared || !isNearName(name, c.name)) continue;
      this.warn(
        `near-declared:${name}`,
        `${where}: table "${source}" is not declared in schema(), but "${c.source}" is; did you mean "${c.source}"? Its rows go to a table of their own, "${name}".`,
      );
      return;
    }
  }

  private record(source: string, name: string): void {
    if (this.w.tables.has(name)) {
      const known = this.w.sources.get(name) ?? [];
      if (known.length > 0 && !known.includes(source)) {
        const earlier = known.map((k) => `"${k}"`).join(", ");
        this.warn(
          `table-source:${name}`,
          `table "${name}" now gets rows from "${source}", but earlier syncs filled it from ${earlier}, which also ${known.length > 1 ? "become" : "becomes"} "${name}". If you renamed the table, ignore this; if they are different tables, rename one of them and drop table "${name}" (\`connector reset --table ${name}\`, with this sync's project folder, --destination and --state).`,
        );
      }
      this.w.recordSource(name, source, false);
    } else {
      // A table that was reset (or never created) starts its list afresh.
      this.w.recordSource(name, source, true);
    }
  }
}
