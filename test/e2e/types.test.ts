import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { ROOT } from "../helpers.js";

it("the bundled examples type-check against the built package", async () => {
  const examples = fs.readdirSync(path.join(ROOT, "examples"), { withFileTypes: true }).filter((d) => d.isDirectory());
  expect(examples.length).toBeGreaterThan(1);
  for (const ex of examples) {
    const r = await execa("node", [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "examples", ex.name)], { reject: false });
    expect(r.exitCode, `${ex.name}: ${r.stdout}`).toBe(0);
  }
});

it("zod schemas type configuration, state, schema() and op.checkpoint with no casts (tsc on test/types)", async () => {
  const r = await execa("node", [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "test/types")], { reject: false });
  expect(r.exitCode, String(r.stdout)).toBe(0);
});
