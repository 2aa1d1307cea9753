/**
 * A key written twice in one JSON object, which JSON.parse resolves silently by keeping the last: in a
 * configuration file that is a credential or setting the developer thinks is used and is not.
 */
export interface DuplicateKey {
  key: string;
  /** The keys of the objects around it, outermost first. */
  path: string[];
  lines: [number, number];
}

/** The first duplicate key in valid JSON text, or undefined. */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: { keys: Map<string, number>; name: string | undefined }[] = [];
  let line = 1;
  let pendingKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    else if (c === "{") {
      stack.push({ keys: new Map(), name: pendingKey });
      pendingKey = undefined;
    } else if (c === "}") {
      stack.pop();
      pendingKey = undefined;
    } else if (c === "[" || c === ",") pendingKey = undefined;
    else if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (text[j] !== ":") continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      const top = stack[stack.length - 1]!;
      const first = top.keys.get(key);
      if (first !== undefined) return { key, path: stack.slice(1).map((s) => s.name ?? "[]"), lines: [first, line] };
      top.keys.set(key, line);
      pendingKey = key;
    }
  }
  return undefined;
}

/** What to say about a duplicate key of a configuration file. */
export function duplicateKeyMessage(d: DuplicateKey): string {
  const where = d.path.length ? ` inside ${d.path.map((k) => JSON.stringify(k)).join(" > ")}` : "";
  return (
    `has the key ${JSON.stringify(d.key)} twice${where} (lines ${d.lines[0]} and ${d.lines[1]}). ` +
    "JSON keeps only the last, so the first is silently not used: remove the one you do not mean."
  );
}
