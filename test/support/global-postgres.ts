/**
 * Vitest globalSetup: one throwaway PostgreSQL server for the whole test run (see
 * use-postgres.ts), instead of one per file. When PostgreSQL is not installed the run goes
 * on, and each file that needs the server fails with the reason, as it would have alone.
 */
import type { TestProject } from "vitest/node";
import { postgresBin, startPostgres, type ServerAddress } from "./postgres.js";

export interface SharedPostgres {
  address?: ServerAddress;
  /** Why there is no server. */
  problem?: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgres: SharedPostgres;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  if (!postgresBin()) {
    project.provide("postgres", { problem: "PostgreSQL is not installed: no initdb on the PATH or in /usr/lib/postgresql/*/bin. Install it with `apt-get install -y postgresql` (.ci/run does)." });
    return () => {};
  }
  try {
    const { host, port, user, password, stop } = await startPostgres();
    project.provide("postgres", { address: { host, port, user, password } });
    return stop;
  } catch (e) {
    project.provide("postgres", { problem: (e as Error).message });
    return () => {};
  }
}
