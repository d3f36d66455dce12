/**
 * HTML for figures, shared by notebook display (the text/html fallback) and HTML reports:
 * escaping, JSON safe inside <script>, the plotly.js loader (from the local `plotly.js-dist-min`,
 * never a CDN) and self-contained pages. The only I/O is reading plotly.min.js once.
 */
import { randomBytes } from "crypto";
import { readFileSync } from "fs";
import type { Figure } from "../figures/plotly";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * JSON that is safe inside an inline <script>: `<` is written as \u003c (so neither `</script>`
 * nor `<!--` can appear), `>` and `&` likewise, and U+2028/U+2029 (line terminators in older
 * JavaScript, legal in JSON) are escaped. NaN and ±Infinity become null, as JSON.stringify does.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

let plotlySource: string | undefined;

/** The text of plotly.min.js from `plotly.js-dist-min` (about 4.6 MB), read once per process. */
export function plotlyJs(): string {
  if (plotlySource === undefined) {
    let path: string;
    try {
      path = require.resolve("plotly.js-dist-min/plotly.min.js");
    } catch {
      throw new Error(
        "plotly.js-dist-min is not installed; run `npm install` in the fitlab folder (figures render offline from it).",
      );
    }
    plotlySource = checkInlinable(readFileSync(path, "utf8"), path);
  }
  return plotlySource;
}

/** It is inlined in a <script>: a literal </script would end the element early. */
function checkInlinable(source: string, what: string): string {
  if (/<\/script/i.test(source)) throw new Error(`${what} contains "</script" and cannot be inlined safely.`);
  return source;
}

/** The version named in a plotly.js source's banner, e.g. "2.35.3" ("unknown" without one). */
function versionOf(source: string): string {
  return /plotly\.js v(\d+\.\d+\.\d+)/.exec(source.slice(0, 200))?.[1] ?? "unknown";
}

/** The version of the bundled plotly.js, e.g. "2.35.3". */
export function plotlyVersion(): string {
  return versionOf(plotlyJs());
}

/** Global names used by the generated scripts to coordinate within one page. */
const QUEUE = "__fitlabPlotlyWaiting";

/**
 * A <script> that defines window.Plotly from the inlined plotly.min.js, once per page.
 * - Once per page: if window.Plotly exists (a cell re-run, or a second copy), the 4.6 MB source
 *   is not evaluated again.
 * - AMD: plotly.min.js is a UMD bundle; where an AMD `define` exists (require.js in classic
 *   Notebook) it would register a module instead of setting window.Plotly. Running it inside a
 *   function whose parameters shadow `define`, `module`, `exports` and `require` makes it take
 *   the browser-global branch without touching the page's loader (plotly.py's "notebook" renderer
 *   solves the same problem by `define('plotly', …)` + `require(['plotly'])`).
 * - Figures drawn before plotly arrived wait in a queue that this script drains.
 * `source` replaces the bundled plotly.min.js (tests pass a stub instead of 4.6 MB).
 */
export function plotlyLoaderHtml(source?: string): string {
  const js = source === undefined ? plotlyJs() : checkInlinable(source, "the plotly.js source given");
  return (
    `<script type="text/javascript">/* plotly.js ${versionOf(js)} (inlined by fitlab, loaded once per page) */\n` +
    "(function () {\n" +
    "if (!window.Plotly) {\n" +
    "(function (define, module, exports, require) {\n" +
    js +
    "\n}).call(window);\n" +
    "}\n" +
    `var waiting = window.${QUEUE} || []; window.${QUEUE} = [];\n` +
    "for (var i = 0; i < waiting.length; i++) { try { waiting[i](); } catch (e) { console.error(e); } }\n" +
    "})();\n" +
    "</script>"
  );
}

/** A fresh element id: figures of one page (or one notebook) must never share one. */
export function newFigureId(): string {
  return `fitlab-${randomBytes(6).toString("hex")}`;
}

export interface FigureHtmlOptions {
  /** Prepend the plotly.js loader (first figure of a page). Default false. */
  includePlotly?: boolean;
  /** The div's id (default a random one). */
  id?: string;
  /** HTML shown until the figure is drawn (default: how to get a notebook's figures to draw). */
  placeholder?: string;
}

/** What a reader sees if the script never draws: the notebook is untrusted or plotly.js is missing. */
const PLACEHOLDER =
  "Plotly figure. If this text stays, its script did not run: trust the notebook (File → Trust Notebook) " +
  "or run the notebook from the top (Kernel → Restart &amp; Run All), which loads plotly.js once in the first figure.";

