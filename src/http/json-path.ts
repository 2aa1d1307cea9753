/** Dotted paths into a JSON body: "meta.next_cursor", "data.0.id". */

export function atPath(body: unknown, path: string): unknown {
  let at: unknown = body;
  for (const part of path.split(".")) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** The keys found where a path stopped resolving, for an error that says what the body does have. */
export function keysNear(body: unknown, path: string): { at: string; keys: string[] } {
  let at: unknown = body;
  const walked: string[] = [];
  for (const part of path.split(".")) {
    if (at === null || typeof at !== "object" || !(part in (at as object))) break;
    at = (at as Record<string, unknown>)[part];
    walked.push(part);
  }
  const keys = at !== null && typeof at === "object" && !Array.isArray(at) ? Object.keys(at) : [];
  return { at: walked.length ? walked.join(".") : "the body", keys };
}
