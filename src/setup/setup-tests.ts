/**
 * Runs a connector's setup tests (`connector configuration --test`), each in its own worker
 * thread, so a test that never returns (a busy loop, a socket that never answers) is
 * stopped at the timeout, and one that calls process.exit() fails alone.
 */
import type { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import { httpRuntime } from "../sdk/http-hooks.js";
import { formatDuration } from "../util/duration.js";
import type { ErrorInfo } from "../util/thrown.js";

export const DEFAULT_TEST_TIMEOUT_MS = 30_000;

export interface SetupTestResult {
  name: string;
  status: "pass" | "fail";
  /** Why it failed: the thrown message, and its causes. */
  message?: string;
}

export interface SetupTestInput {
  connectorFile: string;
  name: string;
  configuration: unknown;
  /** Where a refresh token the provider rotated during the test is kept sealed (the project's, as a sync keeps it); else it lives only as long as the test. */
  secretsFile?: string;
  /** Set by the worker when the test calls process.exit(): [called, code]. */
  exit?: SharedArrayBuffer;
}

export type SetupTestMessage = { t: "pass" } | { t: "fail"; error: ErrorInfo };
/** connector-sdk/http in the worker: a credential it obtained, a refresh token the provider rotated (for this thread's hooks). */
export type SetupHttpMessage = { t: "secret"; value: string } | { t: "rotated"; previous: string; next: string; configured: string };

/** "message: cause: cause", as a test failure reads best on one line. */
function failureText(e: ErrorInfo): string {
  const parts: string[] = [];
  for (let c: ErrorInfo | undefined = e; c; c = c.cause) if (c.message && !parts.includes(c.message)) parts.push(c.message);
  return parts.join(": caused by ") || e.name;
}

/** Runs one test to its end, its failure, or the timeout. */
function runSetupTest(input: SetupTestInput, timeoutMs: number, attach?: (stdout: Readable, stderr: Readable) => void): Promise<SetupTestResult> {
  const exit = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(new URL("./setup-test-worker.js", import.meta.url), { workerData: { ...input, exit: exit.buffer }, stdout: true, stderr: true });
  attach?.(worker.stdout, worker.stderr);
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<SetupTestResult, "name">): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve({ name: input.name, ...r });
    };
    const timer = setTimeout(
      () => finish({ status: "fail", message: `did not finish within ${formatDuration(timeoutMs)} (--timeout); give its network calls a timeout of their own` }),
      timeoutMs,
    );
    worker.on("message", (m: SetupTestMessage | SetupHttpMessage) => {
      // The test's HTTP client hides what it obtains, and hands a rotated token on, through this thread's hooks (an engine's).
      if (m.t === "secret") return httpRuntime().secret(m.value);
      if (m.t === "rotated") return httpRuntime().rotated?.(m.previous, m.next, m.configured);
      finish(m.t === "pass" ? { status: "pass" } : { status: "fail", message: failureText(m.error) });
    });
    worker.on("error", (e: unknown) => finish({ status: "fail", message: `threw outside the test: ${e instanceof Error ? e.message : String(e)}` }));
    worker.on("exit", () =>
      finish({
        status: "fail",
        message: exit[0] ? `called process.exit(${exit[1]}); throw an Error to fail instead` : "never finished: it waits on a promise that nothing will ever settle",
      }),
    );
  });
}

/** Runs the tests one after another; a failure does not stop the others. */
export async function runSetupTests(
  base: Omit<SetupTestInput, "name">,
  names: string[],
  timeoutMs: number,
  hooks: { attach?: (stdout: Readable, stderr: Readable) => void; started?: (name: string) => void; finished?: (r: SetupTestResult) => void } = {},
): Promise<SetupTestResult[]> {
  const results: SetupTestResult[] = [];
  for (const name of names) {
    hooks.started?.(name);
    const r = await runSetupTest({ ...base, name }, timeoutMs, hooks.attach);
    hooks.finished?.(r);
    results.push(r);
  }
  return results;
}
