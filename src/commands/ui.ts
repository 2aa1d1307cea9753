import { spawn } from "node:child_process";
import { openReader } from "../destinations/open.js";
import { commandDestination } from "../project/destination.js";
import { project, requireFilesDir, requireProjectDir, stateSource } from "../project/project.js";
import { Ui } from "../ui/logger.js";
import { secrets, writeOut } from "../ui/output.js";
import { UsageError } from "../util/errors.js";
import { startServer } from "../web/server.js";
import { projectSource } from "../web/source.js";

export interface UiOptions {
  project?: string;
  port?: string;
  host?: string;
  open?: boolean;
  destination?: string;
  name?: string;
  state?: string;
}

export const DEFAULT_PORT = 4848;
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function uiCommand(dir: string | undefined, opts: UiOptions): Promise<void> {
  const ui = new Ui({ json: false, verbose: false });
  const port = opts.port === undefined ? DEFAULT_PORT : Number(opts.port);
  if (!/^\d+$/.test(opts.port ?? "0") || !Number.isInteger(port) || port > 65535) throw new UsageError(`--port takes a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(opts.port)}`);
  const host = opts.host ?? "127.0.0.1";
  const p = project(dir ?? opts.project);
  requireProjectDir(p);
  requireFilesDir(p);
  const target = commandDestination(p, opts.destination, opts.name);
  if (target?.password) secrets().add([target.password]);
  const source = projectSource(p, stateSource(p, opts.state), target);
  await checkReadable(source.spec);
  if (!LOOPBACK.has(host)) {
    ui.warn(`Serving on ${host}, not 127.0.0.1: anyone who can reach this address and has the URL's token can read every row and the state. Use it only on a network you trust.`);
  }
  let server;
  try {
    server = await startServer(source, { host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UsageError(`Port ${port} on ${host} is in use: stop what holds it, or pick another with --port (--port 0 takes any free port).`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") throw new UsageError(`Cannot serve on ${host}: it is not an address of this machine.`);
    throw e;
  }
  writeOut(`connector ui: ${p.dir} (read-only)\n${server.url}\nPress Ctrl-C to stop.\n`);
  if (opts.open !== false) openBrowser(server.url);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
}

/** A warehouse that exists but cannot be read (damaged, not ours) stops the command; one that is missing or in use by a sync is said on the page. */
async function checkReadable(spec: Parameters<typeof openReader>[0]): Promise<void> {
  try {
    await (await openReader(spec)).close();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/^No warehouse at |^Nothing in .* yet| is in use by another process/.test(message)) return;
    if (e instanceof UsageError) throw new UsageError(`Cannot show this project: ${message}`);
    throw e;
  }
}

/** The system's browser, when there is a display to show it on; the URL is printed either way. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", url]] : process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? ["xdg-open", [url]] : [undefined, []];
  if (!cmd) return;
  try {
    const child = spawn(cmd, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // No opener: the printed URL is enough.
  }
}
