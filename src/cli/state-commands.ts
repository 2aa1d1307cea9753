import type { Command } from "commander";
import { STATE_ARGUMENTS, type Split } from "../commands/project-argument.js";
import { NAME, PROJECT_DIR, projectAlias } from "./options.js";

const stateOptions = (c: Command): Command =>
  c
    .addOption(projectAlias())
    .option("--state <file>", "the state file (default: $CONNECTOR_STATE, else files/state.json)")
    .option("--configuration <file>", "the configuration whose secret values are shown as *** (default: $CONNECTOR_CONFIGURATION, else configuration.json if present)")
    .option("--destination <url>", "the state a connector keeps in PostgreSQL, instead of the state file (default: $CONNECTOR_DESTINATION if it is a URL)")
    .option("--name <name>", NAME)
    .option("--json", "print JSON on stdout");
const stateCommands = () => import("../commands/state.js");

/** `state` and its subcommands: show, history, diff, set, unset, rewind. */
export function stateCommand(program: Command): void {
  const state = program.command("state").description("Show and steer the connector's state: show, history, diff, set, unset, rewind");
  const split = new WeakMap<Command, Split>();
  state.hook("preAction", async (_state, command) => {
    const s = STATE_ARGUMENTS[command.name()]!(command.processedArgs as (string | undefined)[], command.opts());
    split.set(command, s);
    command.setOptionValue("project", s.dir);
    await (await stateCommands()).hideSecrets(command.opts());
  });
  const own = (command: Command): (string | undefined)[] => split.get(command)!.own;
  stateOptions(state.command("show").description("Print the current state").argument("[project-dir]", PROJECT_DIR)).action(async (_d, opts) => (await stateCommands()).stateShow(opts));
  stateOptions(state.command("history").description("One row per checkpoint: seq, time, state size, operations per table").argument("[project-dir]", PROJECT_DIR)).action(async (_d, opts) =>
    (await stateCommands()).stateHistory(opts),
  );
  stateOptions(
    state
      .command("diff")
      .description("Path-level diff between two checkpoints, or a checkpoint and the state file (default: the latest checkpoint and the state file)")
      .argument("[a]", "checkpoint seq")
      .argument("[b]", "checkpoint seq (default: the state file)")
      .argument("[project-dir]", `${PROJECT_DIR}; a last argument is the folder if it holds a connector`),
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
      .argument("[project-dir]", `${PROJECT_DIR}; with --file, the only argument`)
      .option("--file <file>", "replace the whole state with this JSON file"),
  ).action(async (_p, _v, _d, opts, command: Command) => {
    const [p, v] = own(command);
    await (await stateCommands()).stateSet(p, v, opts);
  });
  stateOptions(state.command("unset").description("Remove one value, for example a table's cursor").argument("<json-path>").argument("[project-dir]", PROJECT_DIR)).action(
    async (p: string, _d, opts) => (await stateCommands()).stateUnset(p, opts),
  );
  stateOptions(
    state.command("rewind").description("Set the state file to a past checkpoint's state, and say what the next sync replays").argument("<seq>").argument("[project-dir]", PROJECT_DIR),
  ).action(async (seq: string, _d, opts) => (await stateCommands()).stateRewind(seq, opts));
}
