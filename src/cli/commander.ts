/**
 * commander through require(). Imported from an ES module, a CommonJS package is first scanned
 * for its export names (~12 ms of CPU at every start for commander).
 */
import { createRequire } from "node:module";
import type * as Commander from "commander";

export const { Command, CommanderError, Option } = createRequire(import.meta.url)("commander") as typeof Commander;
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
export type Option = Commander.Option;
