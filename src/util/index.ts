/**
 * util: small pieces every layer uses: typed errors, describing values, exact JSON for
 * 64-bit integers, durations, Standard Schema validation, secret redaction. Imports nothing
 * of this package.
 */
export { ExitError, UsageError } from "./errors.js";
