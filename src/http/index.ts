/**
 * connector-sdk/http: a REST client over the global fetch, with retries, Retry-After, rate
 * limits, paging and auth (docs/http.md). May import: sdk, util.
 */
export { RestClient, type Page } from "./client.js";
export { HttpOptionError, AUTH_TYPES, PAGINATOR_TYPES } from "./options.js";
export type { AuthOptions, PaginateOptions, PaginatorOptions, Query, RequestOptions, RestClientOptions, RestResponse, RetryOptions } from "./options.js";
export { HttpBodyError, HttpRequestError, RETRY_STATUSES } from "./retry.js";
export type { HttpCounts } from "../sdk/http-hooks.js";
