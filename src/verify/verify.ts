import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ConnectorDefinition } from "../sdk/connector.js";
import { DEFAULT_KIND, destinationOf, type DestinationKind, type DestinationSpec } from "../destinations/registry.js";
import type { SyncResult } from "../sync/sync.js";
import { holdTraps } from "../sync/traps.js";
import { SimulatedInterruption } from "./interrupting-sink.js";
import type { Naming } from "../normalize/naming.js";
import type { StateObject } from "../state/state.js";
import { mulberry32 } from "./random.js";
import { plural } from "../util/describe.js";
import type { ReplaySource } from "../replay/run.js";
import type { LogSink } from "../sdk/active-sync.js";
import { countRows, describeDiffs, diff, Unstable } from "./compare.js";
import { runOnce } from "./scratch-run.js";

/** Inputs of verify(): how to load the connector, and how many trials. */
export interface VerifyOptions {
  /** Returns the connector; called before every sync, so a fresh module can be loaded each time, as each `connector debug` would. */
  load: () => Promise<ConnectorDefinition<unknown, unknown>>;
  configuration?: unknown;
  trials?: number;
  seed?: number;
  naming?: Naming;
  progress?: (message: string) => void;
  /** Where the connector's log lines go; by default they are dropped, as the checks run the connector many times. */
  logger?: LogSink;
  /** Serve every run's HTTP from this cassette (connector verify --replay). */
  replay?: ReplaySource;
  /** Fails a sync that runs longer than this (ms); an update() that never returns otherwise holds verify forever. */
  timeoutMs?: number;
  /** The kind of scratch warehouse (the project's; by default SQLite's), or scratch warehouses beside a server the user named. */
  destination?: ScratchTarget;
  /** Runs in a test runner's process, shared with other work. */
  shared?: boolean;
  /** An empty folder for the scratch warehouses; by default one is made in the temp dir. Removed at the end either way. */
  scratch?: string;
  /** Called with each check's verdict as soon as it is known. */
  onCheck?: (check: CheckResult) => void;
  /** Called when each sync starts (true) and ends (false). */
  onRun?: (running: boolean) => void;
}

/** One cell (or a whole row, column "(row)", or a state path, table "(state)") that differs from the baseline. */
export interface Difference {
  table: string;
  key: string;
  column: string;
  expected: unknown;
  got: unknown;
}

/** The four checks of `connector verify`. */
export type CheckName = "baseline" | "incremental" | "interrupted" | "reset";

/** The verdict of one check: a row of the verify table. */
export interface CheckResult {
  check: CheckName;
  status: "pass" | "fail" | "warn" | "skipped";
  detail: string;
  /** The first differences, at most 10 per table. */
  differences: Difference[];
  trial?: number;
  /** The checkpoint after which the failing trial was aborted (0: before the first). */
  abortedAfterCheckpoint?: number;
  abortedBeforeOperation?: number;
}

/** Where one interrupted trial was aborted, and whether it resumed to the baseline. */
export interface TrialResult {
  trial: number;
  abortedBeforeOperation: number;
  abortedAfterCheckpoint: number;
  passed: boolean;
}

/** The whole verify report, as `connector verify --json` prints it. */
export interface VerifyReport {
  passed: boolean;
  seed: number;
  operations: number;
  checkpoints: number;
  checks: CheckResult[];
  trials: TrialResult[];
}

/** Where verify's scratch warehouses go: files of a kind in the scratch folder, or beside a destination the user named (PostgreSQL: a schema per sync). */
export interface ScratchTarget {
  kind: DestinationKind;
  /** `verify --destination <url>`: the destination beside which the scratch warehouses go, all dropped at the end. */
  beside?: DestinationSpec;
  /** Tells this verify's scratch warehouses apart in a shared server. */
  id?: string;
}

/**
 * Proves that a connector resumes: a baseline historical sync run twice, an incremental
 * re-run, N syncs aborted at a random operation and resumed, and a run after a reset,
 * each compared with the baseline, in scratch warehouses that are removed afterwards.
 */
