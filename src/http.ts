/**
 * connector-sdk/http: a REST client over the global fetch, with retries, Retry-After, rate
 * limits, paging and auth (docs/http.md).
 */
export { RestClient, type Page } from "./http/client.js";
export { HttpOptionError, AUTH_TYPES, PAGINATOR_TYPES } from "./http/options.js";
export type { AuthOptions, PaginateOptions, PaginatorOptions, Query, RequestOptions, RestClientOptions, RestResponse, RetryOptions } from "./http/options.js";
export { HttpBodyError, HttpRequestError, RETRY_STATUSES } from "./http/retry.js";
export type { HttpCounts } from "./sdk/http-hooks.js";
