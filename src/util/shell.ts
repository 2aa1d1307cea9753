/** One argument as a POSIX shell reads it back: as it is when that is safe, else in single quotes. */
export function shellArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
