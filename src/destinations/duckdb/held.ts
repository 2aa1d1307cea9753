/**
 * verify's scratch warehouses on DuckDB, held in the writer thread's memory from one sync to
 * the next instead of in files. A file cost each of verify's syncs about 55 ms of CPU (of 125), and
 * more in waiting for the disk: opening the instance, a flush to disk at every commit, a
 * checkpoint at close. verify needs none of it: its interruptions are thrown in-process and
 * roll back as a real failure would, and it reads each warehouse back through the writer's own
 * connection (Destination.snapshot), so no other client, thread or process ever opens one.
 *
 * Syncs run one after another and the writer that closed cleanly serves the next (threaded/spawn.ts),
 * so every sync into a scratch warehouse finds it in this thread. The file stays, as a marker with
 * a token: it says that the warehouse exists (verify drops one by deleting it, as it would a
 * warehouse file), and that this thread holds it. A warehouse whose marker is gone is closed at
 * the next open; one whose marker this thread did not write is lost, and the sync fails.
 */
import fs from "node:fs";
import { threadId } from "node:worker_threads";
import type { DuckDBInstance } from "@duckdb/node-api";
import { duckdb } from "./driver.js";

const held = new Map<string, { token: string; instance: DuckDBInstance }>();
let made = 0;

/** The in-memory instance of scratch warehouse `file`: this thread's, or a new one when the warehouse does not exist yet (call release() first). */
export async function heldInstance(file: string): Promise<DuckDBInstance> {
  const mine = held.get(file);
  const marker = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  if (mine && mine.token === marker) return mine.instance;
  if (marker !== undefined) throw new Error(`the scratch warehouse ${file} was held in the memory of another writer thread, and is lost`);
  const { DuckDBInstance } = duckdb();
  // One thread: a scratch warehouse holds a test's rows, and each of DuckDB's threads costs every instance it is started for.
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const token = `${process.pid}:${threadId}:${++made}`;
  try {
    fs.writeFileSync(file, token, { flag: "wx" });
  } catch (e) {
    instance.closeSync();
    throw e;
  }
  held.set(file, { token, instance });
  return instance;
}

/** Closes the scratch warehouses that were dropped (their marker deleted) or removed with verify's scratch folder. */
export function release(): void {
  for (const [file, h] of held) {
    if (fs.existsSync(file)) continue;
    h.instance.closeSync();
    held.delete(file);
  }
}
