/**
 * JupyterLab 4's output rendering in Chromium, without a JupyterLab server (not packaged for Debian):
 * ./jupyterlab/page.ts bundled by esbuild into a page opened from file://, fed an executed notebook's
 * outputs trusted or not, with or without a Plotly renderer (what plotly's JupyterLab extension adds).
 * Nothing but the page itself may load.
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { build } from "esbuild";
import { launchBrowser, type Browser } from "../../scripts/browser/chromium";
import type { CellState, PageCell, RenderOptions } from "./jupyterlab/page";
import { codeCells, type Notebook } from "../../scripts/jupyter/notebook";

export type { CellState, OutputState } from "./jupyterlab/page";

export interface JupyterLabPage {
  /** Renders every code cell's outputs of `nb` in a fresh page and returns what each output shows. */
  render(
    nb: Notebook,
    options: RenderOptions & { expectCharts: number; timeoutMs?: number },
  ): Promise<{ cells: CellState[]; errors: string[] }>;
  /** Requests the pages made that were not the page itself (aborted). */
  blocked(): string[];
  close(): Promise<void>;
}

/** Bundles page.ts with the options that worked for JupyterLab 4.6 (see measured-facts). */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(__dirname, "jupyterlab", "page.ts")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    logLevel: "silent",
    loader: { ".svg": "text", ".woff": "empty", ".woff2": "empty", ".css": "empty" },
    define: { "process.env.NODE_ENV": '"production"', global: "window" },
  });
  return result.outputFiles[0].text;
}

export async function openJupyterLabPage(): Promise<JupyterLabPage> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "fitlab-jupyterlab-")));
  let browser: Browser | undefined;
  try {
    await fs.writeFile(path.join(dir, "jupyterlab.js"), await bundle());
    await fs.writeFile(
      path.join(dir, "index.html"),
      '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>JupyterLab outputs</title></head>\n<body><script src="jupyterlab.js"></script></body></html>\n',
    );
    await fs.copyFile(require.resolve("plotly.js-dist-min/plotly.min.js"), path.join(dir, "plotly.min.js"));
    const prefix = `file://${dir}/`;
    browser = await launchBrowser({ allow: (url) => url.startsWith(prefix) || /^(data|blob|about):/.test(url) });
  } catch (error) {
    await browser?.close();
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  const b = browser;
  return {
    async render(nb, options) {
      const page = await b.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      try {
        await page.goto(`file://${dir}/index.html`, { waitUntil: "load" });
        // plotly's JupyterLab extension brings its own plotly.js.
        if (options.plotlyRenderer) await page.addScriptTag({ path: path.join(dir, "plotly.min.js") });
        const cells: PageCell[] = codeCells(nb).map(({ cell, number }) => ({ number, outputs: cell.outputs }));
        await page.evaluate(
          ({ cells, options }) =>
            (
              window as unknown as { fitlabJupyterLab: { render(c: unknown, o: unknown): void } }
            ).fitlabJupyterLab.render(cells, options),
          { cells, options: { trusted: options.trusted, plotlyRenderer: options.plotlyRenderer } },
        );
        // Drawn: the expected charts exist, and every image has loaded (or failed).
        await page.waitForFunction(
          (charts) =>
            Array.from(document.querySelectorAll(".js-plotly-plot")).filter((gd) => gd.querySelector("svg.main-svg"))
              .length >= charts && Array.from(document.querySelectorAll("img")).every((img) => img.complete),
          options.expectCharts,
          { timeout: options.timeoutMs ?? 60_000, polling: 250 },
        );
        const cellStates = await page.evaluate(() =>
          (window as unknown as { fitlabJupyterLab: { inspect(): CellState[] } }).fitlabJupyterLab.inspect(),
        );
        return { cells: cellStates, errors };
      } finally {
        await page.close();
      }
    },
    blocked: () => b.blocked().map((r) => r.url),
    async close() {
      await b.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
