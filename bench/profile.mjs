// Runs W1 in-process through runSync, for `node --cpu-prof bench/profile.mjs [rows] [declared]`,
// then prints the functions with the most self time from the newest profile in --cpu-prof-dir.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runSync } from "../dist/testing.js";
import connector from "./connector.mjs";

const rows = Number(process.argv[2] ?? 1_000_000);
const declared = process.argv[3] ?? "true";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "connector-profile-"));
const started = performance.now();
await runSync(connector, { configuration: { rows: String(rows), every: process.argv[4] ?? "10000", declared }, warehouse: path.join(dir, "w.db"), keepRows: false });
console.log(`${rows} rows in ${((performance.now() - started) / 1000).toFixed(2)} s`);
fs.rmSync(dir, { recursive: true, force: true });
