/** Dotted paths into a JSON body: "meta.next_cursor", "data.0.id", and keys that hold dots ("@odata.nextLink"). */

export function atPath(body: unknown, path: string): unknown {
  let at: unknown = body;
  const parts = path.split(".");
  for (let i = 0; i < parts.length; ) {
    if (at === null || typeof at !== "object") return undefined;
    // A key with dots in it, as OData's "@odata.nextLink": the longest run of parts that the object has as one key.
    let j = parts.length;
    while (j > i + 1 && !Object.hasOwn(at, parts.slice(i, j).join("."))) j--;
    at = (at as Record<string, unknown>)[j === i + 1 ? parts[i]! : parts.slice(i, j).join(".")];
    i = j;
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
