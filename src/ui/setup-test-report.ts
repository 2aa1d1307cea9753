import type { SetupTestResult } from "../setup/setup-tests.js";

export interface SetupTestReport {
  passed: boolean;
  configuration: string;
  tests: SetupTestResult[];
}

/** One line per setup test, PASS or FAIL with its message, then the count. */
export function renderSetupTestLine(r: SetupTestResult, mark: (s: string) => string = (s) => s): string {
  return r.status === "pass" ? `${mark("PASS")}  ${r.name}` : `${mark("FAIL")}  ${r.name}: ${r.message ?? "failed"}`;
}

export function renderSetupTestSummary(report: SetupTestReport): string {
  const failed = report.tests.filter((t) => t.status === "fail").length;
  const n = report.tests.length;
  return `${n} setup test${n === 1 ? "" : "s"}: ${n - failed} passed, ${failed} failed`;
}
