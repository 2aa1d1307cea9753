/**
 * Replay is offline: while a cassette is served, a connection the connector opens beside HTTP
 * (a database driver, gRPC, `http2`, a raw `node:net` or `node:tls` socket, a UDP datagram)
 * never reaches the network. It is refused, naming its host and port, because the cassette
 * cannot answer it, and a live answer would make the replay depend on a server after all.
 *
 * Every such path ends in `net.Socket.prototype.connect` (net.connect, tls.connect and
 * http2.connect call it) or in a `dgram` socket, so those are what is replaced, in this thread
 * only, for as long as the replay runs. HTTP through fetch, node:http and node:https is answered
 * by the interceptors before any socket is made.
 */
import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";

/** Replaces the socket entry points until the returned function restores them; `refuse` makes the error for a target such as `127.0.0.1:5432`. */
export function refuseSockets(refuse: (target: string, via: string) => Error): () => void {
  const connect = net.Socket.prototype.connect;
  const udpConnect = dgram.Socket.prototype.connect;
  const udpSend = dgram.Socket.prototype.send;

  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const error = refuse(socketTarget(args), this instanceof tls.TLSSocket ? "node:tls" : "node:net");
    // As a refused connection fails: asynchronously, with an 'error' on the socket.
    process.nextTick(() => this.destroy(error));
    return this;
  } as typeof connect;

  dgram.Socket.prototype.connect = function (this: dgram.Socket, port: number, address?: unknown, callback?: unknown) {
    const error = refuse(hostPort(typeof address === "string" ? address : "localhost", port), "node:dgram");
    const cb = typeof address === "function" ? address : callback;
    process.nextTick(() => (typeof cb === "function" ? cb(error) : this.emit("error", error)));
  } as typeof udpConnect;

  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    // send(msg, port, address, cb) or send(msg, offset, length, port, address, cb); a connected socket's send(msg, cb) never got past connect().
    const long = typeof args[1] === "number" && typeof args[2] === "number" && args.length >= 4 && typeof args[3] === "number";
    const port = (long ? args[3] : args[1]) as number | undefined;
    const address = long ? args[4] : args[2];
    const error = refuse(hostPort(typeof address === "string" ? address : "localhost", port), "node:dgram");
    const cb = args.findLast((a) => typeof a === "function") as ((e: Error) => void) | undefined;
    process.nextTick(() => (cb ? cb(error) : this.emit("error", error)));
  } as typeof udpSend;

  return () => {
    net.Socket.prototype.connect = connect;
    dgram.Socket.prototype.connect = udpConnect;
    dgram.Socket.prototype.send = udpSend;
  };
}

/** connect(options), connect(port[, host]), connect(path), or net.connect's normalized [options, callback]. */
function socketTarget(args: unknown[]): string {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first && typeof first === "object") {
    const o = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof o.path === "string") return `the socket ${o.path}`;
    return hostPort(typeof o.host === "string" ? o.host : "localhost", o.port);
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) return hostPort(typeof args[1] === "string" ? args[1] : "localhost", first);
  if (typeof first === "string") return `the socket ${first}`;
  return "an address it did not name";
}

const hostPort = (host: string, port: unknown): string => `${host.includes(":") ? `[${host}]` : host}:${String(port)}`;
