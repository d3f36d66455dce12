/**
 * Static images of an executed notebook's figures, for viewers that run no script: a notebook
 * reopened untrusted (JupyterLab, classic Notebook), GitHub's notebook view, VS Code with scripts
 * off. Each Plotly output gets
 * - `image/png` in its bundle (with its CSS size in the output's metadata, as Jupyter reads it), for
 *   viewers that prefer an image to HTML, and
 * - the same PNG inside its text/html fallback (lib/notebook/html's withStaticImage), which the figure's
 *   script replaces with the interactive chart when it runs. Without a plotly renderer JupyterLab
 *   prefers text/html over image/png even untrusted, and its sanitizer keeps an <img> but drops the
 *   script (measured, see the README): the image in the HTML is what such a reader sees.
 *
 * The PNG is drawn by plotly.js itself (`Plotly.toImage`) in Chromium, found as the browser tests
 * find it (scripts/jupyter/chromium.ts). With no Chromium (or no playwright-core, a dev dependency),
 * it says so once and leaves the figures interactive-only.
 *
 * Drawn images are kept in a cache folder (data/figure-images/ by default), keyed by a hash of
 * everything that determines the picture (the figure's JSON, its size and scale, the plotly.js
 * version), so a re-run whose runs all come from the run cache draws nothing and starts no browser:
 * measured on the whole lesson, drawing took about 0.5 s per figure plus the browser's start.
 */
import { createHash } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { writeFileAtomic } from "../../lib/system/atomicWrite";
import { PLOTLY_MIME } from "../../lib/notebook/mime";
import { findProjectRoot } from "../../lib/system/project";
import { fromPlotlyText } from "../../lib/figures/plotly";
import { plotlyJs, plotlyVersion, withStaticImage } from "../../lib/notebook/html";
import { CHROMIUM, CHROMIUM_ARGS, chromiumProblem } from "./chromium";
import { codeCells, type MimeBundle, type Notebook } from "./notebook";

/**
 * CSS pixels of an image: about the width of a notebook's output area (JupyterLab's is ~1000 px on a
 * 1280 px screen, GitHub's notebook view ~900 px), drawn at 2 device pixels per CSS pixel so it stays
 * sharp on high-density screens and when zoomed; the figure's own height (layout.height).
 */
export const IMAGE_WIDTH = 900;
export const DEFAULT_HEIGHT = 450;
export const IMAGE_SCALE = 2;

export interface StaticImageStats {
  /** Figures that got an image. */
  figures: number;
  /** Of those, images that came from the cache (not drawn). */
  cached: number;
  /** Bytes of PNG added (decoded; each is stored twice in the notebook, base64, +33% each). */
  pngBytes: number;
  /** Time spent drawing, including the browser's start for the first notebook. */
  ms: number;
}

export interface StaticImager {
  /**
   * Adds a PNG to every Plotly output of `nb`, in place. Never throws for a figure it cannot draw: it
   * warns. `tag` starts its log line (the runner's notebook tag when notebooks run side by side).
   * Safe to call for several notebooks at once: they share one browser.
   */
  addTo(nb: Notebook, tag?: string, signal?: AbortSignal): Promise<StaticImageStats>;
  /**
   * Closes the browser, if one was started. After an interrupt (`signal` of addTo aborted) it does
   * not wait for a browser still starting: that one is closed when it is up (or with this process).
   */
  close(): Promise<void>;
}

export interface StaticImagerOptions {
  /** Where a figure that could not be drawn is reported. Default: stderr. */
  warn?: (line: string) => void;
  /**
   * Where the once-per-run "no browser" notice and each notebook's counts (describeStaticImages) go.
   * Default: console.log (stdout: no browser is a normal setup, not an error).
   */
  log?: (line: string) => void;
  width?: number;
  scale?: number;
  /**
   * Where drawn images are kept for the next run: default `<project root>/data/figure-images` (or
   * `$FITLAB_IMAGES_DIR`); `null` keeps none. The oldest unused are deleted beyond MAX_CACHED_IMAGES.
   */
  cacheDir?: string | null;
}

