import path from "node:path";
import { UsageError } from "../util/errors.js";
import { copyTemplate, DEFAULT_TEMPLATE, isEmptyDir, listTemplates, makeFolder, packageName, sdkRange, templateDir } from "../project/templates.js";
import { renderAligned } from "../ui/format.js";
import { Ui } from "../ui/logger.js";
import { writeOut } from "../ui/output.js";

export interface InitOptions {
  template?: string;
  list?: boolean;
  yes?: boolean;
}

export async function init(dir: string | undefined, opts: InitOptions): Promise<void> {
  const ui = new Ui({ json: false, verbose: false });
  if (opts.list) {
    const rows = listTemplates().map((t) => [t.name + (t.name === DEFAULT_TEMPLATE ? " (default)" : ""), t.description]);
    writeOut(renderAligned(["Template", "Description"], rows) + "\n");
    return;
  }
  const target = path.resolve(dir ?? ".");
  const template = opts.template ?? DEFAULT_TEMPLATE;
  templateDir(template);
  // Before anything is written: a target that is a file, under a file, or where no folder can be made is a usage error.
  makeFolder(target);
  if (!isEmptyDir(target) && !opts.yes) {
    throw new UsageError(`${target} is not empty. Pass --yes to write the template into it anyway (files of the same name are overwritten; nothing else is touched).`);
  }
  const name = packageName(target);
  const files = copyTemplate(template, target, { name, sdk: sdkRange() });
  const relative = path.relative(process.cwd(), target);
  const shown = relative === "" ? "." : relative.startsWith("..") ? target : relative;
  ui.info(`Created ${name} from the "${template}" template in ${target}:`);
  ui.info(files.map((f) => `  ${f}`).join("\n"));
  ui.info(`\nNext:\n  cd ${shown}\n  connector debug        # runs now, no install needed\n  npm install && npm test  # the project's own test, with runSync`);
}
