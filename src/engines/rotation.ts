/**
 * Rotated OAuth refresh tokens under an engine. A provider that rotates refresh tokens
 * invalidates the old one at once, and the engine, not the project, keeps the configuration:
 * so the new token goes back into the configuration the engine gave, in the shape it gave it.
 * Airbyte takes it as a CONTROL message (CONNECTOR_CONFIG), a Singer tap writes it into its
 * --config file (docs/engines.md, Rotated refresh tokens).
 */
import { FileSecretStore, httpSecretsFile } from "../project/http-secrets.js";
import { httpRuntime } from "../sdk/http-hooks.js";
import { writeFileAtomic } from "../state/state.js";
import type { Redactor } from "../util/redactor.js";
import { toError } from "../util/thrown.js";

/** The engine's configuration, as given, with each rotation put where the previous token was. */
export class RotatingConfiguration {
  private current: unknown;

  constructor(raw: unknown) {
    this.current = structuredClone(raw);
  }

  get value(): unknown {
    return this.current;
  }

  /** Replaces every string equal to one of `old` (at any depth) by `next`; how many it replaced. */
  rotate(old: string[], next: string): number {
    let replaced = 0;
    const walk = (v: unknown): unknown => {
      if (typeof v === "string" && old.includes(v)) {
        replaced++;
        return next;
      }
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    this.current = walk(this.current);
    return replaced;
  }
}

/** Why a rotated token could not be written back: no value of the configuration is the token the connector used. */
export const unplaced = (kept: string): string =>
  `The OAuth provider rotated the refresh token, but no field of the configuration holds the token the connector passed to RestClient (was it changed on the way?), so the new one cannot be written back into the configuration: ${kept}.`;

/**
 * connector-sdk/http's hooks for one engine command: every credential it obtains is masked
 * in our output, and `rotated` is told of each new refresh token.
 */
export function watchHttp(redactor: Redactor, rotated: (old: string[], next: string) => void): void {
  const runtime = httpRuntime();
  runtime.secret = (value) => redactor.add([value]);
  // The configuration holds the configured token, or the previous one after a rotation in this run.
  runtime.rotated = (previous, next, configured) => {
    redactor.add([previous, next, configured]);
    rotated([previous, configured], next);
  };
}

/**
 * A Singer tap's rotations: each new token is written into the --config file (atomically, owner-only), as
 * taps that rotate tokens do, and kept sealed in the project's files/http-secrets.json, as \`connector
 * debug\` keeps it. Meltano writes a fresh config file from meltano.yml for every run: there the sealed copy,
 * found again under the configured token, is what the next run uses.
 */
export function singerRotation(redactor: Redactor, file: string | undefined, raw: unknown, connectorFile: string, warn: (message: string) => void): void {
  const store = httpSecretsFile(connectorFile);
  httpRuntime().store = new FileSecretStore(store);
  const rotating = new RotatingConfiguration(raw);
  const kept = `it is kept sealed in ${store}, where the next run with the same configured token finds it`;
  watchHttp(redactor, (old, next) => {
    if (file === undefined || rotating.rotate(old, next) === 0) return warn(unplaced(kept));
    try {
      writeFileAtomic(file, JSON.stringify(rotating.value, null, 2) + "\n", 0o600);
    } catch (e) {
      warn(`The OAuth provider rotated the refresh token, and writing the new one into the config file ${file} failed (${toError(e).message}): ${kept}.`);
    }
  });
}