/** Images kept in the cache folder (about 100–300 KB each: at most ~100 MB). */
export const MAX_CACHED_IMAGES = 500;

function defaultImageCacheDir(): string | null {
  if (process.env.FITLAB_IMAGES_DIR) return path.resolve(process.env.FITLAB_IMAGES_DIR);
  const root = findProjectRoot();
  return root ? path.join(root, "data", "figure-images") : null;
}

/** The cache key of one picture: a hash of everything that determines its pixels. */
export function imageKey(spec: unknown, size: { width: number; height: number }, scale: number): string {
  return createHash("sha256")
    .update(JSON.stringify({ format: 1, plotly: plotlyVersion(), spec, size, scale }))
    .digest("hex");
}

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 as PNG computes it (ISO 3309; zlib.crc32 needs Node 20.15, and engines allows any 20). */
function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Why `bytes` is not a whole PNG of `pixels` (width × height), or null when it is: the signature, an
 * IHDR first with those dimensions, every chunk inside the file with a matching CRC-32, image data,
 * and IEND last. A signature followed by garbage, a truncated file or another figure's image fails.
 */
export function checkPng(bytes: Buffer, pixels?: { width: number; height: number }): string | null {
  if (bytes.length < PNG_SIGNATURE.length || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return "no PNG signature";
  let at = 8;
  let sawData = false;
  for (let index = 0; ; index++) {
    if (at + 12 > bytes.length) return `truncated at byte ${at} (no IEND chunk)`;
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) return `chunk ${index} at byte ${at} has no valid type`;
    if (at + 12 + length > bytes.length) return `chunk ${type} at byte ${at} runs past the end of the file`;
    const crc = bytes.readUInt32BE(at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== crc) return `chunk ${type} at byte ${at} fails its CRC`;
    if (index === 0) {
      if (type !== "IHDR" || length !== 13) return "the first chunk is not IHDR";
      const width = bytes.readUInt32BE(at + 8);
      const height = bytes.readUInt32BE(at + 12);
      if (pixels && (width !== pixels.width || height !== pixels.height)) {
        return `${width}×${height} pixels where ${pixels.width}×${pixels.height} were drawn`;
      }
    }
    if (type === "IDAT") sawData = true;
    at += 12 + length;
    if (type === "IEND")
      return !sawData ? "no image data (IDAT)" : at === bytes.length ? null : `${bytes.length - at} bytes after IEND`;
  }
}

/**
 * A cached PNG (base64), refreshing its time so pruning keeps what is used; undefined when absent,
 * unreadable or damaged (checkPng: then `damaged` is told why and the figure is drawn again).
 */
async function readCached(
  dir: string,
  key: string,
  pixels: { width: number; height: number },
  damaged: (file: string, why: string) => void,
): Promise<string | undefined> {
  const file = path.join(dir, `${key}.png`);
  try {
    const bytes = await fs.readFile(file);
    const problem = checkPng(bytes, pixels);
    if (problem !== null) {
      damaged(file, problem);
      return undefined;
    }
    const now = new Date();
    await fs.utimes(file, now, now).catch(() => undefined);
    return bytes.toString("base64");
  } catch {
    return undefined;
  }
}

/** Deletes the least recently used images beyond `keep`. Best effort: a cache never fails a run. */
async function pruneCache(dir: string, keep: number): Promise<void> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}\.png$/.test(n));
  if (names.length <= keep) return;
  const dated = await Promise.all(
    names.map(async (n) => ({ n, t: (await fs.stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })),
  );
  dated.sort((a, b) => a.t - b.t);
  await Promise.all(dated.slice(0, dated.length - keep).map(({ n }) => fs.rm(path.join(dir, n), { force: true })));
}

interface PlotlySpec {
  data?: unknown[];
  layout?: { height?: unknown; width?: unknown; title?: { text?: unknown } | string };
  config?: Record<string, unknown>;
}

