import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ExitError, InterruptedError, UnavailableError, UsageError } from "./util/errors.js";
import { guardPipes, jsonLinesOn, printError, secrets, useJsonLines, writeErr } from "./ui/output.js";
import { configurationSecrets } from "./util/secrets.js";
import { startEarly } from "./commands/early-worker.js";
import { afterFixed, lastIfProject, STATE_ARGUMENTS, type Split } from "./commands/project-argument.js";
import { isAccountedFor } from "./util/thrown.js";

guardPipes();
// A password on the command line or in CONNECTOR_DESTINATION, in whatever form (`user:…@`, `?password=…`, libpq's `password=…`), and wherever
// it was typed (`connector run postgres://…` without --destination takes it for the project folder), is hidden in everything printed.
secrets().add(configurationSecrets(undefined, [process.env.CONNECTOR_DESTINATION ?? "", ...process.argv.slice(2)]));
// Asked for anywhere on the line, JSON lines hold from the first byte: commander's own errors and anything uncaught included.
if (process.argv.some((a, i) => a === "--log-format=json" || (a === "--log-format" && process.argv[i + 1] === "json"))) useJsonLines();

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

program
  .command("debug")
  .description("Run a sync: commit rows to files/warehouse.db (or .duckdb) and the cursor to files/state.json")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--configuration <file>", "configuration JSON (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
  .option("--state <file>", "state file to start from and write at every checkpoint (default: $CONNECTOR_STATE, else files/state.json)")
  .addOption(new Option("--naming <style>", "table and column naming: fivetran or source (default: $CONNECTOR_NAMING, else fivetran)"))
  .option("--timeout <duration>", "fail the sync if it runs longer, e.g. 30s, 5m, 1h")
  .option("--destination <kind>", "sqlite (files/warehouse.db) or duckdb (files/warehouse.duckdb, schema tester) (default: $CONNECTOR_DESTINATION, else the project's warehouse, else sqlite)")
  .option("-v, --verbose", "show log.debug lines")
  .option("--json", "print one machine-readable run report on stdout, no spinner")
  .option("--record [name]", "record every HTTP request into fixtures/<name>/ (default: default), with the expected outcome")
  .option("--replay [name]", "serve HTTP from the cassette fixtures/<name>/ instead of the network")
  .option("-y, --yes", "with --record: replace an existing cassette without asking")
  .addOption(new Option("--force", "alias of --yes").hideHelp().implies({ yes: true }))
  .option("--memory-limit <size>", "cap the sync's heap, e.g. 512MB, 1GB (production's limit) (default: 4GB, as Fivetran's local debug)")
  .action(async (dir: string | undefined, opts) => {
    // The sync worker loads its modules while this thread loads the command's and reads the project.
    const early = startEarly(opts.memoryLimit);
    try {
      const { debug } = await import("./commands/debug.js");
      await debug(afterFixed([dir], 0, opts.project).dir, opts, early);
    } finally {
      early?.cancel();
    }
  });

program
  .command("run")
  .description("Run a sync into a production destination (PostgreSQL, or a DuckDB or SQLite file), for cron, systemd and Kubernetes: no prompts, state kept in the destination")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--destination <url>", "postgres://user@host:5432/db?schema=name, duckdb:<file> or sqlite:<file> (default: $CONNECTOR_DESTINATION, else destination.json)")
  .option("--name <name>", "the connector's name in the destination, so several can share a schema (default: the project folder's name)")
  .option("--configuration <file>", "configuration JSON (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
  .option("--state <file>", "PostgreSQL: a state to seed a first run with (default: $CONNECTOR_STATE, else none: a first run starts from {}); duckdb: and sqlite: files: the state file, as for debug (default: $CONNECTOR_STATE, else files/state.json)")
  .addOption(new Option("--naming <style>", "table and column naming: fivetran or source (default: $CONNECTOR_NAMING, else fivetran)"))
  .option("--timeout <duration>", "fail an attempt that runs longer, e.g. 30m, 2h")
  .option("--retries <n>", "retry a failed sync up to n times, from the last committed checkpoint (default 0)")
  .option("--retry-delay <duration>", "the first back-off; it doubles at each retry (default 1s)")
  .option("--memory-limit <size>", "cap the sync's heap, e.g. 512MB, 1GB (default: 4GB)")
  .option("--log-format <format>", "plain (lines on stderr) or json (one JSON object per line on stdout)", "plain")
  .option("-v, --verbose", "show log.debug lines")
  .option("--json", "print one machine-readable run report on stdout")
  .action(async (dir: string | undefined, opts) => {
    const { run } = await import("./commands/run.js");
    await run(afterFixed([dir], 0, opts.project).dir, opts);
  });

program
  .command("reset")
  .description("Start over: delete the state file and files/warehouse.db (asks first)")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--state <file>", "the state file to delete instead of files/state.json (default: $CONNECTOR_STATE)")
  .option("--table <name...>", "drop only these tables' rows and metadata; keep the state")
  .option("--destination <url>", "reset what `connector run --destination` wrote instead: a connector in PostgreSQL (its tables, state and history), or a duckdb:/sqlite: file and its state file (default: $CONNECTOR_DESTINATION if it is a URL)")
  .option("--name <name>", "with --destination: the connector's name (default: the project folder's name)")
  .option("-y, --yes", "do not ask")
  .addOption(new Option("--force", "alias of --yes").hideHelp().implies({ yes: true }))
  .action(async (dir: string | undefined, opts) => {
    const { reset } = await import("./commands/reset.js");
    await reset(afterFixed([dir], 0, opts.project).dir, opts);
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
  .command("link")
  .description("Make connector-sdk importable in the project (node_modules/connector-sdk, a link to this CLI's own copy) for its tests, type checks and editor; the templates' npm test and npm run typecheck run it first")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .action(async (dir: string | undefined, opts) => {
    const { link } = await import("./commands/link.js");
    await link(afterFixed([dir], 0, opts.project).dir);
  });

program
  .command("configuration")
  .description("Fill in configuration.json from the connector's setup form, asking on the terminal; or run its setup tests (--test)")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--set <name=value>", "fill a field without asking (repeatable); for secrets prefer CONNECTOR_FORM_<NAME>=…", (v: string, all: string[] | undefined) => [...(all ?? []), v])
  .option("-y, --yes", "replace an existing configuration file without asking")
  .option("--test", "run the connector's setup tests against the configuration file")
  .option("--configuration <file>", "the file to write, or to test (default: $CONNECTOR_CONFIGURATION, else configuration.json)")
  .option("--timeout <duration>", "with --test: fail a test that runs longer (default 30s)")
  .option("--json", "with --test: print the report as JSON on stdout")
  .action(async (dir: string | undefined, opts) => {
    const { configurationCommand } = await import("./commands/configuration.js");
    await configurationCommand(afterFixed([dir], 0, opts.project).dir, opts);
  });

program
  .command("verify")
  .description("Prove that interrupted syncs resume to the same data (in scratch copies)")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--configuration <file>", "configuration JSON (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
  .option("--trials <n>", "how many interrupted syncs to try (default 5)")
  .option("--seed <s>", "seed for the interruption points, to repeat a run")
  .option("--timeout <duration>", "fail any one of its syncs that runs longer, e.g. 30s, 5m")
  .addOption(new Option("--naming <style>", "fivetran or source").hideHelp())
  .option("--replay [name]", "serve every run's HTTP from the cassette fixtures/<name>/ (default: default): offline and deterministic")
  .option("--destination <kind>", "the kind of scratch warehouse: sqlite or duckdb (default: the project's), or a PostgreSQL URL: scratch schemas there, dropped afterwards")
  .option("--json", "print the report as JSON on stdout")
  .action(async (dir: string | undefined, opts) => {
    const { verifyCommand } = await import("./commands/verify.js");
    await verifyCommand(afterFixed([dir], 0, opts.project).dir, opts);
  });

program
  .command("test")
  .description("Replay a recorded cassette (fixtures/<name>/) offline and report every row and state that changed")
  .argument("[name]", "the cassette (default: default)")
  .argument("[project-dir]", "the connector's folder (default: the working directory); alone, an argument is the folder if it holds a connector, else the cassette")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--configuration <file>", "configuration JSON (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
  .option("--update", "accept the replayed outcome: write it to fixtures/<name>/outcome.json")
  .addOption(new Option("--naming <style>", "fivetran or source (default: as recorded)").hideHelp())
  .option("--json", "print the report as JSON on stdout")
  .action(async (name: string | undefined, dir: string | undefined, opts) => {
    const { testCommand } = await import("./commands/test.js");
    const args = lastIfProject([name, dir], 1, opts.project);
    await testCommand(args.own[0], { ...opts, project: args.dir });
  });

const state = program.command("state").description("Show and steer the connector's state: show, history, diff, set, unset, rewind");
const PROJECT_LAST = "the connector's folder (default: the working directory)";
const stateOptions = (c: Command): Command =>
  c
    .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
    .option("--state <file>", "the state file (default: $CONNECTOR_STATE, else files/state.json)")
    .option("--configuration <file>", "the configuration whose secret values are shown as *** (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
    .option("--destination <url>", "the state a connector keeps in PostgreSQL, instead of the state file (default: $CONNECTOR_DESTINATION if it is a URL)")
    .option("--name <name>", "with --destination: the connector's name (default: the project folder's name)")
    .option("--json", "print JSON on stdout");
const stateCommands = () => import("./commands/state.js");
const split = new WeakMap<Command, Split>();
state.hook("preAction", async (_state, command) => {
  const s = STATE_ARGUMENTS[command.name()]!(command.processedArgs as (string | undefined)[], command.opts());
  split.set(command, s);
  command.setOptionValue("project", s.dir);
  await (await stateCommands()).hideSecrets(command.opts());
});
const own = (command: Command): (string | undefined)[] => split.get(command)!.own;
stateOptions(state.command("show").description("Print the current state").argument("[project-dir]", PROJECT_LAST)).action(async (_d, opts) => (await stateCommands()).stateShow(opts));
stateOptions(state.command("history").description("One row per checkpoint: seq, time, state size, operations per table").argument("[project-dir]", PROJECT_LAST)).action(async (_d, opts) =>
  (await stateCommands()).stateHistory(opts),
);
stateOptions(
  state
    .command("diff")
    .description("Path-level diff between two checkpoints, or a checkpoint and the state file (default: the latest checkpoint and the state file)")
    .argument("[a]", "checkpoint seq")
    .argument("[b]", "checkpoint seq (default: the state file)")
    .argument("[project-dir]", `${PROJECT_LAST}; a last argument is the folder if it holds a connector`),
).action(async (_a, _b, _d, opts, command: Command) => {
  const [a, b] = own(command);
  await (await stateCommands()).stateDiff(a, b, opts);
});
stateOptions(
  state
    .command("set")
    .description("Set one value (JSON, or else taken as a string), or replace the whole state with --file")
    .argument("[json-path]", "for example companies.acme.cursor or items[0]")
    .argument("[json-value]", 'for example \'"2024-01-01T00:00:00Z"\' or 42')
    .argument("[project-dir]", `${PROJECT_LAST}; with --file, the only argument`)
    .option("--file <file>", "replace the whole state with this JSON file"),
).action(async (_p, _v, _d, opts, command: Command) => {
  const [p, v] = own(command);
  await (await stateCommands()).stateSet(p, v, opts);
});
stateOptions(state.command("unset").description("Remove one value, for example a table's cursor").argument("<json-path>").argument("[project-dir]", PROJECT_LAST)).action(
  async (p: string, _d, opts) => (await stateCommands()).stateUnset(p, opts),
);
stateOptions(
  state.command("rewind").description("Set the state file to a past checkpoint's state, and say what the next sync replays").argument("<seq>").argument("[project-dir]", PROJECT_LAST),
).action(async (seq: string, _d, opts) => (await stateCommands()).stateRewind(seq, opts));

program
  .command("inspect")
  .description("Tables, keys, row counts and column types; or a table's latest rows")
  .argument("[table]", "show this table's most recently synced rows")
  .argument("[project-dir]", "the connector's folder (default: the working directory); alone, an argument is the folder if it holds a connector, else the table")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--limit <n>", "how many rows to show (default 20)")
  .option("--destination <url>", "look at a connector's tables in PostgreSQL (or a duckdb:/sqlite: file) instead of files/ (default: $CONNECTOR_DESTINATION if it is a URL)")
  .option("--name <name>", "with --destination: the connector's name (default: the project folder's name)")
  .option("--json", "print JSON on stdout")
  .action(async (table: string | undefined, dir: string | undefined, opts) => {
    const { inspect } = await import("./commands/inspect.js");
    const args = lastIfProject([table, dir], 1, opts.project);
    await inspect(args.own[0], { ...opts, project: args.dir });
  });

program
  .command("ui")
  .description("Serve a read-only web view of the project on 127.0.0.1: checkpoints and their state diffs, tables, runs, recorded HTTP")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .addOption(new Option("--project <dir>", "alias of [project-dir]").hideHelp())
  .option("--port <n>", "the port to serve on (default 4848; 0 takes any free port)")
  .option("--host <address>", "the address to bind (default 127.0.0.1; another one is reachable from the network, with a warning)")
  .option("--no-open", "print the URL only; do not open a browser")
  .option("--destination <url>", "show a connector in PostgreSQL (or a duckdb:/sqlite: file) instead of files/ (default: $CONNECTOR_DESTINATION if it is a URL)")
  .option("--name <name>", "with --destination: the connector's name (default: the project folder's name)")
  .option("--state <file>", "the state file to show (default: $CONNECTOR_STATE, else files/state.json)")
  .action(async (dir: string | undefined, opts) => {
    const { uiCommand } = await import("./commands/ui.js");
    await uiCommand(afterFixed([dir], 0, opts.project).dir, opts);
  });

// Engines (issue 23): the connector as an Airbyte source, a Singer tap, and the files that package it (docs/engines.md).
const airbyteCommand = program.command("airbyte").description("Run the connector as an Airbyte source: spec, check, discover, read (one AirbyteMessage per line on stdout)");
const airbyteVerb = (verb: "spec" | "check" | "discover" | "read", description: string): Command => {
  const c = airbyteCommand
    .command(verb)
    .description(description)
    .argument("[project-dir]", "the connector's folder (default: the working directory)")
    .addOption(new Option("--naming <style>", "table and column naming: fivetran or source (default: $CONNECTOR_NAMING, else fivetran)"));
  if (verb !== "spec") c.option("--config <file>", "the configuration, as JSON (required)");
  if (verb === "read") c.option("--catalog <file>", "the configured catalog (required)").option("--state <file>", "a state a previous read emitted: the list of state messages, or the legacy object");
  return c.action(async (dir: string | undefined, opts) => {
    const { airbyte } = await import("./commands/airbyte.js");
    await airbyte(verb, dir, opts);
  });
};
airbyteVerb("spec", "Print the connection specification (the configuration's JSON Schema, secrets marked airbyte_secret)");
airbyteVerb("check", "Validate the configuration and run the setup tests: CONNECTION_STATUS SUCCEEDED or FAILED");
airbyteVerb("discover", "Print the catalog: one stream per table that schema() declares");
airbyteVerb("read", "Sync the streams the configured catalog selects: RECORD, STATE (GLOBAL) and TRACE messages");

program
  .command("singer")
  .description("Run the connector as a Singer tap: SCHEMA, RECORD, STATE and ACTIVATE_VERSION messages on stdout; --discover, --about")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .option("--config <file>", "the configuration, as JSON")
  .option("--state <file>", "a state: the value of the last STATE message a run emitted")
  .option("--catalog <file>", "a catalog (from --discover) whose metadata selects the streams")
  .option("--discover", "print the catalog")
  .option("--about", "print the tap's name, version, capabilities and settings")
  .option("--format <format>", "with --about: json or markdown (default: markdown)")
  .addOption(new Option("--naming <style>", "table and column naming: fivetran or source (default: $CONNECTOR_NAMING, else fivetran)"))
  .action(async (dir: string | undefined, opts) => {
    const { singer } = await import("./commands/singer.js");
    await singer(dir, opts);
  });

program
  .command("build")
  .description("Write the files that package the connector for an engine: build/airbyte/ (Docker image), build/singer/ (tap executable, meltano.yml) or build/docker/ (connector run)")
  .argument("[project-dir]", "the connector's folder (default: the working directory)")
  .option("--target <target>", "airbyte, singer or docker (required)")
  .action(async (dir: string | undefined, opts) => {
    const { build } = await import("./commands/build.js");
    await build(dir, opts);
  });

function exitCodeOf(error: unknown): number {
  if (error instanceof ExitError) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof UsageError) {
    printError(`Error: ${error.message}`, 2);
    return 2;
  }
  if (error instanceof InterruptedError) return error.signal === "SIGINT" ? 130 : 143;
  if (error instanceof UnavailableError) {
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
