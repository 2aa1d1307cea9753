import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, makeProject, tempDir } from "../helpers.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

const pg = usePostgres("replay_offline");

/** Replay is offline: a socket beside HTTP never reaches a server (issue 20, item 7). */

interface Listener {
  /** host:port, or the path of a Unix socket. */
  address: string;
  /** How many connections (or datagrams) reached it. */
  reached(): number;
  close(): Promise<void>;
}

const listeners: Listener[] = [];
afterEach(async () => {
  for (const l of listeners.splice(0)) await l.close();
});

/** A real TCP server (on 127.0.0.1 or a Unix socket) that says hello to whoever connects, and counts them. */
async function tcp(where: "127.0.0.1" | "unix"): Promise<Listener> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    count++;
    sockets.add(c);
    c.on("close", () => sockets.delete(c));
    c.on("error", () => {});
    c.end("hello\n");
  });
  const file = path.join(tempDir(), "server.sock");
  await new Promise<void>((r) => (where === "unix" ? server.listen(file, r) : server.listen(0, "127.0.0.1", r)));
  const l: Listener = {
    address: where === "unix" ? file : `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    reached: () => count,
    close: () =>
      new Promise((r) => {
        for (const c of sockets) c.destroy();
        server.close(() => r());
      }),
  };
  listeners.push(l);
  return l;
}

async function udp(): Promise<Listener> {
  let count = 0;
  const socket = dgram.createSocket("udp4");
  socket.on("message", () => count++);
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  const l: Listener = { address: `127.0.0.1:${socket.address().port}`, reached: () => count, close: () => new Promise((r) => socket.close(() => r())) };
  listeners.push(l);
  return l;
}

/**
 * Each connector reaches the server one way, and swallows any error as a forgiving driver would,
 * so that only the replay can fail the sync. `host` and `port` (or `path`) come from the configuration.
 */
const WAYS: Record<string, { server: () => Promise<Listener>; code: string }> = {
  "net.connect": { server: () => tcp("127.0.0.1"), code: `await new Promise<void>((done) => { const s = net.connect(Number(c.port), c.host); s.on("data", () => {}); s.on("close", () => done()); s.on("error", () => done()); });` },
  "new net.Socket().connect": { server: () => tcp("127.0.0.1"), code: `await new Promise<void>((done) => { const s = new net.Socket(); s.on("close", () => done()); s.on("error", () => done()); s.connect({ port: Number(c.port), host: c.host }); s.resume(); });` },
  "a Unix socket": { server: () => tcp("unix"), code: `await new Promise<void>((done) => { const s = net.createConnection(c.path); s.resume(); s.on("close", () => done()); s.on("error", () => done()); });` },
  "tls.connect": { server: () => tcp("127.0.0.1"), code: `await new Promise<void>((done) => { const s = tls.connect({ port: Number(c.port), host: c.host, rejectUnauthorized: false }); s.on("close", () => done()); s.on("error", () => done()); });` },
  "http2.connect": { server: () => tcp("127.0.0.1"), code: `await new Promise<void>((done) => { const s = http2.connect("http://" + c.host + ":" + c.port); s.on("close", () => done()); s.on("error", () => done()); });` },
  "a UDP datagram": { server: () => udp(), code: `await new Promise<void>((done) => { const s = dgram.createSocket("udp4"); s.on("error", () => done()); s.send("hello", Number(c.port), c.host, () => { s.close(); done(); }); });` },
};

const connector = (code: string) => `import dgram from "node:dgram";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { op } from "connector-sdk";
export default {
  async update(c: { host: string; port: string; path: string }) {
    ${code}
    op.upsert("t", { id: 1 });
    op.checkpoint({ done: true });
  },
};
`;

/** A project with a cassette that holds no exchange: nothing it does beside HTTP can be answered. */
function project(code: string, l: Listener): string {
  const [host, port] = l.address.startsWith("/") ? ["", ""] : l.address.split(":");
  return makeProject({
    "connector.ts": connector(code),
    "configuration.json": JSON.stringify({ host, port, path: l.address }),
    "fixtures/default/cassette.json": JSON.stringify({ version: 1, recordedWith: "test", recordedAt: "2024-01-01T00:00:00.000Z", interactions: [] }),
  });
}

describe("a replay refuses every connection beside HTTP, naming its host and port, and fails the sync", () => {
  for (const [way, { server, code }] of Object.entries(WAYS)) {
    it(`${way}: debug --replay and connector test fail, and the server is never reached`, async () => {
      const l = await server();
      const dir = project(code, l);
      const shown = l.address.startsWith("/") ? `the socket ${l.address}` : l.address;
      const replay = await cli(["debug", "--replay"], { cwd: dir });
      expect(replay.exitCode, replay.stderr).toBe(1);
      expect(replay.stderr).toContain(`Sync FAILED: Replay is offline, so the connection to ${shown} (`);
      expect(replay.stderr).not.toContain("no request went to the network");
      expect(fs.existsSync(path.join(dir, "files", "state.json")), "no checkpoint was committed").toBe(false);

      const test = await cli(["test", "--update"], { cwd: dir });
      expect(test.exitCode, test.stderr).toBe(1);
      expect(test.stderr).toContain(`The replay of fixtures/default failed: Replay is offline, so the connection to ${shown} (`);
      expect(fs.existsSync(path.join(dir, "fixtures", "default", "outcome.json")), "no outcome was accepted").toBe(false);

      expect(l.reached(), "the server was reached").toBe(0);
      // Outside a replay, the same connector does reach it: the test above could have failed.
      const live = await cli(["debug"], { cwd: dir });
      expect(live.exitCode, live.stderr).toBe(0);
      expect(l.reached()).toBeGreaterThan(0);
    }, 60_000);
  }

  it("a connection the connector's top-level code opens as it loads: debug --replay and connector test refuse to load it, exit 2, and the server is never reached", async () => {
    const l = await tcp("127.0.0.1");
    const [host, port] = l.address.split(":");
    const dir = makeProject({
      "connector.ts": `import net from "node:net";\nimport { op } from "connector-sdk";\nconst socket = net.connect(${port}, "${host}");\nexport default { update() { op.checkpoint({ done: true }); } };\n`,
      "fixtures/default/cassette.json": JSON.stringify({ version: 1, recordedWith: "test", recordedAt: "2024-01-01T00:00:00.000Z", interactions: [] }),
    });
    for (const args of [["debug", "--replay"], ["test", "--update"]]) {
      const r = await cli(args, { cwd: dir });
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`Cannot load ${path.join(dir, "connector.ts")}:\nReplay is offline, so the connection to ${l.address} (node:net) was refused`);
      expect(r.stderr).not.toContain("node:events");
    }
    expect(l.reached(), "the server was reached").toBe(0);
  }, 60_000);

  it("verify --replay fails its checks the same way", async () => {
    const l = await tcp("127.0.0.1");
    const dir = project(WAYS["net.connect"]!.code, l);
    const r = await cli(["verify", "--replay", "--trials", "1"], { cwd: dir });
    expect(r.exitCode, r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`Replay is offline, so the connection to ${l.address} (node:net) was refused`);
    expect(l.reached()).toBe(0);
  }, 60_000);

  it("only the connector's connections: verify --replay --destination postgres://… still writes and reads its scratch schemas there", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\nexport default { update(c: unknown, state: { n?: number }) { for (let i = (state.n ?? 0) + 1; i <= 3; i++) { op.upsert("t", { id: i }); op.checkpoint({ n: i }); } } };\n`,
      "fixtures/default/cassette.json": JSON.stringify({ version: 1, recordedWith: "test", recordedAt: "2024-01-01T00:00:00.000Z", interactions: [] }),
    });
    const r = await cli(["verify", "--replay", "--destination", pg().url(pg().database, freshSchema("offline")), "--trials", "2", "--seed", "3"], { cwd: dir });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("Replay is offline");
  }, 120_000);
});
