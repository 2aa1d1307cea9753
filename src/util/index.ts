/**
 * util: small pieces every layer uses: typed errors, describing values, exact JSON for
 * 64-bit integers, durations, Standard Schema validation, secret redaction. Imports nothing
 * of this package.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
