import { checkPlainConfiguration } from "./configuration-rules.js";
import type { ConnectorDefinition } from "../sdk/connector.js";
import { UsageError } from "../util/errors.js";
import { formatIssue, validateWith, type StandardSchemaV1 } from "../util/standard-schema.js";
import { isPlainObject, type StateObject } from "../state/state.js";
import { didYouMean, undeclaredKeys } from "../state/schema-keys.js";

export interface PreparedInputs {
  configuration: unknown;
  state: StateObject;
  /** The state as it was stored, before the state schema's defaults: what "Previous state" shows. */
  stored: StateObject;
  warnings: string[];
  checkState?: (state: unknown) => { ok: true; value: unknown } | { ok: false; problems: string[] };
}

export interface InputSources {
  configurationFile?: string;
  stateFile?: string;
  resetHint: string;
}

/**
 * Validates configuration and saved state before anything runs: against the connector's
 * schemas when it declares them, else by Fivetran's rules (string configuration, object state).
 */
export async function prepareInputs(def: ConnectorDefinition<unknown, unknown>, rawConfiguration: unknown, rawState: StateObject, src: InputSources): Promise<PreparedInputs> {
  const warnings: string[] = [];
  let configuration: unknown;
  if (def.configuration) {
    const r = await validateWith(def.configuration, rawConfiguration);
    if (!r.ok) {
      const where = src.configurationFile ? ` (${src.configurationFile})` : "";
      throw new UsageError(`Invalid configuration${where}:\n  ${r.problems.join("\n  ")}`);
    }
    configuration = r.value;
  } else {
    configuration = checkPlainConfiguration(rawConfiguration, src.configurationFile);
  }

  let state = rawState;
  let checkState: PreparedInputs["checkState"];
  if (def.state) {
    const schema = def.state;
    const r = await validateWith(schema, rawState);
    if (!r.ok) {
      const where = src.stateFile ? ` in ${src.stateFile}` : "";
      throw new UsageError(`The saved state${where} does not match the connector's state schema:\n  ${r.problems.join("\n  ")}\nFix the file, or start over with \`${src.resetHint}\`.`);
    }
    if (!isPlainObject(r.value)) throw new UsageError("The connector's state schema must produce an object.");
    for (const u of undeclaredKeys(schema, rawState, r.value)) {
      warnings.push(
        `saved state key "${u.key}" is not in the connector's state schema${didYouMean(u)}, so update() will not see it. If the key was renamed, the new key starts from its default and may trigger a full re-sync.`,
      );
    }
    state = r.value as StateObject;
    checkState = (value) => checkSync(schema, value);
  }
  // A copy: without a schema, update() receives rawState itself, and may change it.
  return { configuration, state, stored: structuredClone(rawState), warnings, checkState };
}

function checkSync(schema: StandardSchemaV1<unknown, unknown>, value: unknown): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) return { ok: false, problems: ["the state schema is asynchronous; checkpoints need a synchronous schema"] };
  if (!result.issues) {
    // The schema drops a key it does not declare, and a default may fill the declared one: the committed state would restart the sync on every run.
    const undeclared = isPlainObject(value) ? undeclaredKeys(schema, value, result.value) : [];
    if (undeclared.length === 0) return { ok: true, value: result.value };
    return { ok: false, problems: undeclared.map((u) => `key "${u.key}" is not declared by the state schema, which would drop it${didYouMean(u)}`) };
  }
  return { ok: false, problems: result.issues.map(formatIssue) };
}
