/** Unusable input: a bad flag, an unreadable or invalid file, no connector. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The sync ran and failed: the connector threw, or an operation was invalid. Exit code 1. */
export class SyncFailedError extends Error {
  override name = "SyncFailedError";
}

/** An operation or checkpoint the engine refused; it fails the sync even if the connector catches it. */
export class OperationError extends SyncFailedError {
  override name = "OperationError";
}

/**
 * An operation error whose way out is to reload one table from the start (a primary key or a
 * declared type that the stored rows cannot follow): the command that ran the sync knows which
 * warehouse, state and flags that takes, and adds how.
 */
export class ReloadTableError extends OperationError {
  override name = "ReloadTableError";
  constructor(
    message: string,
    readonly reloadTable: string,
  ) {
    super(message);
  }
}

/** The connector ended the sync itself with op.error(message, trace?): a failure it reported cleanly, not a crash. */
export class ConnectorError extends SyncFailedError {
  override name = "ConnectorError";
  constructor(
    message: string,
    readonly trace?: string,
  ) {
    super(message);
  }
}

/** A service the command needs cannot be reached now (a database server down, a host not found). Exit code 1; worth retrying. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/** A command ran and failed on something besides its input: a tool it runs (npm) failed. Exit code 1, said without a stack. */
export class CommandFailedError extends Error {
  override name = "CommandFailedError";
}

/** The run was stopped by a signal. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(readonly signal: "SIGINT" | "SIGTERM") {
    super("interrupted");
  }
}

/** Raised by a command that has already reported its failure; carries only the exit code. */
export class ExitError extends Error {
  override name = "ExitError";
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
