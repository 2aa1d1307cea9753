/** What the client asks of the sync it runs in: where to count, and where sealed tokens are kept. */
import { activeSync } from "../sdk/active-sync.js";
import { httpRuntime, type HttpCounts, type SecretStore } from "../sdk/http-hooks.js";

/** Where the calling code's sealed values are kept: its sync's store (side store and destination), else this thread's. */
export function secretStore(): SecretStore {
  return activeSync()?.secrets ?? httpRuntime().store;
}

/** The counts of the sync the calling code belongs to (none outside a sync). */
export function httpCounts(): HttpCounts | undefined {
  return activeSync()?.http;
}
