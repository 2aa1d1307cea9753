import { project, requireProjectDir } from "../project/project.js";
import { linkSdk } from "../project/sdk-link.js";
import { Ui } from "../ui/logger.js";

/** `connector link`: node_modules/connector-sdk leads to this CLI's own copy, for the project's tests, type checks and editor. */
export async function link(dir: string | undefined): Promise<void> {
  const ui = new Ui({ json: false, verbose: false });
  const p = project(dir);
  requireProjectDir(p);
  const r = linkSdk(p);
  if (r.status === "installed") ui.info(`connector-sdk ${r.version} is installed in ${r.link}; left as it is.`);
  else ui.info(`${r.status === "kept" ? "Already linked" : "Linked"}: ${r.link} → connector-sdk ${r.version}, the copy of this connector CLI.`);
  if (r.outOfRange) ui.warn(`this project asks for connector-sdk ${r.outOfRange}, and ${r.version} is not in that range; install a connector CLI of a matching version.`);
}
