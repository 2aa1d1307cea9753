import { Option, type Command } from "./commander.js";
import { startEarly } from "../commands/early-worker.js";
import { afterFixed, lastIfProject } from "../commands/project-argument.js";
import { CONFIGURATION, forceAlias, NAME, NAMING, PROJECT_DIR, projectAlias } from "./options.js";

// The commands that run a connector's sync, or undo one: debug, run, reset, verify, test.

export function debugCommand(program: Command): void {
  program
    .command("debug")
    .description("Run a sync: commit rows to files/warehouse.db (or .duckdb) and the cursor to files/state.json")
    .argument("[project-dir]", PROJECT_DIR)
    .addOption(projectAlias())
    .option("--configuration <file>", CONFIGURATION)
    .option("--state <file>", "state file to start from and write at every checkpoint (default: $CONNECTOR_STATE, else files/state.json)")
    .addOption(new Option("--naming <style>", NAMING))
    .option("--timeout <duration>", "fail the sync if it runs longer, e.g. 30s, 5m, 1h")
    .option("--destination <kind>", "sqlite (files/warehouse.db) or duckdb (files/warehouse.duckdb, schema tester) (default: $CONNECTOR_DESTINATION, else the project's warehouse, else sqlite)")
    .option("-v, --verbose", "show log.debug lines")
    .option("--json", "print one machine-readable run report on stdout, no spinner")
    .option("--record [name]", "record every HTTP request into fixtures/<name>/ (default: default), with the expected outcome")
    .option("--replay [name]", "serve HTTP from the cassette fixtures/<name>/ instead of the network")
    .option("-y, --yes", "with --record: replace an existing cassette without asking")
    .addOption(forceAlias())
    .option("--memory-limit <size>", "cap the sync's heap, e.g. 512MB, 1GB (production's limit) (default: 4GB, as Fivetran's local debug)")
    .action(async (dir: string | undefined, opts) => {
      // The sync worker loads its modules while this thread loads the command's and reads the project.
      const early = startEarly(opts.memoryLimit);
      try {
        const { debug } = await import("../commands/debug.js");
        await debug(afterFixed([dir], 0, opts.project).dir, opts, early);
      } finally {
        early?.cancel();
      }
    });
}

export function runCommand(program: Command): void {
  program
    .command("run")
    .description("Run a sync into a production destination (PostgreSQL, or a DuckDB or SQLite file), for cron, systemd and Kubernetes: no prompts, state kept in the destination")
    .argument("[project-dir]", PROJECT_DIR)
    .addOption(projectAlias())
    .option("--destination <url>", "postgres://user@host:5432/db?schema=name, duckdb:<file> or sqlite:<file> (default: $CONNECTOR_DESTINATION, else destination.json)")
    .option("--name <name>", "the connector's name in the destination, so several can share a schema (default: the project folder's name)")
    .option("--configuration <file>", CONFIGURATION)
    .option("--state <file>", "PostgreSQL: a state to seed a first run with (default: $CONNECTOR_STATE, else none: a first run starts from {}); duckdb: and sqlite: files: the state file, as for debug (default: $CONNECTOR_STATE, else files/state.json)")
    .addOption(new Option("--naming <style>", NAMING))
    .option("--timeout <duration>", "fail an attempt that runs longer, e.g. 30m, 2h")
    .option("--retries <n>", "retry a failed sync up to n times, from the last committed checkpoint (default 0)")
    .option("--retry-delay <duration>", "the first back-off; it doubles at each retry (default 1s)")
    .option("--memory-limit <size>", "cap the sync's heap, e.g. 512MB, 1GB (default: 4GB)")
    .option("--log-format <format>", "plain (lines on stderr) or json (one JSON object per line on stdout)", "plain")
    .option("-v, --verbose", "show log.debug lines")
    .option("--json", "print one machine-readable run report on stdout")
    .action(async (dir: string | undefined, opts) => {
      const { run } = await import("../commands/run.js");
      await run(afterFixed([dir], 0, opts.project).dir, opts);
    });
}

export function resetCommand(program: Command): void {
  program
    .command("reset")
    .description("Start over: delete the state file and files/warehouse.db (asks first)")
    .argument("[project-dir]", PROJECT_DIR)
    .addOption(projectAlias())
    .option("--state <file>", "the state file to delete instead of files/state.json (default: $CONNECTOR_STATE)")
    .option("--table <name...>", "drop only these tables' rows and metadata; keep the state")
    .option("--destination <url>", "reset what `connector run --destination` wrote instead: a connector in PostgreSQL (its tables, state and history), or a duckdb:/sqlite: file and its state file (default: $CONNECTOR_DESTINATION if it is a URL)")
    .option("--name <name>", NAME)
    .option("-y, --yes", "do not ask")
    .addOption(forceAlias())
    .action(async (dir: string | undefined, opts) => {
      const { reset } = await import("../commands/reset.js");
      await reset(afterFixed([dir], 0, opts.project).dir, opts);
    });
}

export function verifyCommand(program: Command): void {
  program
    .command("verify")
    .description("Prove that interrupted syncs resume to the same data (in scratch copies)")
    .argument("[project-dir]", PROJECT_DIR)
    .addOption(projectAlias())
    .option("--configuration <file>", CONFIGURATION)
    .option("--trials <n>", "how many interrupted syncs to try (default 5)")
    .option("--seed <s>", "seed for the interruption points, to repeat a run")
    .option("--timeout <duration>", "fail any one of its syncs that runs longer, e.g. 30s, 5m")
    .addOption(new Option("--naming <style>", "fivetran or source").hideHelp())
    .option("--replay [name]", "serve every run's HTTP from the cassette fixtures/<name>/ (default: default): offline and deterministic")
    .option("--destination <kind>", "the kind of scratch warehouse: sqlite or duckdb (default: the project's), or a PostgreSQL URL: scratch schemas there, dropped afterwards")
    .option("--json", "print the report as JSON on stdout")
    .action(async (dir: string | undefined, opts) => {
      const { verifyCommand } = await import("../commands/verify.js");
      await verifyCommand(afterFixed([dir], 0, opts.project).dir, opts);
    });
}

export function testCommand(program: Command): void {
  program
    .command("test")
    .description("Replay a recorded cassette (fixtures/<name>/) offline and report every row and state that changed")
    .argument("[name]", "the cassette (default: default)")
    .argument("[project-dir]", `${PROJECT_DIR}; alone, an argument is the folder if it holds a connector, else the cassette`)
    .addOption(projectAlias())
    .option("--configuration <file>", CONFIGURATION)
    .option("--update", "accept the replayed outcome: write it to fixtures/<name>/outcome.json")
    .addOption(new Option("--naming <style>", "fivetran or source (default: as recorded)").hideHelp())
    .option("--json", "print the report as JSON on stdout")
    .action(async (name: string | undefined, dir: string | undefined, opts) => {
      const { testCommand } = await import("../commands/test.js");
      const args = lastIfProject([name, dir], 1, opts.project);
      await testCommand(args.own[0], { ...opts, project: args.dir });
    });
}
