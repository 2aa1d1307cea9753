import { ExitError } from "../util/errors.js";
import { exitSoon } from "../engines/message-out.js";
import { singerTap, type SingerOptions } from "../engines/singer.js";

/** `connector singer`: the engine writes the messages; a non-zero code ends the process with it. */
export async function singer(dir: string | undefined, opts: SingerOptions): Promise<void> {
  const code = await singerTap(dir, opts);
  exitSoon(code);
  if (code !== 0) throw new ExitError(code);
}
