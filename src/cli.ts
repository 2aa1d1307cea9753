import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ExitError, InterruptedError, UsageError } from "./core/errors.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("connector")
  .description("Build, run and debug incremental data connectors locally.")
  .version(pkg.version, "-v, --version")
  .showSuggestionAfterError(true)
  .exitOverride()
  .addHelpText(
    "after",
    "\nExit codes: 0 success (or a cancelled reset), 1 sync failed, 2 usage error or unusable input, 130 interrupted (143 on SIGTERM).",
  );

program
  .command("debug")
  .description("Run a sync: commit rows to files/warehouse.db and the cursor to files/state.json")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .option("--configuration <file>", "configuration JSON (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
  .option("--state <file>", "state file to start from and write at every checkpoint (default: $CONNECTOR_STATE, else files/state.json)")
  .addOption(new Option("--naming <style>", "table and column naming: fivetran or source (default: $CONNECTOR_NAMING, else fivetran)"))
  .option("--timeout <duration>", "fail the sync if it runs longer, e.g. 30s, 5m, 1h")
  .option("--verbose", "show log.debug lines")
  .option("--json", "print one machine-readable run report on stdout, no spinner")
  .action(async (dir: string | undefined, opts) => {
    const { debug } = await import("./commands/debug.js");
    await debug(dir, opts);
  });

program
  .command("reset")
  .description("Start over: delete the state file and files/warehouse.db (asks first)")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .option("--state <file>", "the state file to delete instead of files/state.json (default: $CONNECTOR_STATE)")
  .option("--table <name...>", "drop only these tables' rows and metadata; keep the state")
  .option("-y, --yes", "do not ask")
  .addOption(new Option("--force", "alias of --yes").hideHelp().implies({ yes: true }))
  .action(async (dir: string | undefined, opts) => {
    const { reset } = await import("./commands/reset.js");
    await reset(dir, opts);
  });

program
  .command("init")
  .description("Create a connector project from a bundled template (offline)")
  .argument("[project-dir]", "the folder to create (default: the working directory)")
  .option("--template <name>", "the template to copy (see --list)")
  .option("--list", "list the templates")
  .option("-y, --yes", "write into a folder that is not empty")
  .action(async (dir: string | undefined, opts) => {
    const { init } = await import("./commands/init.js");
    await init(dir, opts);
  });

program
  .command("verify")
  .description("Prove that interrupted syncs resume to the same data (in scratch copies)")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .option("--configuration <file>", "configuration JSON (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
  .option("--trials <n>", "how many interrupted syncs to try (default 5)")
  .option("--seed <s>", "seed for the interruption points, to repeat a run")
  .addOption(new Option("--naming <style>", "fivetran or source").hideHelp())
  .option("--json", "print the report as JSON on stdout")
  .action(async (dir: string | undefined, opts) => {
    const { verifyCommand } = await import("./commands/verify.js");
    await verifyCommand(dir, opts);
  });

function exitCodeOf(error: unknown): number {
  if (error instanceof ExitError) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof UsageError) {
    process.stderr.write(`Error: ${error.message}\n`);
    return 2;
  }
  if (error instanceof InterruptedError) return error.signal === "SIGINT" ? 130 : 143;
  process.stderr.write(`Internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
}
