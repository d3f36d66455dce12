/**
 * A patch of tslab 1.0.22's message parsing: a malformed or unsigned message on the shell or control
 * port is dropped with a line in the kernel's log, and the kernel carries on (as ipykernel does).
 *
 * Why: tslab's `ZmqMessage.fromRaw` throws for a message without the `<IDS|MSG>` delimiter, with
 * missing frames, with a frame that is not JSON or with a wrong HMAC, inside an async handler nobody
 * awaits; the rejection reached Emscripten's rethrowing listener and the kernel exited. The HMAC
 * check stopped execution but not the crash. `ZmqMessage` is not exported, so the patch wraps the
 * exported `ZmqServer.prototype.handleShellMessage`, which parses each incoming message first: the
 * frames are checked with the runner's own decoder (scripts/jupyter/wire.ts: constant-time HMAC,
 * framing, JSON objects, a header with msg_type and msg_id) before tslab sees them.
 *
 * Kept in the project rather than edited in node_modules, applied when fitlab starts the kernel
 * (scripts/kernel/tslabKernel.ts); test/kernel.test.ts sends real malformed frames to a real kernel.
 */
import { WireError, decodeMessage } from "../jupyter/wire";

/** The part of tslab's ZmqServer the patch touches (private in tslab's typings). */
interface TslabServer {
  connInfo: { key: string };
  handleShellMessage(socket: unknown, ...frames: Buffer[]): Promise<void>;
}

/**
 * Why `frames` must be dropped, or null when tslab may handle them. An empty key means "no signing"
 * in Jupyter's connection files; then only the framing is checked.
 */
export function whyDrop(frames: Buffer[], key: string): string | null {
  try {
    decodeMessage(frames, key);
    return null;
  } catch (error) {
    if (error instanceof WireError) return error.message;
    return `unreadable message (${(error as Error).message})`;
  }
}

/**
 * Makes tslab's server drop what `whyDrop` refuses, calling `log` with the reason. Returns a function
 * that undoes the patch (for tests).
 */
export function patchTslabMessageParsing(server: { prototype: object }, log: (line: string) => void): () => void {
  const proto = server.prototype as TslabServer;
  const original = proto.handleShellMessage;
  if (typeof original !== "function") {
    throw new Error(
      "tslab's ZmqServer has no handleShellMessage: this tslab is not 1.0.22; update scripts/kernel/messages.ts for it",
    );
  }
  proto.handleShellMessage = function (this: TslabServer, socket: unknown, ...frames: Buffer[]): Promise<void> {
    const reason = whyDrop(frames, this.connInfo.key);
    if (reason) {
      log(`fitlab kernel: dropped a message (${frames.length} frame${frames.length === 1 ? "" : "s"}): ${reason}`);
      return Promise.resolve();
    }
    return original.call(this, socket, ...frames);
  };
  return () => {
    proto.handleShellMessage = original;
  };
}
