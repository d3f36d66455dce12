/**
 * Refreshes the README's screenshot (docs/overfitting-comparison.png) the way a reader would see
 * it: a lesson notebook run in Debian's Chromium on the classic Notebook server (the browser test's
 * harness, scripts/browser/), and one rendered figure captured. Run by hand after `npm run build`:
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
 * shoots the chart alone. Nothing is fetched from outside 127.0.0.1.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../lib/atomicWrite";
import { projectRoot } from "../lib/project";
import { type Browser, launchBrowser, isLocalUrl } from "./browser/chromium";
import { activeNotebook, labEnv, menu, openFromFileBrowser, save, waitForLab, waitUntilIdle } from "./browser/jupyterLab";
import { requirePrerequisites } from "./browser/prerequisites";
import { createWorkspace } from "./browser/workspace";
import { type Notebook, codeCells, readNotebook } from "./jupyter/notebook";
import { PLOTLY_MIME } from "../lib/mime";
import { INSTALL_COMMAND, type RunningJupyter, findJupyter, startJupyter } from "./start";

export const USAGE = `Usage: npm run screenshot -- [--notebook <file>] [--figure <n> | --match <regex>] [--quick] [--out <png>]

Runs the notebook in JupyterLab in Chromium and saves one rendered figure.
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
  const args: Args = { caption: /过拟合的模型/, quick: false, out: path.join(root, "docs", "overfitting-comparison.png"), timeoutMinutes: 60 };
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

interface Spec {
  data: { name?: string }[];
  layout: { title?: string | { text?: string } };
}

/** The figures `show(…)` cells displayed, in order: cell index, position in the cell, the Plotly spec. */
function shownFigures(nb: Notebook): { cellIndex: number; k: number; figure: Spec }[] {
  return codeCells(nb)
    .filter(({ cell }) => /(^|[^\w$])show\s*\(/m.test(cell.source.replace(/\/\/[^\n]*/g, "")))
    .flatMap(({ cell, index }) =>
      cell.outputs
        .flatMap((o) => (o.output_type === "display_data" && PLOTLY_MIME in o.data ? [o.data[PLOTLY_MIME]] : []))
        .map((raw, k) => ({ cellIndex: index, k, figure: (typeof raw === "string" ? JSON.parse(raw) : raw) as Spec })),
    );
}

async function defaultNotebook(): Promise<string> {
  const dir = path.join(projectRoot(), "notebooks");
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".ipynb")).sort();
  const chosen = names.find((n) => n.startsWith("03-")) ?? names[names.length - 1];
  if (!chosen) throw new Error(`no notebooks in ${dir}`);
  return path.join(dir, chosen);
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  requirePrerequisites(["build", "chromium"]);
  const jupyter = findJupyter(projectRoot(), process.env, "lab");
  if (!jupyter || jupyter.app !== "lab") throw new Error(`JupyterLab is not installed; ${INSTALL_COMMAND}`);
  const source = args.notebook ?? (await defaultNotebook());
  const began = Date.now();
  const ws = await createWorkspace({ notebooks: [source], quick: args.quick });
  let server: RunningJupyter | undefined;
  let browser: Browser | undefined;
  try {
    // fitlab's own HTML path (plotly's extension shows a PNG it stores instead of the chart once
    // saved), every cell laid out (no windowing), so the caption and the chart are measured as drawn.
    const env = await labEnv(ws.env("screenshot"), path.join(ws.dir, "jupyter", "lab"), {
      plotlyExtension: false,
      settings: { "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": { windowingMode: "none" } },
    });
    server = await startJupyter({ root: ws.dir, notebookDir: ws.notebooksDir, jupyter, env, openBrowser: false, passThrough: false, say: () => undefined });
    browser = await launchBrowser({ viewport: { width: 1100, height: 900 }, scale: 2 });
    const page = await browser.context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    const notebook = ws.notebooks[0];
    const name = path.basename(notebook.file);
    console.log(`screenshot: running ${path.relative(process.cwd(), source)}${args.quick ? " (quick)" : ""} in JupyterLab in Chromium…`);
    await page.goto(server.url, { waitUntil: "domcontentloaded" });
    await waitForLab(page);
    await openFromFileBrowser(page, name);
    // The file browser folded away: the notebook gets the page's width.
    await page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").first().click();
    await menu(page, "Run", "Run All Cells");
    await page.waitForTimeout(1_000);
    await waitUntilIdle(page, server.api, name, args.timeoutMinutes * 60_000);
    await save(page);
    const nb = await readNotebook(notebook.file);
    const failed = codeCells(nb).filter(({ cell }) => typeof cell.execution_count !== "number" || cell.outputs.some((o) => o.output_type === "error"));
    if (failed.length > 0) throw new Error(`the notebook did not run cleanly: code cells ${failed.map((f) => f.number).join(", ")} failed or did not run`);

    // Figures shown by `show(…)` cells, in order (live training curves are progress, not the lesson's figures).
    const figures = shownFigures(nb);
    const titleOf = (f: Spec) => (typeof f.layout.title === "string" ? f.layout.title : (f.layout.title?.text ?? ""));
    const listing = figures.map((f, i) => `  ${i + 1}. ${titleOf(f.figure)} — ${f.figure.data.map((t) => t.name ?? "").join(", ")}`).join("\n");
    const captionIndex = args.caption ? nb.cells.findIndex((cell) => cell.cell_type === "markdown" && args.caption!.test(cell.source)) : -1;
    if (args.caption && captionIndex < 0) throw new Error(`no markdown cell matches --caption ${args.caption}; pick another or pass --no-caption`);
    const afterCaption = figures.filter((f) => f.cellIndex > captionIndex);
    const chosen =
      args.figure !== undefined
        ? figures[args.figure - 1]
        : args.match
          ? figures.find((f) => f.figure.data.some((t) => args.match!.test(t.name ?? "")))
          : afterCaption.filter((f) => f.cellIndex === afterCaption[0]?.cellIndex).pop();
    if (!chosen) {
      const what = args.figure !== undefined ? `there is no figure ${args.figure}` : args.match ? `no figure matches ${args.match}` : `no figure after the caption ${args.caption}`;
      throw new Error(`${what}; the notebook's figures:\n${listing}\npick one with --figure <n>`);
    }
    const cells = activeNotebook(page).locator(".jp-Notebook .jp-Cell");
    const chart = cells.nth(chosen.cellIndex).locator(".jp-OutputArea .js-plotly-plot").nth(chosen.k);
    await chart.locator("svg.main-svg").first().waitFor({ state: "visible", timeout: 120_000 });
    let png: Buffer;
    if (args.caption && captionIndex < chosen.cellIndex) {
      // Caption to chart in one image: the page made tall enough to hold both, the caption scrolled to the top.
      const top = cells.nth(captionIndex);
      await top.evaluate((node) => node.scrollIntoView({ block: "start" }));
      let a = await top.boundingBox();
      let b = await chart.boundingBox();
      if (!a || !b) throw new Error("the caption or the chart is not on the page");
      await page.setViewportSize({ width: 1100, height: Math.min(Math.ceil(b.y + b.height - a.y + 300), 12_000) });
      await top.evaluate((node) => node.scrollIntoView({ block: "start" }));
      await chart.locator("svg.main-svg").first().waitFor({ state: "visible", timeout: 60_000 });
      await page.waitForTimeout(1_500);
      a = await top.boundingBox();
      b = await chart.boundingBox();
      const panel = await activeNotebook(page).locator(".jp-Notebook").boundingBox();
      if (!a || !b || !panel) throw new Error("the caption or the chart is not on the page");
      png = await page.screenshot({ animations: "disabled", clip: { x: panel.x, y: a.y - 8, width: panel.width - 12, height: b.y + b.height - a.y + 16 } });
    } else {
      await chart.scrollIntoViewIfNeeded();
      png = await chart.screenshot({ animations: "disabled" });
    }
    const outside = browser.requests.filter((r) => !isLocalUrl(r.url));
    if (outside.length > 0) throw new Error(`the page tried to fetch from outside 127.0.0.1: ${outside.map((r) => r.url).join(", ")}`);
    // Atomic: the README never shows half an image.
    await writeFileAtomic(args.out, png);
    console.log(`screenshot: "${titleOf(chosen.figure)}" → ${path.relative(process.cwd(), args.out)} (${(png.length / 1024).toFixed(0)} KiB, ${((Date.now() - began) / 1000).toFixed(0)} s)`);
    return 0;
  } finally {
    await browser?.close();
    await server?.stop();
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
