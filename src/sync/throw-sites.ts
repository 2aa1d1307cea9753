/**
 * Where a non-Error value was thrown. `throw "API returned garbage"` carries no stack, so the
 * failure could name no file or line. While a sync runs, the inspector pauses on each throw
 * (in this thread only), notes the place of any value that is not an Error, and resumes at once;
 * toError() then names that place. An Error thrown is left alone: it has its own stack.
 */
import { Session } from "node:inspector";
import { fileURLToPath } from "node:url";
import { noteThrowSite } from "../util/thrown.js";

interface Paused {
  params: {
    reason: string;
    data?: { type?: string; subtype?: string; className?: string; value?: unknown; objectId?: string; unserializableValue?: string };
    callFrames: { functionName: string; location: { scriptId: string; lineNumber: number; columnNumber: number } }[];
  };
}

let watchers = 0;
let session: Session | undefined;

/** Starts watching (nested calls share one session); the returned function stops. */
export function watchThrowSites(): () => void {
  if (watchers++ === 0) session = start();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--watchers === 0) {
      try {
        session?.disconnect();
      } catch {
        // already gone
      }
      session = undefined;
    }
  };
}

function start(): Session | undefined {
  const s = new Session();
  const scripts = new Map<string, string>();
  try {
    s.connect();
  } catch {
    return undefined; // another debugger holds this thread
  }
  s.on("Debugger.scriptParsed", (m: { params: { scriptId: string; url: string } }) => {
    if (m.params.url) scripts.set(m.params.scriptId, m.params.url);
  });
  s.on("Debugger.paused", (m: Paused) => {
    try {
      const { reason, data, callFrames } = m.params;
      const frame = callFrames[0];
      if ((reason === "exception" || reason === "promiseRejection") && frame && data && data.subtype !== "error") {
        const url = scripts.get(frame.location.scriptId);
        if (url && !url.startsWith("node:")) {
          const file = url.startsWith("file:") ? fileURLToPath(url) : url;
          const place = `${frame.functionName || "<anonymous>"} (${file}:${frame.location.lineNumber + 1})`;
          if (data.objectId) {
            s.post("Runtime.callFunctionOn", {
              objectId: data.objectId,
              functionDeclaration: `function (place) { globalThis[Symbol.for("connector-sdk.throw-site")]?.(this, place); }`,
              arguments: [{ value: place }],
            });
          } else if (data.unserializableValue === undefined) {
            noteThrowSite(data.type === "undefined" ? undefined : data.value, place);
          }
        }
      }
    } finally {
      s.post("Debugger.resume");
    }
  });
  s.post("Debugger.enable");
  s.post("Debugger.setPauseOnExceptions", { state: "all" });
  return s;
}
