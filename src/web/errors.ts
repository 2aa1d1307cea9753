/** A page that names what was asked for and does not exist: served as 404. */
export class NotFound extends Error {}
/** An address the server cannot read (a malformed %-escape, an altered page link): served as 400. */
export class BadRequest extends Error {}
