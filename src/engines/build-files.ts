/**
 * The files `connector build` writes to package a connector for an engine: a Docker image
 * for Airbyte (and one for `connector run` on Kubernetes), and a tap executable with its
 * meltano.yml entry for Meltano. Pure text from the project's name, version and settings.
 */
import { createHash } from "node:crypto";
import type { JsonSchema } from "../util/secrets.js";

export interface BuildInput {
  /** The project's name: package.json's, else the folder's. */
  name: string;
  version: string;
  description: string;
  /** connector-sdk's version, installed into the image. */
  sdkVersion: string;
  /** The configuration's JSON Schema (spec.ts). */
  settings: JsonSchema;
  /** This CLI's bin/connector.js, the tap script's last resort. */
  cliBin: string;
  /** A connector without a configuration schema: the keys of its configuration.json, which its spec lists (spec.ts). */
  exampleKeys?: string[];
  /** The folder written (build/<target>), relative to the project, with `/`. */
  folder: string;
  /** connector-sdk packed into that folder (sdk-pack.ts), for the Dockerfiles. */
  sdkTarball?: string;
}

/** Where the image holds the project, and the command its entrypoint runs. */
export const IMAGE_DIR = "/connector";
export const IMAGE_CONNECTOR = `${IMAGE_DIR}/node_modules/.bin/connector`;

/** A name as Docker repositories, tap executables and Meltano plugin names take it: lower case, dashes. */
export const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "connector";

