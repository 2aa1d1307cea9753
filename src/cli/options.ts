import { Option } from "./commander.js";

/** The help words and options that several commands share, so that they read the same everywhere. */
export const PROJECT_DIR = "the connector's folder (default: the working directory)";
export const CONFIGURATION = "configuration JSON (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)";
export const NAME = "with --destination: the connector's name (default: the project folder's name)";
export const NAMING = "table and column naming: fivetran or source (default: $CONNECTOR_NAMING, else fivetran)";

/** `--project <dir>`: the folder as an option instead of an argument; not in the help. */
export const projectAlias = (): Option => new Option("--project <dir>", "alias of [project-dir]").hideHelp();
/** `--force`: the same as --yes; not in the help. */
export const forceAlias = (): Option => new Option("--force", "alias of --yes").hideHelp().implies({ yes: true });
