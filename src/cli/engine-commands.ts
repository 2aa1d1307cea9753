import { Option, type Command } from "./commander.js";
import { NAMING, PROJECT_DIR } from "./options.js";

// Engines (issue 23): the connector as an Airbyte source, a Singer tap, and the files that package it (docs/engines.md).

export function airbyteCommand(program: Command): void {
  const airbyte = program.command("airbyte").description("Run the connector as an Airbyte source: spec, check, discover, read (one AirbyteMessage per line on stdout)");
  const verb = (name: "spec" | "check" | "discover" | "read", description: string): Command => {
    const c = airbyte
      .command(name)
      .description(description)
      .argument("[project-dir]", PROJECT_DIR)
      .addOption(new Option("--naming <style>", NAMING));
    if (name !== "spec") c.option("--config <file>", "the configuration, as JSON (required)");
    if (name === "read") c.option("--catalog <file>", "the configured catalog (required)").option("--state <file>", "a state a previous read emitted: the list of state messages, or the legacy object");
    return c.action(async (dir: string | undefined, opts) => {
      const { airbyte } = await import("../commands/airbyte.js");
      await airbyte(name, dir, opts);
    });
  };
  verb("spec", "Print the connection specification (the configuration's JSON Schema, secrets marked airbyte_secret)");
  verb("check", "Validate the configuration and run the setup tests: CONNECTION_STATUS SUCCEEDED or FAILED");
  verb("discover", "Print the catalog: one stream per table that schema() declares, else that the warehouse holds");
  verb("read", "Sync the streams the configured catalog selects: RECORD, STATE (GLOBAL) and TRACE messages");
}

export function singerCommand(program: Command): void {
  program
    .command("singer")
    .description("Run the connector as a Singer tap: SCHEMA, RECORD, STATE and ACTIVATE_VERSION messages on stdout; --discover, --about")
    .argument("[project-dir]", PROJECT_DIR)
    .option("--config <file>", "the configuration, as JSON")
    .option("--state <file>", "a state: the value of the last STATE message a run emitted")
    .option("--catalog <file>", "a catalog (from --discover) whose metadata selects the streams")
    .option("--discover", "print the catalog")
    .option("--about", "print the tap's name, version, capabilities and settings")
    .option("--format <format>", "with --about: json or markdown (default: markdown)")
    .addOption(new Option("--naming <style>", NAMING))
    .action(async (dir: string | undefined, opts) => {
      const { singer } = await import("../commands/singer.js");
      await singer(dir, opts);
    });
}

export function buildCommand(program: Command): void {
  program
    .command("build")
    .description("Write the files that package the connector for an engine: build/airbyte/ (Docker image), build/singer/ (tap executable, meltano.yml) or build/docker/ (connector run)")
    .argument("[project-dir]", PROJECT_DIR)
    .option("--target <target>", "airbyte, singer or docker (required)")
    .action(async (dir: string | undefined, opts) => {
      const { build } = await import("../commands/build.js");
      await build(dir, opts);
    });
}
