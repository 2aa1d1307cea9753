/**
 * PostgreSQL for a test file. One server serves the whole run: `test/support/global-postgres.ts`
 * (vitest's globalSetup) starts it and provides its address, and each file takes a fresh
 * database of its own, dropped after its tests. A file that changes the server itself
 * (pg_hba.conf, say) asks for a server of its own instead.
 */
import { afterAll, beforeAll, inject } from "vitest";
import { connect, startPostgres, type TestServer } from "./postgres.js";

export interface UsePostgresOptions {
  /** A server of this file's own, started before its tests and stopped after them, for files that change the server's configuration. */
  ownServer?: boolean;
  /**
   * No server fails the tests that ask for it, not the file: a file whose other tests need no
   * server (the other destinations of a scenario) still runs them. Never a skip.
   */
  lazy?: boolean;
}

/** The shared server with a fresh database `t_<name>` for this file (or a server of its own); `url()` and `sql()` default to that database. */
export function usePostgres(name: string, options: UsePostgresOptions = {}): () => TestServer {
  let server: TestServer | undefined;
  let problem: string | undefined;
  const database = `t_${name.replace(/\W/g, "_")}`;
  beforeAll(async () => {
    if (options.ownServer) {
      server = await startPostgres();
      return;
    }
    const shared = inject("postgres");
    if (!shared.address) {
      problem = shared.problem ?? "the PostgreSQL test server did not start";
      if (options.lazy) return;
      throw new Error(problem);
    }
    const admin = connect(shared.address);
    await admin.sql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.sql(`CREATE DATABASE "${database}"`);
    server = connect(shared.address, database);
  }, 120_000);
  afterAll(async () => {
    if (options.ownServer) return server?.stop();
    // WITH (FORCE): a backend a killed run left behind must not keep the database alive.
    if (server) await connect(server).sql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });
  return () => {
    if (!server) throw new Error(problem ?? "the PostgreSQL test server is not running");
    return server;
  };
}

/** Polls the server until `check` holds (a lock released, a backend gone): the server's own state, not a sleep. */
export async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting for the PostgreSQL server");
    await new Promise((r) => setTimeout(r, 20));
  }
}

let schemas = 0;
/** A schema name no other test of this file uses. */
export const freshSchema = (prefix = "s"): string => `${prefix}_${++schemas}`;
