// Type-level tests, checked by `tsc -p test/types` (see test/e2e/types.test.ts).
// Every @ts-expect-error must stay an error: if inference breaks, tsc fails.
import { Connector, op } from "connector-sdk";
import { runSync } from "connector-sdk/testing";
import { z } from "zod";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

const configuration = z.object({
  base_url: z.string().url(),
  page_size: z.coerce.number().default(100),
  mode: z.enum(["full", "incremental"]).default("incremental"),
});
const state = z.object({
  cursor: z.string().default("2000-01-01T00:00:00Z"),
  pages: z.number().default(0),
});

declare module "connector-sdk" {
  interface Register {
    state: z.output<typeof state>;
  }
}

export const typed = new Connector({
  configuration,
  state,
  schema(config) {
    assertType<Equal<typeof config, z.output<typeof configuration>>>();
    return [{ table: "t", primary_key: ["id"] }];
  },
  update(config, saved) {
    assertType<Equal<typeof config.page_size, number>>();
    assertType<Equal<typeof config.mode, "full" | "incremental">>();
    assertType<Equal<typeof saved, { cursor: string; pages: number }>>();
    // @ts-expect-error: not a configuration key
    void config.token;
    op.checkpoint({ cursor: saved.cursor, pages: saved.pages + 1 });
    // @ts-expect-error: the registered state type needs pages
    op.checkpoint({ cursor: "x" });
    // @ts-expect-error: cursor is a string
    op.checkpoint({ cursor: 1, pages: 1 });
  },
});

// Without schemas: Fivetran's string configuration and a JSON-object state.
export const untyped = new Connector({
  update(config, saved) {
    assertType<Equal<typeof config, Record<string, string>>>();
    assertType<Equal<typeof saved, Record<string, unknown>>>();
  },
});

export async function testing(): Promise<void> {
  const r = await runSync(typed, { configuration: { base_url: "http://127.0.0.1" } });
  assertType<Equal<ReturnType<typeof r.rows>, Record<string, unknown>[]>>();
  assertType<Equal<typeof r.counts.byTable, Record<string, { upserts: number; updates: number; deletes: number; truncates: number }>>>();
  assertType<Equal<typeof r.counts.truncatedRows, Record<string, number>>>();
}

// op.warning takes a message; op.error a message and an optional trace, and never returns.
export function reported(): number {
  op.warning("3 records without an id were skipped");
  // @ts-expect-error: the message is a string
  op.warning({ skipped: 3 });
  if (Math.random() > 2) return 1;
  op.error("the API refused the token", new Error("401").stack);
  // Unreachable: op.error returns never, so this function needs no return after it.
}
