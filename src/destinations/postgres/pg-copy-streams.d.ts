// The one function of pg-copy-streams this package uses (it ships no types).
declare module "pg-copy-streams" {
  import type { Writable } from "node:stream";
  import type { Submittable } from "pg";
  export function from(sql: string): Writable & Submittable & { rowCount: number };
}
