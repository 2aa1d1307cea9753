import { ExitError } from "../util/errors.js";
import { exitSoon } from "../engines/message-out.js";
import { airbyteCheck, airbyteDiscover, airbyteRead, airbyteSpec, type AirbyteOptions } from "../engines/airbyte.js";

export type AirbyteVerb = "spec" | "check" | "discover" | "read";

/** `connector airbyte <verb>`: the engine writes the messages; a non-zero code ends the process with it. */
export async function airbyte(verb: AirbyteVerb, dir: string | undefined, opts: AirbyteOptions): Promise<void> {
  const code =
    verb === "spec" ? await airbyteSpec(dir) : verb === "check" ? await airbyteCheck(dir, opts) : verb === "discover" ? await airbyteDiscover(dir, opts) : await airbyteRead(dir, opts);
  exitSoon(code);
  if (code !== 0) throw new ExitError(code);
}
