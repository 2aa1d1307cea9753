import { createRequire } from "node:module";
import path from "node:path";
import type * as TS from "typescript";

/** Parsed files by path and language version, shared by a test file's typechecks: @types/node, zod, vitest and connector-sdk's types are the same files for each. */
const parsed = new Map<string, TS.SourceFile>();

/**
 * `tsc -p <dir>` (tsconfig.json's noEmit), in this process: the folder's own tsconfig.json and the typescript that
 * `typescriptFrom` resolves (the folder's own, by default), the same diagnostics tsc reports (the config's, the
 * options', syntax, globals, types), with files that earlier programs of this test file parsed already taken from
 * `parsed`. The result is tsc's output and exit code. A separate tsc per folder cost about 3 s of CPU each, most of it
 * parsing the same declaration files again.
 */
export function typecheck(dir: string, typescriptFrom = dir): { exitCode: number; output: string } {
  const ts = createRequire(path.join(typescriptFrom, "package.json"))("typescript") as typeof TS;
  const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, "tsconfig.json"), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  })!;
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (file, language, ...rest) => {
    const key = `${typeof language === "object" ? language.languageVersion : language}:${file}`;
    const own = file.startsWith(dir + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);
    if (!own && parsed.has(key)) return parsed.get(key);
    const sf = getSourceFile.call(host, file, language, ...rest);
    if (sf && !own) parsed.set(key, sf);
    return sf;
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host, configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config) });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const output = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => "\n" });
  return { exitCode: diagnostics.length ? 2 : 0, output };
}
