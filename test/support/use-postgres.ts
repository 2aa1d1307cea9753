/** One throwaway PostgreSQL server per test file: started before its tests, stopped and removed after them, even when they fail. */
import { afterAll, beforeAll } from "vitest";
import { startPostgres, type TestServer } from "./postgres.js";

export function usePostgres(): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.stop());
  return () => {
    if (!server) throw new Error("the PostgreSQL test server is not running");
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
