/**
 * The side store of connector-sdk/http: rotated refresh tokens, sealed by the client (AES-GCM
 * under a key derived from the configured credentials), kept in files/http-secrets.json the
 * moment they arrive. A provider that rotates refresh tokens invalidates the old one at once,
 * so a crash before the next checkpoint must not lose the new one. The file holds no
 * credential in the clear: without the configuration it cannot be opened.
 */
import fs from "node:fs";
import path from "node:path";
import type { Sealed, SecretStore } from "../sdk/http-hooks.js";

export class FileSecretStore implements SecretStore {
  constructor(readonly file: string) {}

  private read(): Record<string, Sealed> {
    try {
      const v = JSON.parse(fs.readFileSync(this.file, "utf8")) as unknown;
      return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Sealed>) : {};
    } catch {
      return {};
    }
  }

  get(key: string): Sealed | undefined {
    const e = this.read()[key];
    return typeof e?.value === "string" && typeof e.at === "number" ? e : undefined;
  }

  /** Written through a temporary file, synced, then renamed: the old or the new file, never half of one. */
  put(key: string, sealed: Sealed): void {
    const all = this.read();
    all[key] = sealed;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      const fd = fs.openSync(tmp, "w", 0o600);
      try {
        fs.writeSync(fd, JSON.stringify(all, null, 2) + "\n");
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (e) {
      // A full disk or a file in the way: no half-written temporary file is left behind.
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    try {
      const dir = fs.openSync(path.dirname(this.file), "r");
      fs.fsyncSync(dir);
      fs.closeSync(dir);
    } catch {
      // Some file systems refuse to sync a folder; the rename is still atomic.
    }
  }
}

/** Where a project's side store lives: beside its warehouse and state. */
export function httpSecretsFile(connectorFile: string): string {
  return path.join(path.dirname(connectorFile), "files", "http-secrets.json");
}
