/**
 * A rotated refresh token, sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the
 * configured credentials. The key's id is derived the same way, so a new configured refresh
 * token (a user starting over) finds no sealed token of the old one and is used as given.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

export interface SealKey {
  id: string;
  key: Buffer;
}

export function sealKey(material: string[]): SealKey {
  const ikm = Buffer.from(material.join("\u0000"), "utf8");
  const salt = Buffer.from("connector-sdk/http rotated refresh token", "utf8");
  const key = Buffer.from(hkdfSync("sha256", ikm, salt, "key", 32));
  const id = createHash("sha256").update(Buffer.from(hkdfSync("sha256", ikm, salt, "id", 32))).digest("hex").slice(0, 32);
  return { id: `oauth2:${id}`, key };
}

export function seal(k: SealKey, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", k.key, iv);
  cipher.setAAD(Buffer.from(k.id));
  const body = Buffer.concat([cipher.update(JSON.stringify({ token, at: Date.now() }), "utf8"), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64");
}

/** The token, or undefined when the value was sealed under another key or altered. */
export function unseal(k: SealKey, sealed: string): string | undefined {
  try {
    const raw = Buffer.from(sealed, "base64");
    const decipher = createDecipheriv("aes-256-gcm", k.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(k.id));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
    const v = JSON.parse(text) as { token?: unknown };
    return typeof v.token === "string" ? v.token : undefined;
  } catch {
    return undefined;
  }
}
