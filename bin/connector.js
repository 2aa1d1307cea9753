#!/usr/bin/env node
// `connector debug` starts its sync worker before the CLI loads, so that the two load their modules side by side.
// Commander has not parsed anything yet: startForCommandLine reads the raw argv, so a new option that changes how the worker starts (as --memory-limit sets its heap) must be read there too.
if (process.argv[2] === "debug") (await import("../dist/commands/early-worker.js")).startForCommandLine(process.argv.slice(2));
await import("../dist/cli.js");
