/**
 * The checks of a checkpoint's state before it commits: refused when it is not plain JSON
 * within the size limit or fails the connector's state schema; warned of (once per sync) when
 * it is over 1 MB, holds a secret of the configuration, or trips a lint of state/lints.ts.
 */
import { StateLints } from "../state/lints.js";
import { formatBytes, serializeState, StateValueError, STATE_WARN_BYTES, type StateObject } from "../state/state.js";
import { OperationError } from "../util/errors.js";
import { secretValues } from "../util/secrets.js";
import { Redactor } from "../util/redactor.js";

export type CheckState = (state: unknown) => { ok: true; value: unknown } | { ok: false; problems: string[] };

export class StateChecks {
  private readonly secrets: Redactor;
  private readonly lints: StateLints;

  constructor(
    startState: StateObject,
    configuration: unknown,
    configurationSchema: unknown,
    private readonly warnOnce: (key: string, message: string) => void,
    private readonly checkState?: CheckState,
  ) {
    this.secrets = new Redactor(secretValues(configuration, configurationSchema));
    this.lints = new StateLints(startState);
  }

  /** The state of checkpoint `seq` serialised, and a copy taken now: the connector may keep mutating its object after the call. */
  check(state: unknown, seq: number, pendingOps: number): { json: string; persisted: StateObject } {
    let json: string;
    try {
      json = serializeState(state);
    } catch (e) {
      if (e instanceof StateValueError) throw new OperationError(`op.checkpoint: ${e.message}`);
      throw e;
    }
    if (this.checkState) {
      const checked = this.checkState(state);
      if (!checked.ok) throw new OperationError(`op.checkpoint: the state does not match the connector's state schema:\n  ${checked.problems.join("\n  ")}`);
    }
    const persisted = JSON.parse(json) as StateObject;
    const bytes = Buffer.byteLength(json);
    if (bytes > STATE_WARN_BYTES) this.warnOnce("state-size", `the state is ${formatBytes(bytes)}, over 1 MB; keep cursors in state, not lists of processed records (the limit is 10 MB).`);
    // In any form the output hides: escaped in JSON, URL-encoded in a next-page URL, base64…
    if (this.secrets.holds(json)) {
      this.warnOnce("state-secret", "the state contains a value of a secret-looking configuration key (token, key, secret, password); never store credentials in state.");
    }
    for (const lint of this.lints.checkpoint(seq, persisted, bytes, pendingOps)) this.warnOnce(lint.key, lint.message);
    return { json, persisted };
  }
}
