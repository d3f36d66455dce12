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
import { launchBrowser, isLocalUrl } from "./browser/chromium";
import { cellStates, chartProblems, openNotebook, runAllFromMenu, waitForAllCells, waitForCharts } from "./browser/classicNotebook";
import { startNotebookServer } from "./browser/notebookServer";
import { requirePrerequisites } from "./browser/prerequisites";
import { createWorkspace } from "./browser/workspace";

export const USAGE = `Usage: npm run screenshot -- [--notebook <file>] [--figure <n> | --match <regex>] [--quick] [--out <png>]

Runs the notebook in Chromium on the classic Notebook server and saves one rendered figure.
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
  requirePrerequisites(["build", "notebook", "nbformat", "chromium"]);
  const source = args.notebook ?? (await defaultNotebook());
  const began = Date.now();
  const ws = await createWorkspace({ notebooks: [source], quick: args.quick });
  const server = await startNotebookServer({ notebookDir: ws.notebooksDir, env: ws.env("screenshot") }).catch(async (error) => {
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
    const notebook = ws.notebooks[0];
    console.log(`screenshot: running ${path.relative(process.cwd(), source)}${args.quick ? " (quick)" : ""} in Chromium…`);
    await openNotebook(page, server.notebookUrl(path.basename(notebook.file)));
    await runAllFromMenu(page);
    await waitForAllCells(page, args.timeoutMinutes * 60_000);
    await waitForCharts(page, 60_000);
    const states = await cellStates(page);
    const failed = states.filter((s) => s.errors.length > 0 || typeof s.prompt !== "number");
    if (failed.length > 0) {
      throw new Error(`the notebook did not run cleanly: ${failed.map((s) => `code cell ${s.number} ${s.errors.join(" ")}`).join("; ")}`);
    }
    const problems = chartProblems(states);
    if (problems.length > 0) throw new Error(`figures did not render:\n${problems.join("\n")}`);

    // Figures shown by `show(…)` cells, in order (live training curves are progress, not the lesson's figures).
    const figures = states.filter((s) => s.isFigure).flatMap((s) => s.expected.map((figure, k) => ({ cellIndex: s.index, k, figure })));
    const listing = figures.map((f, i) => `  ${i + 1}. ${f.figure.title} — ${f.figure.names.join(", ")}`).join("\n");
    const captionIndex = args.caption ? await page.evaluate((source) => {
      const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; get_text(): string }[] } } }).Jupyter.notebook.get_cells();
      return cells.findIndex((cell) => cell.cell_type === "markdown" && new RegExp(source, "i").test(cell.get_text()));
    }, args.caption.source) : -1;
    if (args.caption && captionIndex < 0) throw new Error(`no markdown cell matches --caption ${args.caption}; pick another or pass --no-caption`);
    const afterCaption = figures.filter((f) => f.cellIndex > captionIndex);
    const chosen =
      args.figure !== undefined
        ? figures[args.figure - 1]
        : args.match
          ? figures.find((f) => f.figure.names.some((name) => args.match!.test(name)))
          : afterCaption.filter((f) => f.cellIndex === afterCaption[0]?.cellIndex).pop();
    if (!chosen) {
      const what = args.figure !== undefined ? `there is no figure ${args.figure}` : args.match ? `no figure matches ${args.match}` : `no figure after the caption ${args.caption}`;
      throw new Error(`${what}; the notebook's figures:\n${listing}\npick one with --figure <n>`);
    }
    const chart = page.locator("#notebook-container > .cell").nth(chosen.cellIndex).locator(".output_area .js-plotly-plot").nth(chosen.k);
    let png: Buffer;
    if (args.caption && captionIndex < chosen.cellIndex) {
      // Caption to chart in one image: the viewport as tall as the notebook (classic Notebook scrolls
      // inside #site, so a full-page shot would not), then a clip.
      const height = await page.evaluate(() => Math.ceil((document.querySelector("#header")?.getBoundingClientRect().height ?? 0) + (document.querySelector("#notebook")?.scrollHeight ?? 900)));
      await page.setViewportSize({ width: 1100, height: Math.min(Math.max(height, 900), 20_000) });
      const top = await page.locator("#notebook-container > .cell").nth(captionIndex).boundingBox();
      const bottom = await chart.boundingBox();
      const container = await page.locator("#notebook-container").boundingBox();
      if (!top || !bottom || !container) throw new Error("the caption or the chart is not visible on the page");
      png = await page.screenshot({ animations: "disabled", clip: { x: container.x, y: top.y - 8, width: container.width, height: bottom.y + bottom.height - top.y + 16 } });
    } else {
      await chart.scrollIntoViewIfNeeded();
      png = await chart.screenshot({ animations: "disabled" });
    }
    const outside = browser.requests.filter((r) => !isLocalUrl(r.url));
    if (outside.length > 0) throw new Error(`the page tried to fetch from outside 127.0.0.1: ${outside.map((r) => r.url).join(", ")}`);
    // Atomic: the README never shows half an image.
    await writeFileAtomic(args.out, png);
    console.log(`screenshot: "${chosen.figure.title}" → ${path.relative(process.cwd(), args.out)} (${(png.length / 1024).toFixed(0)} KiB, ${((Date.now() - began) / 1000).toFixed(0)} s)`);
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
