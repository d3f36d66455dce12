/**
 * Refreshes the README's screenshot (docs/overfitting-comparison.png) the way a reader sees it: a
 * lesson notebook run in JupyterLab 4 (the server `npm start` starts, scripts/start.ts's
 * startJupyter: .venv/'s JupyterLab, plotly's extension off as for the lesson), driven in Debian's
 * Chromium as the end-to-end test drives it (scripts/browser/jupyterLab.ts), and one drawn figure
 * captured. Run by hand after `npm run build`:
 *
 *   npm run screenshot                    notebooks/03-*.ipynb with its own parameters
 *   npm run screenshot -- --quick         quick parameters (a fast check; not for the README)
 *   npm run screenshot -- --figure 4      the 4th figure of the notebook instead of the default
 *   npm run screenshot -- --notebook notebooks/02-….ipynb --match "128" --out /tmp/x.png
 *
 * By default the shot runs from the notebook's heading matching --caption (default "过拟合的模型", the
 * article's caption for the original IMDB model) down to the last chart of the first figure cell after
 * it: a figure under one of the article's Chinese captions (needs a CJK font, e.g. Debian's
 * fonts-noto-cjk). --figure n or --match <regex> (a trace name) picks a figure instead; --no-caption
 * shoots the chart alone. It waits until every figure output is drawn as a chart (.js-plotly-plot
 * with its SVG) before it captures. Nothing is fetched from outside 127.0.0.1.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../lib/system/atomicWrite";
import { PLOTLY_MIME } from "../lib/notebook/mime";
import { projectRoot } from "../lib/system/project";
import { launchBrowser, isLocalUrl } from "./browser/chromium";
import {
  activeNotebook,
  collapseLeftSidebar,
  labCells,
  labEnv,
  menu,
  openFromFileBrowser,
  save,
  waitForDrawnCharts,
  waitForLab,
  waitUntilIdle,
} from "./browser/jupyterLab";
import { requirePrerequisites } from "./browser/prerequisites";
import { createWorkspace } from "./browser/workspace";
import { type Cell, type Output, codeCells, readNotebook } from "./jupyter/notebook";
import { INSTALL_COMMAND, findJupyter, startJupyter } from "./start";

export const USAGE = `Usage: npm run screenshot -- [--notebook <file>] [--figure <n> | --match <regex>] [--quick] [--out <png>]

Runs the notebook in JupyterLab (npm start's server) in Chromium and saves one drawn figure.
  --notebook <file>  default: notebooks/03-*.ipynb (else the last notebook)
  --caption <regex>  from the markdown cell matching (default "过拟合的模型") down to the chosen
                     figure, by default the last chart of the first figure cell after it
  --no-caption       the chart alone
  --figure <n>       the n-th figure shown by a show(…) cell (1-based, in order)
  --match <regex>    the first figure with a trace name matching (e.g. "512|larger")
  --quick            inject the notebook's quick parameters (fast, for checking the script)
  --out <png>        default docs/overfitting-comparison.png
  --timeout <min>    how long Run All may take (default 60)`;

interface Args {
  notebook?: string;
  figure?: number;
  match?: RegExp;
  caption?: RegExp;
  quick: boolean;
  out: string;
  timeoutMinutes: number;
}

function parseArgs(argv: string[]): Args | "help" {
  const root = projectRoot();
  const args: Args = {
    caption: /过拟合的模型/,
    quick: false,
    out: path.join(root, "docs", "overfitting-comparison.png"),
    timeoutMinutes: 60,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value; see --help`);
      return v;
    };
    switch (arg) {
      case "--help":
        return "help";
      case "--notebook":
        args.notebook = path.resolve(value());
        break;
      case "--figure": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`--figure ${v}: expected a figure number ≥ 1`);
        args.figure = n;
        break;
      }
      case "--match":
        args.match = new RegExp(value(), "i");
        break;
      case "--caption":
        args.caption = new RegExp(value(), "i");
        break;
      case "--no-caption":
        args.caption = undefined;
        break;
      case "--quick":
        args.quick = true;
        break;
      case "--out":
        args.out = path.resolve(value());
        break;
      case "--timeout": {
        const v = value();
        const minutes = Number(v);
        if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--timeout ${v}: expected minutes > 0`);
        args.timeoutMinutes = minutes;
        break;
      }
      default:
        throw new Error(`unknown argument ${arg}; see --help`);
    }
  }
  return args;
}

async function defaultNotebook(): Promise<string> {
  const dir = path.join(projectRoot(), "notebooks");
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".ipynb")).sort();
  const chosen = names.find((n) => n.startsWith("03-")) ?? names[names.length - 1];
  if (!chosen) throw new Error(`no notebooks in ${dir}`);
  return path.join(dir, chosen);
}

/** The source of a cell as one string. */
function text(source: string | string[]): string {
  return Array.isArray(source) ? source.join("") : source;
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  requirePrerequisites(["build", "chromium"]);
  const jupyter = findJupyter(projectRoot(), process.env, "lab");
  if (!jupyter) throw new Error(`JupyterLab is not installed; ${INSTALL_COMMAND}`);
  const source = args.notebook ?? (await defaultNotebook());
  const began = Date.now();
  const ws = await createWorkspace({ notebooks: [source], quick: args.quick });
  const server = await startJupyter({
    root: ws.dir,
    notebookDir: ws.notebooksDir,
    jupyter,
    env: await labEnv(ws.env("screenshot"), path.join(ws.dir, "jupyter", "lab")),
    openBrowser: false,
    passThrough: false,
    say: () => undefined,
  }).catch(async (error) => {
    await ws.dispose();
    throw error;
  });
  const browser = await launchBrowser({ viewport: { width: 1100, height: 900 }, scale: 2 }).catch(async (error) => {
    await server.stop();
    await ws.dispose();
    throw error;
  });
  try {
    const page = await browser.context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    const notebook = ws.notebooks[0];
    const name = path.basename(notebook.file);
    console.log(
      `screenshot: running ${path.relative(process.cwd(), source)}${args.quick ? " (quick)" : ""} in JupyterLab (Chromium)…`,
    );
    await page.goto(server.url, { waitUntil: "domcontentloaded" });
    await waitForLab(page);
    await openFromFileBrowser(page, name);
    // The notebook as wide as the window before it runs: the charts are drawn at the width they are shot at.
    await collapseLeftSidebar(page);
    await menu(page, "Run", "Run All Cells");
    await page.waitForTimeout(1_000);
    await waitUntilIdle(page, server.api, name, args.timeoutMinutes * 60_000);
    await save(page);
    const nb = await readNotebook(notebook.file);
    // tslab reports a failing cell on stderr (no error output), as Error: … .
    const failure = (o: Output): boolean =>
      o.output_type === "error" ||
      (o.output_type === "stream" && o.name === "stderr" && /\b\w*(Error|Exception)\b/.test(o.text));
    const failed = codeCells(nb).filter(
      ({ cell }) => typeof cell.execution_count !== "number" || cell.outputs.some(failure),
    );
    if (failed.length > 0) {
      const what = failed.map(
        ({ cell, number }) =>
          `code cell ${number}: ${
            cell.outputs
              .filter(failure)
              .map((o) => ("text" in o ? String(o.text) : JSON.stringify(o)))
              .join(" ")
              .trim()
              .slice(0, 300) || "did not run"
          }`,
      );
      throw new Error(`the notebook did not run cleanly: ${what.join("; ")}`);
    }
    const figureOutputs = (cell: Cell) =>
      cell.cell_type === "code"
        ? cell.outputs.flatMap((o) =>
            o.output_type === "display_data" && PLOTLY_MIME in o.data
              ? [o.data[PLOTLY_MIME] as { data: { name?: string }[]; layout: { title?: { text?: string } } }]
              : [],
          )
        : [];
    await waitForDrawnCharts(
      page,
      codeCells(nb).map(({ cell, index }) => ({ index, charts: figureOutputs(cell).length })),
      60_000,
    );

    // Figures shown by `show(…)` cells, in order (live training curves are progress, not the lesson's figures).
    const figures = nb.cells.flatMap((cell, cellIndex) =>
      cell.cell_type === "code" && /(^|[^\w$])show\s*\(/m.test(text(cell.source).replace(/\/\/[^\n]*/g, ""))
        ? figureOutputs(cell).map((figure, k) => ({
            cellIndex,
            k,
            title: figure.layout.title?.text ?? "untitled",
            names: figure.data.map((t) => t.name ?? ""),
          }))
        : [],
    );
    const listing = figures.map((f, i) => `  ${i + 1}. ${f.title} — ${f.names.join(", ")}`).join("\n");
    const captionIndex = args.caption
      ? nb.cells.findIndex((cell) => cell.cell_type === "markdown" && args.caption!.test(text(cell.source)))
      : -1;
    if (args.caption && captionIndex < 0)
      throw new Error(`no markdown cell matches --caption ${args.caption}; pick another or pass --no-caption`);
    const afterCaption = figures.filter((f) => f.cellIndex > captionIndex);
    const chosen =
      args.figure !== undefined
        ? figures[args.figure - 1]
        : args.match
          ? figures.find((f) => f.names.some((n) => args.match!.test(n)))
          : afterCaption.filter((f) => f.cellIndex === afterCaption[0]?.cellIndex).pop();
    if (!chosen) {
      const what =
        args.figure !== undefined
          ? `there is no figure ${args.figure}`
          : args.match
            ? `no figure matches ${args.match}`
            : `no figure after the caption ${args.caption}`;
      throw new Error(`${what}; the notebook's figures:\n${listing}\npick one with --figure <n>`);
    }
    const cellsOnPage = activeNotebook(page).locator(".jp-Notebook .jp-Cell");
    const chart = cellsOnPage.nth(chosen.cellIndex).locator(".jp-OutputArea .js-plotly-plot").nth(chosen.k);
    let png: Buffer;
    if (args.caption && captionIndex < chosen.cellIndex) {
      // Caption to chart in one image. JupyterLab scrolls inside the notebook's panel (a full-page shot
      // would not reach below the window), and notebook 3 is taller than any window: so the window is
      // made as tall as caption-to-chart, the caption scrolled to the top of the panel, then a clip.
      await waitForDrawnCharts(
        page,
        codeCells(nb).map(({ cell, index }) => ({ index, charts: figureOutputs(cell).length })),
        30_000,
      );
      const caption = cellsOnPage.nth(captionIndex);
      const span = await caption.evaluate(
        (captionCell, chartElement) => {
          const chartBox = (chartElement as HTMLElement).getBoundingClientRect();
          return Math.ceil(chartBox.bottom - captionCell.getBoundingClientRect().top);
        },
        await chart.elementHandle(),
      );
      const panelTop = await activeNotebook(page).evaluate((panel) => Math.ceil(panel.getBoundingClientRect().top));
      await page.setViewportSize({ width: 1100, height: Math.min(Math.max(panelTop + span + 120, 900), 8_000) });
      await caption.evaluate((cell) => cell.scrollIntoView({ block: "start" }));
      await page.waitForTimeout(1_000);
      await waitForDrawnCharts(
        page,
        codeCells(nb).map(({ cell, index }) => ({ index, charts: figureOutputs(cell).length })),
        30_000,
      );
      const top = await caption.boundingBox();
      const bottom = await chart.boundingBox();
      const container = await activeNotebook(page).locator(".jp-Notebook").boundingBox();
      if (!top || !bottom || !container) throw new Error("the caption or the chart is not visible on the page");
      const viewport = page.viewportSize();
      const clip = {
        x: container.x,
        y: Math.max(0, top.y - 8),
        width: container.width,
        height: bottom.y + bottom.height - top.y + 16,
      };
      if (viewport && clip.y + clip.height > viewport.height) {
        throw new Error(
          `caption to chart is ${Math.round(clip.height)} px, more than the window shows (${viewport.height} px): pick a figure nearer its caption (--figure, --match) or --no-caption`,
        );
      }
      png = await page.screenshot({ animations: "disabled", clip });
    } else {
      await chart.scrollIntoViewIfNeeded();
      png = await chart.screenshot({ animations: "disabled" });
    }
    const shownCharts = (await labCells(page))[chosen.cellIndex].charts.length;
    if (shownCharts < chosen.k + 1)
      throw new Error(`the chosen figure is not drawn (${shownCharts} charts in its cell)`);
    const outside = browser.requests.filter((r) => !isLocalUrl(r.url));
    if (outside.length > 0)
      throw new Error(`the page tried to fetch from outside 127.0.0.1: ${outside.map((r) => r.url).join(", ")}`);
    // Atomic: the README never shows half an image.
    await writeFileAtomic(args.out, png);
    console.log(
      `screenshot: "${chosen.title}" → ${path.relative(process.cwd(), args.out)} (${(png.length / 1024).toFixed(0)} KiB, ${((Date.now() - began) / 1000).toFixed(0)} s)`,
    );
    return 0;
  } finally {
    await browser.close();
    await server.stop();
    await ws.dispose();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`fitlab screenshot: ${error.message}\n`);
      process.exit(1);
    },
  );
}
