/** A page that names what was asked for and does not exist: served as 404. */
export class NotFound extends Error {}
