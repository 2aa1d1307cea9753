import { readFileSync } from "node:fs";
import { Command, CommanderError } from "./cli/commander.js";
import { CommandFailedError, ExitError, InterruptedError, UnavailableError, UsageError } from "./util/errors.js";
import { guardPipes, jsonLinesOn, printError, secrets, useJsonLines, writeErr } from "./ui/output.js";
import { configurationSecrets, isSecretKey } from "./util/secrets.js";
import { airbyteCommand, buildCommand, singerCommand } from "./cli/engine-commands.js";
import { configurationCommand, initCommand, inspectCommand, linkCommand, uiCommand } from "./cli/project-commands.js";
import { stateCommand } from "./cli/state-commands.js";
import { debugCommand, resetCommand, runCommand, testCommand, verifyCommand } from "./cli/sync-commands.js";
import { isAccountedFor } from "./util/thrown.js";

guardPipes();
// A password on the command line or in CONNECTOR_DESTINATION, in whatever form (`user:…@`, `?password=…`, libpq's `password=…`), and wherever
// it was typed (`connector run postgres://…` without --destination takes it for the project folder), is hidden in everything printed.
secrets().add(configurationSecrets(undefined, [process.env.CONNECTOR_DESTINATION ?? "", ...process.argv.slice(2)]));
secrets().add(flagSecrets(process.argv.slice(2)));
// Asked for anywhere on the line, JSON lines hold from the first byte: commander's own errors and anything uncaught included.
if (process.argv.some((a, i) => a === "--log-format=json" || (a === "--log-format" && process.argv[i + 1] === "json"))) useJsonLines();

/** The value of a flag no command has but a newcomer types (`--password=…`, `--api-key …`): commander's error quotes the flag, value and all. */
function flagSecrets(args: string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    const m = /^--?([^=\s]+)(?:=([\s\S]*))?$/.exec(a);
    if (!m || !isSecretKey(m[1]!)) return;
    const value = m[2] ?? args[i + 1];
    if (value !== undefined && !value.startsWith("-")) out.push(value);
  });
  return out;
}

/** An error nothing caught: said as the error boundary says it, then the process ends as Node would end it. */
function uncaught(error: unknown): void {
  printError(`Internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 1);
  process.exit(1);
}
// An operation refused because its sync already ended (a forgotten await; `connector test` syncs in this thread) fails nothing.
process.on("unhandledRejection", (reason) => {
  if (isAccountedFor(reason)) return;
  if (jsonLinesOn()) uncaught(reason);
  else throw reason;
});
if (jsonLinesOn()) process.on("uncaughtException", uncaught);

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("connector")
  .description("Build, run and debug incremental data connectors locally.")
  .version(pkg.version, "-V, --version")
  .showSuggestionAfterError(true)
  // Commander's own errors (an unknown command, say) quote what was typed: through the redactor too, and as JSON under --log-format json.
  .configureOutput({ outputError: (text) => (jsonLinesOn() ? printError(text.trim(), 2) : writeErr(text)) })
  .exitOverride()
  .addHelpText(
    "after",
    "\nExit codes: 0 success (or a cancelled reset), 1 sync failed, 2 usage error or unusable input, 130 interrupted (143 on SIGTERM).",
  );

// The command table, in the order of `connector --help`; each command's definition lives in cli/.
for (const add of [
  debugCommand,
  runCommand,
  resetCommand,
  initCommand,
  linkCommand,
  configurationCommand,
  verifyCommand,
  testCommand,
  stateCommand,
  inspectCommand,
  uiCommand,
  airbyteCommand,
  singerCommand,
  buildCommand,
])
  add(program);

function exitCodeOf(error: unknown): number {
  if (error instanceof ExitError) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof UsageError) {
    printError(`Error: ${error.message}`, 2);
    return 2;
  }
  if (error instanceof InterruptedError) return error.signal === "SIGINT" ? 130 : 143;
  if (error instanceof UnavailableError || error instanceof CommandFailedError) {
    printError(`Error: ${error.message}`, 1);
    return 1;
  }
  printError(`Internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 1);
  return 1;
}

// `-v` is --verbose on the commands that have it; alone, it still answers with the version, as many tools do.
const argv = process.argv.length === 3 && process.argv[2] === "-v" ? [...process.argv.slice(0, 2), "-V"] : process.argv;
try {
  await program.parseAsync(argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
}
