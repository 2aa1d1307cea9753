/** How `connector state` shows states, their changes and the operations of checkpoints. */
import type { StateChange } from "../state/edit.js";
import type { JsonValue, StateObject } from "../state/state.js";
import type { TableCounts } from "../sync/counts.js";
import { stringifyExact } from "../util/exact.js";
import { num, truncate } from "./format.js";
import { secrets } from "./output.js";

/** A value as one line, its secrets hidden. */
export const showValue = (v: JsonValue | undefined): string => truncate(stringifyExact(secrets().value(v)), 120);

export function describeOps(ops: Record<string, TableCounts>): string {
  const parts = Object.entries(ops).map(([table, t]) => {
    const bits = (["upserts", "updates", "deletes", "truncates"] as const).filter((k) => t[k] > 0).map((k) => `${num(t[k])} ${t[k] === 1 ? k.slice(0, -1) : k}`);
    return `${table}: ${bits.join(", ") || "nothing"}`;
  });
  return parts.join("; ") || "no operations";
}

/** The state as indented JSON with its keys coloured by `key`. */
export function colorJson(value: StateObject, key: (s: string) => string): string {
  return stringifyExact(value, 2).replace(/^(\s*)("(?:[^"\\]|\\.)*")(:)/gm, (_m, indent: string, k: string, colon: string) => `${indent}${key(k)}${colon}`);
}

export function formatChange(ch: StateChange): string {
  if (ch.kind === "added") return `+ ${ch.path}: ${showValue(ch.after)}`;
  if (ch.kind === "removed") return `- ${ch.path}: ${showValue(ch.before)}`;
  return `~ ${ch.path}: ${showValue(ch.before)} → ${showValue(ch.after)}`;
}
