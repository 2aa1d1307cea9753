// The public types of connector-sdk/testing: what a test names without reaching into dist/.
// Counts and TableCounts belong to the testing API (runSync's result), not to the SDK a connector imports.
import { runSync, type Counts, type Naming, type StateObject, type TableCounts } from "connector-sdk/testing";
// @ts-expect-error: Counts is not exported by the SDK itself.
import type { Counts as RootCounts } from "connector-sdk";

export async function counted(naming: Naming, state: StateObject): Promise<[Counts, TableCounts | undefined]> {
  const r = await runSync({ update() {} }, { naming, state });
  return [r.counts, r.counts.byTable["users"]];
}
export type Unused = RootCounts;
