import type { Command } from "commander";
import { afterFixed, lastIfProject } from "../commands/project-argument.js";
import { NAME, PROJECT_DIR, projectAlias } from "./options.js";

// The commands that make a project, set it up, and look at what it wrote: init, link, configuration, inspect, ui.

export function initCommand(program: Command): void {
  program
    .command("init")
    .description("Create a connector project from a bundled template (offline)")
    .argument("[project-dir]", "the folder to create (default: the working directory)")
    .option("--template <name>", "the template to copy (see --list)")
    .option("--list", "list the templates")
    .option("-y, --yes", "write into a folder that is not empty")
    .action(async (dir: string | undefined, opts) => {
      const { init } = await import("../commands/init.js");
      await init(dir, opts);
    });
}

export function linkCommand(program: Command): void {
  program
    .command("link")
    .description("Make connector-sdk importable in the project (node_modules/connector-sdk, a link to this CLI's own copy) for its tests, type checks and editor; the templates' npm test and npm run typecheck run it first")
    .argument("[project-dir]", PROJECT_DIR)
    .addOption(projectAlias())
    .action(async (dir: string | undefined, opts) => {
      const { link } = await import("../commands/link.js");
      await link(afterFixed([dir], 0, opts.project).dir);
    });
}

export function configurationCommand(program: Command): void {
  program
    .command("configuration")
    .description("Fill in configuration.json from the connector's setup form, asking on the terminal; or run its setup tests (--test)")
    .argument("[project-dir]", PROJECT_DIR)
    .addOption(projectAlias())
    .option("--set <name=value>", "fill a field without asking (repeatable); for secrets prefer CONNECTOR_FORM_<NAME>=…", (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option("-y, --yes", "replace an existing configuration file without asking")
    .option("--test", "run the connector's setup tests against the configuration file")
    .option("--configuration <file>", "the file to write, or to test (default: $CONNECTOR_CONFIGURATION, else configuration.json)")
    .option("--timeout <duration>", "with --test: fail a test that runs longer (default 30s)")
    .option("--json", "with --test: print the report as JSON on stdout")
    .action(async (dir: string | undefined, opts) => {
      const { configurationCommand } = await import("../commands/configuration.js");
      await configurationCommand(afterFixed([dir], 0, opts.project).dir, opts);
    });
}

export function inspectCommand(program: Command): void {
  program
    .command("inspect")
    .description("Tables, keys, row counts and column types; or a table's latest rows")
    .argument("[table]", "show this table's most recently synced rows")
    .argument("[project-dir]", `${PROJECT_DIR}; alone, an argument is the folder if it holds a connector, else the table`)
    .addOption(projectAlias())
    .option("--limit <n>", "how many rows to show (default 20)")
    .option("--destination <url>", "look at a connector's tables in PostgreSQL (or a duckdb:/sqlite: file) instead of files/ (default: $CONNECTOR_DESTINATION if it is a URL)")
    .option("--name <name>", NAME)
    .option("--json", "print JSON on stdout")
    .action(async (table: string | undefined, dir: string | undefined, opts) => {
      const { inspect } = await import("../commands/inspect.js");
      const args = lastIfProject([table, dir], 1, opts.project);
      await inspect(args.own[0], { ...opts, project: args.dir });
    });
}

export function uiCommand(program: Command): void {
  program
    .command("ui")
    .description("Serve a read-only web view of the project on 127.0.0.1: checkpoints and their state diffs, tables, runs, recorded HTTP")
    .argument("[project-dir]", PROJECT_DIR)
    .addOption(projectAlias())
    .option("--port <n>", "the port to serve on (default 4848; 0 takes any free port)")
    .option("--host <address>", "the address to bind (default 127.0.0.1; another one is reachable from the network, with a warning)")
    .option("--no-open", "print the URL only; do not open a browser")
    .option("--destination <url>", "show a connector in PostgreSQL (or a duckdb:/sqlite: file) instead of files/ (default: $CONNECTOR_DESTINATION if it is a URL)")
    .option("--name <name>", NAME)
    .option("--state <file>", "the state file to show (default: $CONNECTOR_STATE, else files/state.json)")
    .action(async (dir: string | undefined, opts) => {
      const { uiCommand } = await import("../commands/ui.js");
      await uiCommand(afterFixed([dir], 0, opts.project).dir, opts);
    });
}
