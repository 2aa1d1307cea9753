import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { loadProject } from "../engines/project-inputs.js";
import { configurationSpec } from "../engines/spec.js";
import { CAPABILITIES } from "../engines/singer.js";
import { freezeStreams } from "../engines/catalog-streams.js";
import * as files from "../engines/build-files.js";
import { packSdk, PACKAGE_ROOT } from "../engines/sdk-pack.js";
import { writeErr } from "../ui/output.js";

const TARGETS = ["airbyte", "singer", "docker"];

/** `connector build --target airbyte|singer|docker`: writes build/<target>/ in the project. */
export async function build(dir: string | undefined, opts: { target?: string }): Promise<void> {
  if (!opts.target || !TARGETS.includes(opts.target)) throw new UsageError(`--target must be one of ${TARGETS.join(", ")}${opts.target ? `, got ${JSON.stringify(opts.target)}` : ""}.`);
  const target = opts.target as "airbyte" | "singer" | "docker";
  const ep = await loadProject(dir);
  const sdk = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  const out = path.join(ep.p.dir, "build", target);
  const b: files.BuildInput = {
    name: ep.name,
    version: ep.version,
    description: ep.description,
    sdkVersion: sdk.version,
    settings: configurationSpec(ep),
    cliBin: path.join(PACKAGE_ROOT, "bin", "connector.js"),
    folder: `build/${target}`,
  };
  if (!ep.definition.configuration) b.exampleKeys = Object.keys((b.settings.properties ?? {}) as object);
  const frozen: string[] = [];
  if (target !== "docker") {
    // Before anything is written: an Airbyte build that could discover no stream fails whole.
    const streams = await freezeStreams(ep, target, writeErr);
    if (streams) frozen.push(streams);
  }
  fs.mkdirSync(out, { recursive: true });
  if (target !== "singer") b.sdkTarball = packSdk(out);
  const written: Record<string, string> =
    target === "airbyte"
      ? { Dockerfile: files.airbyteDockerfile(b), "Dockerfile.dockerignore": files.dockerignore(b), "metadata.yaml": files.airbyteMetadata(b), "README.md": files.airbyteReadme(b) }
      : target === "singer"
        ? { [files.tapName(b)]: files.tapScript(b), "meltano.yml": files.meltanoYml(b, CAPABILITIES) }
        : { Dockerfile: files.runDockerfile(b), "Dockerfile.dockerignore": files.dockerignore(b) };
  for (const [name, text] of Object.entries(written)) {
    const file = path.join(out, name);
    fs.writeFileSync(file, text, { mode: name.startsWith("tap-") ? 0o755 : 0o644 });
    if (name.startsWith("tap-")) fs.chmodSync(file, 0o755);
  }
  for (const name of [...Object.keys(written), ...(b.sdkTarball ? [b.sdkTarball] : []), ...frozen.map((f) => path.basename(f))]) {
    const file = path.join(out, name);
    writeErr(`Wrote ${path.relative(process.cwd(), file) || file}\n`);
  }
}
