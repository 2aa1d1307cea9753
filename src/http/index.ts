/**
 * http: connector-sdk/http (its entry point is src/http.ts): RestClient over the global fetch,
 * with retries, Retry-After, rate limits, paging, auth and sealed rotated refresh tokens
 * (docs/http.md). May import: sdk, util.
 */