export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  const trials = o.trials ?? 5;
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rand = mulberry32(seed);
  const say = o.progress ?? (() => {});
  const scratch = o.scratch ?? fs.mkdtempSync(path.join(os.tmpdir(), "connector-verify-"));
  const target = o.destination ?? { kind: DEFAULT_KIND };
  const kind = destinationOf(target.kind);
  // Held: verify reads each scratch warehouse back through its destination, and interrupts its syncs in-process.
  const place = { dir: scratch, id: target.id ?? "", held: true, ...(target.beside ? { beside: target.beside } : {}) };
  const specOf = (name: string): DestinationSpec => {
    const spec = kind.scratch(place, name);
    if (!spec) throw new Error(`verify takes no scratch warehouse of ${kind.label} beside ${target.beside ? kind.location(target.beside) : "nothing"}`);
    return spec;
  };
  const run = async (name: string, state: StateObject, abortBeforeOperation?: number) => runOnce(o, specOf(name), state, abortBeforeOperation);
  const checks = reported(o.onCheck);
  const trialResults: TrialResult[] = [];
  const release = holdTraps();
  try {
    say("baseline: historical sync 1 of 2");
    const first = await run("baseline", {});
    if (first.result.status === "failed") {
      checks.push({ check: "baseline", status: "fail", detail: `the historical sync failed: ${first.result.error?.message}`, differences: [] });
      for (const check of ["incremental", "interrupted", "reset"] as const) checks.push({ check, status: "skipped", detail: "needs a baseline", differences: [] });
      return { passed: false, seed, operations: first.operations, checkpoints: first.result.counts.checkpoints, checks, trials: trialResults };
    }
    const baseline = first.snapshot;
    say("baseline: historical sync 2 of 2");
    const second = await run("baseline-2", {});
    // Each scratch warehouse is dropped once read back: verify holds the baseline's and one trial's at a time, however many trials.
    await kind.dropScratch(place, "baseline-2");
    const unstable = new Unstable(baseline, second.snapshot);
    const totals = `${countRows(baseline.rows)} rows in ${baseline.rows.size} table(s), ${first.result.counts.checkpoints} checkpoint(s), ${first.operations} operation(s)`;
    if (second.result.status === "failed") {
      checks.push({ check: "baseline", status: "fail", detail: `the second historical sync failed: ${second.result.error?.message}`, differences: [] });
    } else if (unstable.empty) {
      checks.push({ check: "baseline", status: "pass", detail: `two historical syncs agree: ${totals}`, differences: [] });
    } else {
      checks.push({
        check: "baseline",
        status: "warn",
        detail: `the source is not deterministic: two historical syncs differ in ${unstable.describe()}; the other checks compare only what is stable`,
        differences: diff(baseline, second.snapshot, Unstable.none()),
      });
    }

    say("incremental: re-run from the final state");
    const again = await run("baseline", baseline.state);
    checks.push(
      outcome("incremental", again.result, diff(baseline, { rows: again.snapshot.rows, state: baseline.state }, unstable), "a re-run from the final state left every table unchanged"),
    );

    let failedTrial: CheckResult | undefined;
    for (let trial = 1; trial <= trials; trial++) {
      const at = first.operations > 0 ? 1 + Math.floor(rand() * first.operations) : 0;
      say(`interrupted: trial ${trial} of ${trials}, abort before operation ${at} of ${first.operations}`);
      const name = `trial-${trial}`;
      const aborted = at > 0 ? await run(name, {}, at) : undefined;
      const interruption = aborted?.result.error instanceof SimulatedInterruption ? aborted.result.error : undefined;
      const afterCheckpoint = interruption?.afterCheckpoint ?? aborted?.result.counts.checkpoints ?? 0;
      let problem: string | undefined;
      let differences: Difference[] = [];
      if (aborted && !interruption) {
        problem = aborted.result.status === "failed" ? `the sync failed on its own before the abort: ${aborted.result.error?.message}` : "the sync ended before the chosen operation";
      } else {
        const resumed = await run(name, aborted?.result.state ?? {});
        if (resumed.result.status === "failed") problem = `the resumed sync failed: ${resumed.result.error?.message}`;
        else {
          differences = diff(baseline, resumed.snapshot, unstable);
          if (differences.length) problem = `after resuming, ${describeDiffs(differences)} differ from the baseline`;
        }
      }
      await kind.dropScratch(place, name);
      trialResults.push({ trial, abortedBeforeOperation: at, abortedAfterCheckpoint: afterCheckpoint, passed: !problem });
      if (problem && !failedTrial) {
        failedTrial = {
          check: "interrupted",
          status: "fail",
          detail: `trial ${trial} of ${trials}, aborted before operation ${at} of ${first.operations}, after checkpoint ${afterCheckpoint}: ${problem}`,
          differences,
          trial,
          abortedAfterCheckpoint: afterCheckpoint,
          abortedBeforeOperation: at,
        };
      }
    }
    const resumed = `${plural(trials, "sync")} aborted at random operations resumed to the baseline (seed ${seed})`;
    checks.push(
      failedTrial ??
        (first.operations > 0 && first.result.counts.checkpoints === 0
          ? {
              check: "interrupted",
              status: "warn",
              detail: `the connector never checkpoints, so an interrupted sync starts over from the beginning (${first.operations === 1 ? "its one operation" : `all ${first.operations} operations`}); call op.checkpoint(state) after each page or batch. ${resumed}`,
              differences: [],
            }
          : {
              check: "interrupted",
              status: "pass",
              detail: first.operations > 0 ? resumed : "nothing to interrupt: the connector emits no operations",
              differences: [],
            }),
    );

    say("reset: a historical sync after a reset");
    await kind.dropScratch(place, "baseline");
    const reset = await run("baseline", {});
    checks.push(outcome("reset", reset.result, diff(baseline, reset.snapshot, unstable), "a run after a reset equals the baseline"));

    return {
      passed: checks.every((c) => c.status === "pass" || c.status === "warn"),
      seed,
      operations: first.operations,
      checkpoints: first.result.counts.checkpoints,
      checks,
      trials: trialResults,
    };
  } finally {
    release();
    fs.rmSync(scratch, { recursive: true, force: true });
    await kind.dropScratch(place);
  }
}

/** A list of check results that reports each one as it is added. */
function reported(onCheck: ((check: CheckResult) => void) | undefined): CheckResult[] {
  const checks: CheckResult[] = [];
  // Not enumerable: the report (and this list in it) is posted between threads, and a function cannot be.
  if (onCheck) Object.defineProperty(checks, "push", { value: (...items: CheckResult[]) => (items.forEach((c) => onCheck(c)), Array.prototype.push.apply(checks, items)) });
  return checks;
}

function outcome(check: CheckName, result: SyncResult, differences: Difference[], ok: string): CheckResult {
  if (result.status === "failed") return { check, status: "fail", detail: `the sync failed: ${result.error?.message}`, differences: [] };
  if (differences.length) return { check, status: "fail", detail: `${describeDiffs(differences)} differ from the baseline`, differences };
  return { check, status: "pass", detail: ok, differences: [] };
}
