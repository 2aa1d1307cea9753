/** Placeholder until the normalize layer's shared conversion lands: converts a canonical stored value on a widening. */
import { coercerFor } from "../core/types.js";
import type { LogicalType, Stored } from "./destination.js";

export function convertStored(from: LogicalType | null, to: LogicalType, v: Stored): Stored {
  if (v === null) return null;
  if (to.type === "STRING") {
    if (from?.type === "BOOLEAN") return v === 1 ? "true" : "false";
    if (typeof v === "object") return Buffer.from(v).toString("base64");
    return String(v);
  }
  return coercerFor(to)(v);
}
