/**
 * The web view's test stand: `connector ui` spawned on a free port, and Debian's chromium driven by
 * playwright-core, headless, with a fresh profile and nothing that phones home.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { chromium, type BrowserContext } from "playwright-core";
import { BIN, stripVT, tempDir } from "../helpers.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<BrowserContext> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No chromium at ${CHROMIUM}: install Debian's (apt-get install chromium), as .ci/run does.`);
  return chromium.launchPersistentContext(tempDir("connector-chromium-"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface RunningUi {
  child: ChildProcess;
  /** The printed URL, token included. */
  url: string;
  /** http://127.0.0.1:port */
  base: string;
  port: number;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `connector ui --port 0 --no-open` and waits for the URL it prints. */
export async function startUi(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<RunningUi> {
  const child = spawn("node", [BIN, "ui", "--port", "0", "--no-open", ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", CONNECTOR_STATE: "", CONNECTOR_CONFIGURATION: "", ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const m = /(http:\/\/\S+\?token=\S+)/.exec(stdout);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", look);
    void exited.then((code) => reject(new Error(`connector ui exited with ${code}: ${stripVT(stderr)}`)));
  });
  const base = url.slice(0, url.indexOf("/?token="));
  return {
    child,
    url,
    base,
    port: Number(new URL(base).port),
    stdout: () => stripVT(stdout),
    stderr: () => stripVT(stderr),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
