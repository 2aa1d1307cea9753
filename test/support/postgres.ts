/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a temporary folder,
 * started on 127.0.0.1 on a free port with password authentication, stopped and removed
 * afterwards. PostgreSQL refuses to run as root, so when the tests run as root the folder
 * is given to the `postgres` user and the server runs as that user (runuser).
 *
 * `initdb` is looked for on the PATH and then in /usr/lib/postgresql/<version>/bin, where
 * Debian's `apt-get install postgresql` puts it. `.ci/run` installs that package when
 * neither has it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/** Where a running server listens, and its superuser's login: what `globalSetup` hands to the test files. */
export interface ServerAddress {
  host: string;
  port: number;
  /** The superuser, `postgres`, and its password. */
  user: string;
  password: string;
}

export interface TestServer extends ServerAddress {
  /** The database that `url()` and `sql()` use when given none: `postgres`, or the test file's own. */
  database: string;
  /** A URL for the superuser and a database, with `?schema=` when given. */
  url(database?: string, schema?: string, user?: string, password?: string): string;
  /** Runs SQL as the superuser in a database (default: `database`). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Makes a fresh database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  stop(): void;
}

const PASSWORD = "pg-test-secret-9f3c1a";

/** The folder of initdb, pg_ctl and postgres: the PATH's, else Debian's newest version. */
export function postgresBin(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (found.status === 0 && found.stdout.trim()) return path.dirname(fs.realpathSync(found.stdout.trim()));
  const base = "/usr/lib/postgresql";
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, "bin", "initdb")));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], "bin") : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = (): boolean => process.getuid?.() === 0;

/** Runs a PostgreSQL program, as the postgres user when we are root. */
function runPg(bin: string, program: string, args: string[]): void {
  const exe = path.join(bin, program);
  const [cmd, argv] = asRoot() ? ["runuser", ["-u", "postgres", "--", exe, ...args]] : [exe, args];
  const r = spawnSync(cmd, argv, { encoding: "utf8", cwd: os.tmpdir() });
  if (r.status !== 0) throw new Error(`${program} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

const live = new Set<() => void>();
let hooked = false;

/** Starts a server in a fresh temporary folder; `stop()` (also run at process exit) stops it and removes the folder. */
export async function startPostgres(): Promise<TestServer> {
  const bin = postgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed: no initdb on the PATH or in /usr/lib/postgresql/*/bin. Install it with `apt-get install -y postgresql` (.ci/run does).");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "connector-pg-"));
  const data = path.join(dir, "data");
  const pwfile = path.join(dir, "pw");
  fs.writeFileSync(pwfile, PASSWORD + "\n");
  if (asRoot()) execFileSync("chown", ["-R", "postgres:", dir]);
  fs.chmodSync(dir, 0o700);
  let started = false;
  const stop = (): void => {
    live.delete(stop);
    try {
      if (started) runPg(bin, "pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } catch {
      // Already stopped.
    } finally {
      started = false;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  live.add(stop);
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const s of [...live]) s();
    });
  }
  try {
    runPg(bin, "initdb", ["-D", data, "-U", "postgres", "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
    // The server listens on 127.0.0.1 only; its Unix socket stays in the folder.
    const conf = ["listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, "fsync = off", "full_page_writes = off", "max_connections = 100", "shared_buffers = 32MB"];
    fs.appendFileSync(path.join(data, "postgresql.conf"), "\n" + conf.join("\n") + "\n");
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        // -w: pg_ctl returns once the server accepts connections (it polls, as pg_isready does).
        runPg(bin, "pg_ctl", ["-D", data, "-l", path.join(dir, "log"), "-o", `-p ${port}`, "-w", "-t", "120", "start"]);
        started = true;
        break;
      } catch (e) {
        // Another process took the port between freePort() and the start: try another.
        if (attempt >= 3) throw e;
      }
    }
    return { ...connect({ host: "127.0.0.1", port, user: "postgres", password: PASSWORD }), stop };
  } catch (e) {
    let log = "";
    try {
      log = fs.readFileSync(path.join(dir, "log"), "utf8");
    } catch {
      // No log yet.
    }
    stop();
    throw new Error(`${(e as Error).message}${log ? `\nserver log:\n${log}` : ""}`);
  }
}

let databases = 0;

/** URL and SQL helpers for a server that runs elsewhere (started by `globalSetup`), defaulting to `database`; `stop()` does nothing. */
export function connect(address: ServerAddress, database = "postgres"): TestServer {
  const { host, port, user, password } = address;
  const url = (db = database, schema?: string, login = user, secret = password): string =>
    `postgres://${encodeURIComponent(login)}:${encodeURIComponent(secret)}@${host}:${port}/${encodeURIComponent(db)}${schema ? `?schema=${encodeURIComponent(schema)}` : ""}`;
  const sql = async <T,>(text: string, params: unknown[] = [], db = database): Promise<T[]> => {
    const client = new pg.Client({ host, port, user, password, database: db });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const createDatabase = async (prefix = "db"): Promise<string> => {
    const name = `${prefix}_${process.pid}_${++databases}`;
    await sql(`CREATE DATABASE "${name}"`, [], "postgres");
    return name;
  };
  return { host, port, user, password, database, url, sql, createDatabase, stop: () => {} };
}
