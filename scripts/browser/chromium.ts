/**
 * Debian's Chromium driven by playwright-core, with a fresh profile, and a log of every request the
 * pages make. Requests that would leave the machine are aborted and recorded, so a test can assert
 * there were none (and nothing is fetched even when it fails).
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { chromium, type BrowserContext, type Request } from "playwright-core";
import { CHROMIUM_ARGS } from "../jupyter/chromium";
import { CHROMIUM } from "./prerequisites";

export { CHROMIUM_ARGS };

export interface LoggedRequest {
  url: string;
  method: string;
  resourceType: string;
}

export interface Browser {
  context: BrowserContext;
  /** Every request and WebSocket of every page, in order. */
  requests: LoggedRequest[];
  /** The ones that were not allowed (and were aborted). */
  blocked(): LoggedRequest[];
  close(): Promise<void>;
}

/** http(s)/ws(s) to 127.0.0.1 or localhost, and URLs that never touch the network. */
export function isLocalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (["data:", "blob:", "about:"].includes(parsed.protocol)) return true;
  if (!["http:", "https:", "ws:", "wss:"].includes(parsed.protocol)) return false;
  return ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
}

export interface LaunchOptions {
  /** Which URLs may load; default isLocalUrl. Everything else is aborted and recorded. */
  allow?: (url: string) => boolean;
  viewport?: { width: number; height: number };
  /** Device pixels per CSS pixel (2 for crisp README images). Default 1. */
  scale?: number;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const allow = options.allow ?? isLocalUrl;
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), "fitlab-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      deviceScaleFactor: options.scale ?? 1,
    });
  } catch (error) {
    await fs.rm(profile, { recursive: true, force: true });
    throw error;
  }
  const requests: LoggedRequest[] = [];
  const log = (request: Request) =>
    requests.push({ url: request.url(), method: request.method(), resourceType: request.resourceType() });
  context.on("request", log);
  await context.route("**/*", (route) =>
    allow(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
  );
  const watchSockets = (page: import("playwright-core").Page) =>
    page.on("websocket", (ws) => requests.push({ url: ws.url(), method: "GET", resourceType: "websocket" }));
  context.pages().forEach(watchSockets);
  context.on("page", watchSockets);

  let closed = false;
  return {
    context,
    requests,
    blocked: () => requests.filter((r) => !allow(r.url)),
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}
