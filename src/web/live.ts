/**
 * Live updates over server-sent events: one poller, started by the first page that listens, tells
 * every listener when the project changed (a checkpoint committed, the state replaced, a crash
 * report written). Files are compared by size and time; PostgreSQL by its last checkpoint.
 */
import fs from "node:fs";
import path from "node:path";
import type http from "node:http";
import { CRASH_DIR } from "../project/crash-reports.js";
import { destinationFiles } from "../project/destination.js";
import { runsFile } from "../project/run-records.js";
import { withReader, type ProjectSource } from "./source.js";

const EVERY_MS = 500;
const KEEPALIVE_MS = 15_000;

export class Live {
  private readonly listeners = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private last = "";
  private polling = false;

  constructor(private readonly source: ProjectSource) {}

  subscribe(req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, "Content-Type": "text/event-stream", Connection: "keep-alive" });
    res.write(": connected\n\n");
    this.listeners.add(res);
    req.on("close", () => {
      this.listeners.delete(res);
      if (this.listeners.size === 0) this.stop();
    });
    if (!this.timer) {
      void this.signature().then((s) => (this.last = s));
      let quiet = 0;
      this.timer = setInterval(() => {
        quiet += EVERY_MS;
        if (quiet >= KEEPALIVE_MS) {
          quiet = 0;
          for (const l of this.listeners) l.write(": keep-alive\n\n");
        }
        void this.poll();
      }, EVERY_MS);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const l of this.listeners) l.end();
    this.listeners.clear();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const now = await this.signature();
      if (now !== this.last) {
        this.last = now;
        for (const l of this.listeners) l.write(`event: change\ndata: ${Date.now()}\n\n`);
      }
    } finally {
      this.polling = false;
    }
  }

  private async signature(): Promise<string> {
    const s = this.source;
    const files = [s.stateFile, path.join(s.project.dir, CRASH_DIR), runsFile(s.project.dir)];
    let db = "";
    // A warehouse in files changes them; a server is asked for its last checkpoint.
    const own = destinationFiles(s.spec);
    if (own.length === 0) {
      const r = await withReader(s, async (reader) => JSON.stringify(await reader.checkpointRange()));
      db = r.ok ? r.value : r.reason;
    } else {
      files.push(...own);
    }
    return db + files.map((f) => {
      try {
        const st = fs.statSync(f);
        return `${st.size}:${st.mtimeMs}`;
      } catch {
        return "-";
      }
    }).join("|");
  }
}
