/**
 * The Jupyter messaging protocol's wire format (v5.3): framing, HMAC-SHA256 signing and verification.
 * Pure functions, no sockets, so the security-relevant part is unit-tested on its own.
 * https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 */
import { createHmac, randomBytes, timingSafeEqual } from "crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = Buffer.from("<IDS|MSG>");

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** One protocol message. `content` stays loosely typed: each msg_type has its own shape. */
export interface JupyterMessage {
  identities: Buffer[];
  header: MessageHeader;
  /** The header of the request this message answers, or {} for unsolicited messages. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/** Why a raw multipart message was rejected; the caller logs it and drops the message. */
export class WireError extends Error {
  override name = "WireError";
}

/** A fresh random key for one kernel session (hex, as Jupyter writes it in connection files). */
export function newSessionKey(): string {
  return randomBytes(32).toString("hex");
}

function sign(key: string, parts: Buffer[]): string {
  const hmac = createHmac("sha256", key);
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
}

/** Builds a request message with a new msg_id. */
export function newMessage(msgType: string, content: Record<string, unknown>, session: string): JupyterMessage {
  return {
    identities: [],
    header: {
      msg_id: randomBytes(16).toString("hex"),
      session,
      username: "fitlab",
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    },
    parent_header: {},
    metadata: {},
    content,
    buffers: [],
  };
}

/** Frames and signs a message: [identities…, <IDS|MSG>, hmac, header, parent, metadata, content, buffers…]. */
export function encodeMessage(message: JupyterMessage, key: string): Buffer[] {
  const body = [message.header, message.parent_header, message.metadata, message.content].map((part) =>
    Buffer.from(JSON.stringify(part), "utf8"),
  );
  const signature = Buffer.from(sign(key, body), "ascii");
  return [...message.identities, DELIMITER, signature, ...body, ...message.buffers];
}

function parseJsonFrame(frame: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString("utf8"));
  } catch {
    throw new WireError(`the ${what} frame is not valid JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WireError(`the ${what} frame is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Parses and verifies a raw multipart message. Throws WireError when the framing is wrong or the
 * signature does not match (compared in constant time), so a forged or corrupted message never
 * reaches the notebook. An empty `key` is Jupyter's "signing disabled": the signature is not checked.
 */
export function decodeMessage(frames: Buffer[], key: string): JupyterMessage {
  const delimiterAt = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (delimiterAt < 0) throw new WireError("no <IDS|MSG> delimiter");
  if (frames.length < delimiterAt + 6) throw new WireError("fewer than 4 JSON frames after the signature");
  const signature = frames[delimiterAt + 1];
  const body = frames.slice(delimiterAt + 2, delimiterAt + 6);
  const expected = Buffer.from(sign(key, body), "ascii");
  if (key !== "" && (signature.length !== expected.length || !timingSafeEqual(signature, expected))) {
    throw new WireError("bad HMAC signature");
  }
  const header = parseJsonFrame(body[0], "header");
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    throw new WireError("the header has no msg_type or msg_id");
  }
  return {
    identities: frames.slice(0, delimiterAt),
    header: header as unknown as MessageHeader,
    parent_header: parseJsonFrame(body[1], "parent_header") as Partial<MessageHeader>,
    metadata: parseJsonFrame(body[2], "metadata"),
    content: parseJsonFrame(body[3], "content"),
    buffers: frames.slice(delimiterAt + 6),
  };
}
