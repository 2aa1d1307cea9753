/**
 * Where op.* lands: every operation is counted and its arguments checked here before the
 * sync normalises and loads it. A refused operation poisons the sync, so it fails even if
 * the connector catches the error, and a failed or finished sync takes no more operations.
 */
import type { SyncSink } from "../sdk/active-sync.js";
import { LateOperationError } from "../sdk/operations.js";
import { describe, isPlainObject } from "../util/describe.js";
import { ConnectorError, OperationError } from "../util/errors.js";
import { accountFor } from "../util/thrown.js";

export type OpName = "upsert" | "update" | "delete" | "truncate" | "checkpoint" | "warning" | "error";

/** What the sync does with an operation whose arguments passed: normalise it and load it. */
export interface OperationTarget {
  /** The table's name in the destination; an error for a name that is not a non-empty string, or cannot be one. */
  table(source: unknown, opName: OpName): string;
  upsert(table: string, data: Record<string, unknown>): void;
  update(table: string, data: Record<string, unknown>): void;
  delete(table: string, keys: Record<string, unknown>): void;
  truncate(table: string): void;
  checkpoint(state: unknown): void;
  /** A warning the connector reported (op.warning). */
  warning(message: string): void;
  /** Turns what an operation threw into the error that fails the sync, naming the destination when it failed. */
  explain(name: OpName, e: unknown): Error;
}

export class OperationSink implements SyncSink {
  private failure: Error | undefined;
  private active = false;
  private operations = 0;
  /** Checkpoints committed, for the simulated interruption's message. */
  checkpoints = 0;

  constructor(private readonly target: OperationTarget) {}

  /** Operations emitted so far, checkpoints included. */
  get count(): number {
    return this.operations;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  start(): void {
    this.active = true;
  }

  end(): void {
    this.active = false;
  }

  /** Fails the sync from outside an operation: the next operation throws this error. */
  fail(error: Error): void {
    this.failure ??= accountFor(error);
  }

  // The hot path: no closure per operation.
  upsert(table: unknown, data: unknown): void {
    this.enter("upsert");
    try {
      const name = this.target.table(table, "upsert");
      this.target.upsert(name, this.data(data, "upsert", name, "data"));
    } catch (e) {
      throw this.refused("upsert", e);
    }
  }

  update(table: unknown, data: unknown): void {
    this.enter("update");
    this.forward("update", () => {
      const name = this.target.table(table, "update");
      this.target.update(name, this.data(data, "update", name, "data"));
    });
  }

  delete(table: unknown, keys: unknown): void {
    this.enter("delete");
    this.forward("delete", () => {
      const name = this.target.table(table, "delete");
      this.target.delete(name, this.data(keys, "delete", name, "keys"));
    });
  }

  truncate(table: unknown): void {
    this.enter("truncate");
    this.forward("truncate", () => this.target.truncate(this.target.table(table, "truncate")));
  }

  checkpoint(state: unknown): void {
    this.enter("checkpoint");
    this.forward("checkpoint", () => this.target.checkpoint(state));
  }

  warning(message: unknown): void {
    this.enter("warning");
    this.forward("warning", () => this.target.warning(this.message(message, "warning", "message")));
  }

  error(message: unknown, trace?: unknown): never {
    this.enter("error");
    let error: Error;
    try {
      const text = this.message(message, "error", "message");
      if (trace !== undefined && trace !== null && typeof trace !== "string") {
        throw new OperationError(`op.error: the trace must be a string (or left out), got ${describe(trace)}`);
      }
      error = new ConnectorError(text, typeof trace === "string" && trace.trim() !== "" ? trace : undefined);
    } catch (e) {
      error = e as Error;
    }
    this.failure = accountFor(error);
    throw error;
  }

  private enter(name: OpName): void {
    if (this.failure) throw this.failure;
    if (!this.active) throw new LateOperationError(name);
    this.operations++;
  }

  private forward(name: OpName, run: () => void): void {
    try {
      run();
    } catch (e) {
      throw this.refused(name, e);
    }
  }

  private refused(name: OpName, e: unknown): Error {
    this.failure = accountFor(e instanceof OperationError ? e : this.target.explain(name, e));
    return this.failure;
  }

  /** op.warning and op.error take a non-empty string, as in Fivetran. */
  private message(value: unknown, opName: OpName, what: string): string {
    if (value instanceof Error) {
      throw new OperationError(`op.${opName}: the ${what} must be a non-empty string, got an Error; pass error.message${opName === "error" ? ", and error.stack as the trace" : ""}`);
    }
    if (typeof value !== "string" || value.trim() === "") throw new OperationError(`op.${opName}: the ${what} must be a non-empty string, got ${describe(value)}`);
    return value;
  }

  private data(value: unknown, opName: OpName, table: string, what: string): Record<string, unknown> {
    if (!isPlainObject(value)) throw new OperationError(`op.${opName} on table "${table}": ${what} must be a plain object, got ${describe(value)}`);
    return value;
  }
}