function json(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

function titleOf(spec: PlotlySpec): string {
  const title = spec.layout?.title;
  const text = typeof title === "string" ? title : typeof title?.text === "string" ? title.text : "";
  return (
    fromPlotlyText(
      text
        .replace(/<[^>]*>/g, " ")
        .replace(/\s+/g, " ")
        .trim(),
    ) || "Plotly figure"
  );
}

/** The Plotly bundles of a notebook, with the metadata object of their output. */
function plotlyOutputs(nb: Notebook): { data: MimeBundle; metadata: Record<string, unknown> }[] {
  return codeCells(nb).flatMap(({ cell }) =>
    cell.outputs.flatMap((o) =>
      (o.output_type === "display_data" || o.output_type === "execute_result") && PLOTLY_MIME in o.data ? [o] : [],
    ),
  );
}

/** Loads playwright-core if it is installed (a dev dependency: an install without them has no browser). */
function loadPlaywright(): typeof import("playwright-core") | string {
  try {
    return require("playwright-core") as typeof import("playwright-core");
  } catch (error) {
    return `playwright-core is not installed (${(error as Error).message.split("\n")[0]}); npm install (with dev dependencies) adds it`;
  }
}

export function createStaticImager(options: StaticImagerOptions = {}): StaticImager {
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = options.log ?? ((line: string) => console.log(line));
  const width = options.width ?? IMAGE_WIDTH;
  const scale = options.scale ?? IMAGE_SCALE;
  const cacheDir = options.cacheDir === undefined ? defaultImageCacheDir() : options.cacheDir;
  let cacheWritable = cacheDir !== null;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let unavailable: string | undefined;
  let opening: Promise<Page | undefined> | undefined;
  /** Set when an addTo was interrupted, so close() does not wait for a browser still starting. */
  let interrupted = false;

  /** `work`'s value, or undefined as soon as `signal` aborts (the work itself runs on; close() ends it). */
  function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
    if (!signal) return work;
    if (signal.aborted) {
      interrupted = true;
      work.catch(() => undefined);
      return Promise.resolve(undefined);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const abort = () => {
        interrupted = true;
        work.catch(() => undefined);
        resolve(undefined);
      };
      signal.addEventListener("abort", abort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener("abort", abort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", abort);
          reject(error);
        },
      );
    });
  }

  /** The one page every notebook draws on, started at the first call (concurrent callers share it). */
  function openPage(): Promise<Page | undefined> {
    opening ??= launch();
    return opening;
  }

  async function launch(): Promise<Page | undefined> {
    const problem = chromiumProblem();
    const playwright = problem === null ? loadPlaywright() : undefined;
    try {
      if (problem !== null)
        throw new Error(`no Chromium at ${CHROMIUM} (${problem}); apt-get install chromium, or set FITLAB_CHROMIUM`);
      if (typeof playwright === "string") throw new Error(playwright);
      // The runner owns its signals: by default playwright closes the browser on SIGINT/SIGTERM/SIGHUP
      // and on SIGINT exits the process itself (130) before the runner has written what ran. It still
      // kills the browser when this process exits.
      browser = await playwright!.chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      const context = await browser.newContext();
      // plotly.js is inlined below; nothing may be fetched (fonts, MathJax, topojson…).
      await context.route("**/*", (route) =>
        /^(data|about|blob):/.test(route.request().url()) ? route.continue() : route.abort(),
      );
      page = await context.newPage();
      await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
      await page.addScriptTag({ content: plotlyJs() });
      return page;
    } catch (error) {
      unavailable = (error as Error).message.split("\n")[0];
      if (!interrupted)
        log(`fitlab: figures are interactive-only (no static images for viewers that run no script): ${unavailable}`);
      await browser?.close().catch(() => undefined);
      browser = undefined;
      page = undefined;
      return undefined;
    }
  }

  async function draw(p: Page, spec: PlotlySpec, size: { width: number; height: number }): Promise<string> {
    const url = await p.evaluate(
      async ({ spec, size, scale }) => {
        // globalThis, not window: the runner compiles without the DOM library (this runs in the page).
        const Plotly = (globalThis as unknown as { Plotly: { toImage(fig: unknown, opts: unknown): Promise<string> } })
          .Plotly;
        const layout = { ...(spec.layout ?? {}), width: size.width, height: size.height };
        return Plotly.toImage(
          { data: spec.data ?? [], layout, config: { ...(spec.config ?? {}), staticPlot: true } },
          { format: "png", width: size.width, height: size.height, scale },
        );
      },
      { spec, size, scale },
    );
    const prefix = "data:image/png;base64,";
    if (!url.startsWith(prefix))
      throw new Error(`Plotly.toImage returned ${url.slice(0, 40)}… instead of a PNG data URL`);
    return url.slice(prefix.length);
  }

  return {
    async addTo(nb: Notebook, tag = "", signal?: AbortSignal): Promise<StaticImageStats> {
      const began = Date.now();
      const stats: StaticImageStats = { figures: 0, cached: 0, pngBytes: 0, ms: 0 };
      for (const output of plotlyOutputs(nb)) {
        const spec = json(output.data[PLOTLY_MIME]) as PlotlySpec;
        const height = typeof spec.layout?.height === "number" ? spec.layout.height : DEFAULT_HEIGHT;
        const size = { width, height };
        const key = imageKey(spec, size, scale);
        const pixels = { width: size.width * scale, height: size.height * scale };
        const damaged = (file: string, why: string) =>
          log(`  ${tag}static images: ${path.basename(file)} in the image cache is damaged (${why}); drawing it again`);
        let png = cacheDir === null ? undefined : await readCached(cacheDir, key, pixels, damaged);
        if (png !== undefined) {
          stats.cached += 1;
        } else {
          // The browser starts at the first figure the cache does not hold (never, on a cached re-run).
          const p = await untilAborted(openPage(), signal);
          // Interrupted: no more drawing, but the images the cache holds are still added (milliseconds).
          if (!p) {
            if (signal?.aborted) continue;
            break;
          }
          try {
            png = await untilAborted(draw(p, spec, size), signal);
          } catch (error) {
            warn(`fitlab: no static image for "${titleOf(spec)}": ${(error as Error).message.split("\n")[0]}`);
            continue;
          }
          if (png === undefined) continue; // interrupted while drawing
          if (cacheDir !== null && cacheWritable) {
            await fs
              .mkdir(cacheDir, { recursive: true })
              .then(() => writeFileAtomic(path.join(cacheDir, `${key}.png`), Buffer.from(png!, "base64")))
              .catch((error: Error) => {
                cacheWritable = false;
                warn(
                  `fitlab: static images are not cached (${cacheDir}: ${error.message.split("\n")[0]}); each run draws them again`,
                );
              });
          }
        }
        output.data["image/png"] = png;
        // Jupyter front ends show an image at its metadata size: CSS pixels, not the 2× pixels.
        output.metadata = { ...output.metadata, "image/png": size };
        if (typeof output.data["text/html"] === "string") {
          output.data["text/html"] = withStaticImage(output.data["text/html"], { png, ...size, alt: titleOf(spec) });
        }
        stats.figures += 1;
        stats.pngBytes += Buffer.byteLength(png, "base64");
      }
      stats.ms = Date.now() - began;
      if (stats.figures > 0) log(describeStaticImages(stats, tag));
      return stats;
    },
    async close() {
      if (cacheDir !== null) await pruneCache(cacheDir, MAX_CACHED_IMAGES);
      if (interrupted && opening) {
        // A browser still starting would hold the interrupted runner for seconds: close it once up.
        void opening.then(() => browser?.close().catch(() => undefined));
        opening = undefined;
        return;
      }
      await opening;
      await browser?.close().catch(() => undefined);
      browser = undefined;
      page = undefined;
      opening = undefined;
    },
  };
}

/** The runner's line about a notebook's static images, e.g. "  static images: 12 figures, 1.4 MB of PNG (×2 base64 in the notebook), 3.1 s". */
export function describeStaticImages(stats: StaticImageStats, tag = ""): string {
  const mb = (stats.pngBytes / 1e6).toFixed(2);
  const reused =
    stats.cached > 0 ? ` (${stats.cached === stats.figures ? "all" : stats.cached} from the image cache)` : "";
  return `  ${tag}static images: ${stats.figures} figure${stats.figures === 1 ? "" : "s"}${reused}, ${mb} MB of PNG (stored twice, base64), ${(stats.ms / 1000).toFixed(1)} s`;
}
