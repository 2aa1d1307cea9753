/**
 * The --naming option, apart from the naming itself (naming.ts): the commands parse it in the
 * main thread, which then never loads any-ascii (the sync worker does the naming).
 */
import { UsageError } from "../util/errors.js";

export type Naming = "fivetran" | "source";

export function parseNaming(value: string): Naming {
  const v = value.toLowerCase();
  if (v === "fivetran" || v === "source") return v;
  throw new UsageError(`--naming must be "fivetran" or "source", got ${JSON.stringify(value)}`);
}

/** --naming, else CONNECTOR_NAMING, else fivetran. */
export function namingOption(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Naming {
  return parseNaming(flag ?? (env.CONNECTOR_NAMING || "fivetran"));
}
