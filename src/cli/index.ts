/**
 * cli: the command table's definitions, one file per group of commands: each command's
 * arguments, options and help text (commander), and an action that loads its thin file from
 * commands/ only when it runs, so that --help loads none of them. cli.ts keeps the table's
 * order and the one error boundary.
 */
export {};
