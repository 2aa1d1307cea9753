/** A destination URL as it may be shown: without its password, whatever scheme it has. */
import { maskKeyValueSecrets } from "./key-value-secrets.js";
import { isSecretKey } from "./secrets.js";

/**
 * Any URL with its password replaced by ***, and the value of any secret-looking parameter or keyword. A password typed without percent-encoding may hold
 * `@`, `/`, `?`, `#` or spaces, and a user name may hold `@` (Azure's `user@server`) or spaces,
 * so everything from the first `:` after `scheme://` (or, in a URL without `//`, the first `:`)
 * to the last `@` is hidden, even where that hides more than the password: a mistyped
 * `postgres:/` or `postgres//` must not show it either.
 */
export function redactUrl(text: string): string {
  // A password may also be a parameter (`?password=…`), or a keyword of libpq's other form (`host=db password=…`).
  const masked = maskKeyValueSecrets(text, isSecretKey, "***");
  const at = masked.lastIndexOf("@");
  if (at < 0) return masked;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(masked);
  const colon = masked.indexOf(":", scheme ? scheme[0].length : 0);
  return colon < 0 || colon > at ? masked : `${masked.slice(0, colon)}:***${masked.slice(at)}`;
}