/** A stable UUID for the connector's Airbyte definition, from its name (a version 5 style hash). */
function definitionId(name: string): string {
  const h = createHash("sha1").update(`connector-sdk:source-${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The first half of both Dockerfiles: the official Node 20 image, the project's production dependencies and connector-sdk. */
function imageBase(b: BuildInput, purpose: string): string {
  const tarball = `${b.folder}/${b.sdkTarball}`;
  return `# Written by \`connector build\`: ${purpose}.
# Build from the project folder: docker build -f ${b.folder}/Dockerfile -t <image> .
FROM node:20-slim
WORKDIR ${IMAGE_DIR}
COPY package*.json ./
# connector-sdk ${b.sdkVersion} itself (the CLI that runs the connector), packed by \`connector build\` from the copy that built
# this: no registry needs to know it.
COPY ${tarball} ${tarball}
# The project's production dependencies, then connector-sdk from its tarball.
RUN npm install --omit=dev --no-audit --no-fund \\
 && npm install --omit=dev --no-save --no-audit --no-fund ./${tarball}
COPY . .
`;
}

/**
 * configuration.json holds live credentials and stays out of the image (DOCKERIGNORE); a connector without a
 * configuration schema gets its keys, with empty values, so that \`spec\` still lists them.
 */
function exampleKeys(b: BuildInput): string {
  if (!b.exampleKeys?.length) return "";
  const blank = JSON.stringify(Object.fromEntries(b.exampleKeys.map((k) => [k, ""])));
  return `# configuration.json's keys without their values, for \`spec\`: the file itself, with its secrets, is not copied.
RUN printf '%s\\n' ${shellQuote(blank)} > configuration.json
`;
}

/**
 * Keeps local state, warehouses, installed modules, other builds and the local configuration's live credentials
 * out of the image; this build's folder goes in (the packed connector-sdk, the frozen streams).
 */
export const dockerignore = (b: BuildInput): string => `node_modules
files
build/*
!${b.folder}
.git
configuration.json
.env
`;

export function airbyteDockerfile(b: BuildInput): string {
  return `${imageBase(b, `the ${b.name} connector as an Airbyte source`)}${exampleKeys(b)}ENV AIRBYTE_ENTRYPOINT="${IMAGE_CONNECTOR} airbyte"
ENTRYPOINT ["${IMAGE_CONNECTOR}", "airbyte"]
LABEL io.airbyte.name="airbyte/source-${slug(b.name)}"
LABEL io.airbyte.version="${b.version}"
`;
}

export function airbyteMetadata(b: BuildInput): string {
  return `# Written by \`connector build --target airbyte\`: the connector's Airbyte registry entry.
data:
  connectorType: source
  connectorSubtype: api
  definitionId: ${definitionId(b.name)}
  dockerRepository: airbyte/source-${slug(b.name)}
  dockerImageTag: ${b.version}
  name: ${JSON.stringify(b.name)}
  releaseStage: alpha
  supportLevel: community
  tags:
    - language:typescript
    - cdk:connector-sdk
metadataSpecVersion: "1.0"
`;
}

export function airbyteReadme(b: BuildInput): string {
  const image = `airbyte/source-${slug(b.name)}:${b.version}`;
  return `# ${b.name} as an Airbyte source

Written by \`connector build --target airbyte\`. The image runs \`connector airbyte\`
(spec, check, discover, read) on the project, with its production dependencies.

## Build the image

From the project folder (not from this one):

\`\`\`sh
docker build -f build/airbyte/Dockerfile -t ${image} .
docker run --rm ${image} spec
docker run --rm -v "$PWD/secrets:/secrets" ${image} check --config /secrets/config.json
\`\`\`

## Add it to Airbyte as a custom connector

1. Push the image to a registry your Airbyte instance can pull from
   (\`docker push ${image}\`), or load it into the nodes of a local instance.
2. In Airbyte: Settings → Sources → New connector → Add a new Docker connector.
   Name it, and give the repository \`airbyte/source-${slug(b.name)}\` and the tag \`${b.version}\`.
3. Create a source from it: the form is the connector's configuration schema (secret fields hidden).

Custom Docker connectors are available on Airbyte Core (open source) and Self-Managed Enterprise,
not on Airbyte Cloud. Every stream keeps one GLOBAL state; see docs/engines.md of connector-sdk
for the mapping of operations and types.
`;
}

export function tapScript(b: BuildInput): string {
  return `#!/bin/sh
# Written by \`connector build --target singer\`: the ${b.name} connector as a Singer tap.
# It runs \`connector singer <project> "$@"\`, the project being two folders up.
set -e
project="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -x "$project/node_modules/.bin/connector" ]; then
  exec "$project/node_modules/.bin/connector" singer "$project" "$@"
elif command -v connector >/dev/null 2>&1; then
  exec connector singer "$project" "$@"
else
  exec node ${shellQuote(b.cliBin)} singer "$project" "$@"
fi
`;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function meltanoYml(b: BuildInput, capabilities: string[]): string {
  const props = (b.settings.properties ?? {}) as Record<string, Record<string, unknown>>;
  const settings = Object.entries(props).map(([name, p]) => `        - name: ${name}${p.secret || p.airbyte_secret ? "\n          sensitive: true" : ""}`);
  return `# Written by \`connector build --target singer\`: add this extractor to your meltano.yml
# (paths are relative to the project folder; make them absolute if meltano.yml lives elsewhere).
plugins:
  extractors:
    - name: tap-${slug(b.name)}
      namespace: tap_${slug(b.name).replace(/-/g, "_")}
      executable: ./build/singer/tap-${slug(b.name)}
      capabilities:
${capabilities.map((c) => `        - ${c}`).join("\n")}
${settings.length ? `      settings:\n${settings.join("\n")}\n` : ""}`;
}

export const tapName = (b: BuildInput): string => `tap-${slug(b.name)}`;

export function runDockerfile(b: BuildInput): string {
  return `${imageBase(b, `the ${b.name} connector for \`connector run\` (a Kubernetes CronJob, say)`)}# The configuration and the destination come from the environment, never from the image:
#   CONNECTOR_CONFIGURATION  the configuration file's path (mount it from a Secret)
#   CONNECTOR_DESTINATION    postgres://user@host:5432/database?schema=name
#   PGPASSWORD               the destination's password (from a Secret)
ENTRYPOINT ["${IMAGE_CONNECTOR}", "run", "${IMAGE_DIR}"]
CMD ["--log-format", "json"]
`;
}
