/**
 * The key of a row of a table without a primary key (`_fivetran_id`): the first 32 hex
 * digits of the SHA-256 of the JSON array of [column, text] pairs of its non-null values,
 * sorted by column, where the text is what a STRING column would store for the value as
 * the connector sent it. So it does not depend on the type a column has widened to, and a
 * replayed row finds the row it wrote before.
 */
import { builtin } from "../util/builtin.js";

// The main thread of most commands bundles this module and never hashes a row.
let createHash: (typeof import("node:crypto"))["createHash"] | undefined;

export function hashPairs(pairs: [string, string][]): string {
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  createHash ??= builtin("node:crypto").createHash;
  return createHash("sha256").update(JSON.stringify(pairs)).digest("hex").slice(0, 32);
}