/**
 * What a figure's div shows until its script draws it sits in this element (see withStaticImage); it
 * holds no <div>, so the first </div> after it closes it. Figure data never appears as markup (the
 * script's JSON writes < as \u003c), so the string cannot be forged by a run's name.
 */
const FALLBACK_START = '<div class="fitlab-fallback">';
const FALLBACK_END = "</div>";

/** A static picture of a figure: base64 PNG and its size in CSS pixels. */
export interface StaticImage {
  png: string;
  width: number;
  height: number;
  /** Text for readers who cannot see it (the figure's title). */
  alt: string;
}

/**
 * The figure's text/html with a static image in place of the placeholder text: what a reader sees
 * where the script does not run (untrusted JupyterLab and classic Notebook, GitHub, scripts off).
 * The <img> survives JupyterLab's sanitizer; the script, when it runs, replaces it with the chart.
 * Returns the html unchanged if it has no fallback (not made by figureHtml).
 */
export function withStaticImage(html: string, image: StaticImage): string {
  const start = html.indexOf(FALLBACK_START);
  const end = start < 0 ? -1 : html.indexOf(FALLBACK_END, start + FALLBACK_START.length);
  if (start < 0 || end < 0) return html;
  const picture =
    `<img src="data:image/png;base64,${image.png}" width="${image.width}" height="${image.height}" ` +
    `alt="${escapeHtml(image.alt)}" style="max-width:100%;height:auto;">` +
    `<p style="color:#666;font:12px sans-serif;margin:0.2em 0;">${STATIC_NOTE}</p>`;
  return html.slice(0, start + FALLBACK_START.length) + picture + html.slice(end);
}

/** Under a static image: why it is not interactive, and how to make it so. */
const STATIC_NOTE =
  "A static image of this interactive figure: its script did not run. Trust the notebook or run it again to zoom and hover.";

/**
 * A <div> and a <script> that draws `figure` into it with Plotly.newPlot, waiting for plotly.js if it
 * is not loaded yet. All figure data travels as script-safe JSON; the id is escaped for both contexts.
 */
export function figureHtml(figure: Figure, options: FigureHtmlOptions = {}): string {
  const id = options.id ?? newFigureId();
  const height = typeof figure.layout.height === "number" ? figure.layout.height : 450;
  const spec = jsonForScript({ data: figure.data, layout: figure.layout, config: figure.config ?? {} });
  const div =
    `<div id="${escapeHtml(id)}" class="fitlab-figure" style="width:100%;min-height:${height}px;">` +
    `${FALLBACK_START}<p style="color:#666;font:13px sans-serif;padding:1em;">${options.placeholder ?? PLACEHOLDER}</p>${FALLBACK_END}</div>`;
  const script =
    '<script type="text/javascript">\n' +
    "(function () {\n" +
    `var id = ${jsonForScript(id)};\n` +
    `var spec = ${spec};\n` +
    "function draw() {\n" +
    "  var el = document.getElementById(id);\n" +
    "  if (!el) return;\n" +
    "  el.innerHTML = '';\n" +
    "  window.Plotly.newPlot(el, spec.data, spec.layout, spec.config);\n" +
    "}\n" +
    `if (window.Plotly) { draw(); } else { (window.${QUEUE} = window.${QUEUE} || []).push(draw); }\n` +
    "})();\n" +
    "</script>";
  return (options.includePlotly ? plotlyLoaderHtml() + "\n" : "") + div + "\n" + script;
}

export interface PageOptions {
  title: string;
  /** HTML put in <body> as is (escape any text in it with escapeHtml). */
  body: string;
  /** HTML put in <head> after the title, e.g. a <style> element. */
  head?: string;
  /** Put the plotly.js loader in <head> (default true): needed once for any figure on the page. */
  includePlotly?: boolean;
  /** The plotly.js source to inline (default the bundled plotly.min.js; tests pass a stub). */
  plotlySource?: string;
}

/** A complete, self-contained HTML document (UTF-8, no external resources). */
export function htmlPage(options: PageOptions): string {
  const extra = options.head ? `\n${options.head}` : "";
  const plotly = options.includePlotly === false ? "" : `\n${plotlyLoaderHtml(options.plotlySource)}`;
  return (
    "<!DOCTYPE html>\n" +
    '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(options.title)}</title>${extra}${plotly}\n</head>\n<body>\n` +
    options.body +
    "\n</body>\n</html>\n"
  );
}
