/**
 * Passwords inside connection strings that are not URLs with a user and a password: ADO.NET and
 * ODBC (`Server=db;User Id=u;Password=s3 cr3t;`), libpq's keywords (`host=db password='s3 cr3t'`),
 * and the query of a JDBC or other URL (`jdbc:postgresql://db/app?user=u&password=s3cr3t`). A pair
 * counts when its key is secret-looking, whatever configuration key holds the text.
 */
const QUERY_PAIR = /[?&]([^=&#\s]+)=([^&#\s]*)/g;
const SEMICOLON_PAIR = /(?:^|;)\s*([^=;]+?)\s*=\s*(\{[^}]*\}|"[^"]*"|'[^']*'|[^;]*)/g;
const SPACE_PAIR = /(?:^|\s)([A-Za-z_][\w.-]*)\s*=\s*('(?:[^'\\]|\\.)*'|"[^"]*"|\S+)/g;

function unquote(value: string): string {
  const v = value.trim();
  const first = v[0];
  const last = v[v.length - 1];
  if (v.length >= 2 && ((first === "'" && last === "'") || (first === '"' && last === '"') || (first === "{" && last === "}"))) return v.slice(1, -1);
  return v;
}

export function keyValueSecrets(text: string, isSecretKey: (key: string) => boolean): string[] {
  if (!text.includes("=")) return [];
  const out: string[] = [];
  const take = (key: string, value: string): void => {
    if (!isSecretKey(key.trim())) return;
    const v = unquote(value);
    if (v) out.push(v);
  };
  for (const m of text.matchAll(QUERY_PAIR)) {
    take(m[1]!, m[2]!);
    try {
      take(m[1]!, decodeURIComponent(m[2]!));
    } catch {
      // not percent-encoded
    }
  }
  // Values between semicolons may hold spaces; elsewhere a space ends a value.
  for (const m of text.matchAll(text.includes(";") ? SEMICOLON_PAIR : SPACE_PAIR)) take(m[1]!, m[2]!);
  return out;
}

/** A parameter's value runs to the next `&`: a password typed without percent-encoding may hold `#` or a space. */
const MASKED_QUERY_PAIR = /([?&])([^=&#\s]+)=([^&]*)/g;
const MASKED_SEMICOLON_PAIR = /(^|;)(\s*)([^=;]+?)(\s*=\s*)(\{[^}]*\}|"[^"]*"|'[^']*'|[^;]*)/g;
const MASKED_SPACE_PAIR = /(^|\s)([A-Za-z_][\w.-]*)(\s*=\s*)('(?:[^'\\]|\\.)*'|"[^"]*"|\S+)/g;

/**
 * The text with the value of every secret-looking pair replaced by `mask`, in the forms
 * keyValueSecrets reads: a URL's query (`?password=…`), and libpq's, ADO.NET's or ODBC's
 * keywords (`host=db password='s3 cr3t'`). The value is hidden where it stands, whatever it is,
 * so a text that is not known to hold a secret can still be quoted in a message.
 */
export function maskKeyValueSecrets(text: string, isSecretKey: (key: string) => boolean, mask: string): string {
  if (!text.includes("=")) return text;
  const out = text.replace(MASKED_QUERY_PAIR, (m, sep: string, key: string) => (isSecretKey(safeDecode(key)) ? `${sep}${key}=${mask}` : m));
  // Both forms: libpq's value ends at a space (and may hold a semicolon), ADO.NET's at a semicolon (and may hold a space).
  const spaced = out.replace(MASKED_SPACE_PAIR, (m, lead: string, key: string, eq: string) => (isSecretKey(key) ? `${lead}${key}${eq}${mask}` : m));
  if (!spaced.includes(";")) return spaced;
  return spaced.replace(MASKED_SEMICOLON_PAIR, (m, lead: string, space: string, key: string, eq: string) => (isSecretKey(key.trim()) ? `${lead}${space}${key}${eq}${mask}` : m));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
