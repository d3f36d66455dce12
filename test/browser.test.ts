/**
 * The first lesson notebook in a real browser: Debian's Chromium (playwright-core) on the classic
 * Notebook server, run as a reader runs it, saved and reopened; then the HTML report of
 * `npm run lesson` opened from disk with the network blocked. Screenshots go to out/ (untracked).
 *
 * The notebook is a quick-parameter copy (its metadata.fitlab.quick injected as papermill would,
 * in a temporary workspace): a reader's full-size run trains for minutes, and what this test checks
 * — that every figure renders, offline, and survives save and reopen — does not depend on the data
 * size. The injected cell is visible in the notebook, tagged `injected-parameters`.
 */
import { promises as fs } from "fs";
import * as path from "path";
import type { Page } from "playwright-core";
import { Browser, isLocalUrl, launchBrowser } from "../scripts/browser/chromium";
import {
  cellStates,
  chartProblems,
  openNotebook,
  runAllFromMenu,
  saveFromMenu,
  trustFromMenu,
  waitForAllCells,
  waitForCharts,
} from "../scripts/browser/classicNotebook";
import { isTrusted, runLesson, tail } from "./helpers/jupyter";
import { NotebookServer, startNotebookServer } from "../scripts/browser/notebookServer";
import { figureCells, plotlyFigures } from "./helpers/outputs";
import { requirePrerequisites } from "../scripts/browser/prerequisites";
import {
  TEST_BACKEND,
  Workspace,
  WorkspaceNotebook,
  createWorkspace,
  lessonNotebooks,
} from "../scripts/browser/workspace";
import { projectRoot } from "../lib/system/project";
import { codeCells, readNotebook } from "../scripts/jupyter/notebook";

const RUN_TIMEOUT_MS = 20 * 60_000;
const OUT = path.join(projectRoot(), "out");

describe("the first lesson notebook in Chromium on the classic Notebook server", () => {
  let ws: Workspace | undefined;
  let server: NotebookServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let notebook: WorkspaceNotebook;
  let lessonNotebook: string | undefined;
  const durations: string[] = [];
  const time = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const began = Date.now();
    try {
      return await work();
    } finally {
      durations.push(`  ${label}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
  };

  beforeAll(async () => {
    requirePrerequisites(["build", "notebook", "nbformat", "chromium"]);
    const first = lessonNotebooks()[0];
    if (!first) throw new Error("no lesson notebook to open: notebooks/*.ipynb is empty");
    ws = await createWorkspace({ notebooks: [first], quick: true });
    notebook = ws.notebooks[0];
    server = await time("notebook server start", () =>
      startNotebookServer({ notebookDir: ws!.notebooksDir, env: ws!.env("browser") }),
    );
    browser = await launchBrowser();
    page = await browser.context.newPage();
    // Reloading with a live kernel may ask "leave this page?": a reader would confirm.
    page.on("dialog", (dialog) => void dialog.accept());
    await fs.mkdir(OUT, { recursive: true });
  });

  afterAll(async () => {
    // Browser first (it holds the kernel's websocket), then kernels and server; each also on failure.
    await browser?.close();
    const killed = (await server?.stop()) ?? [];
    await ws?.dispose();
    if (durations.length) console.log(`browser test durations (backend ${TEST_BACKEND}):\n${durations.join("\n")}`);
    if (killed.length)
      throw new Error(`kernel processes outlived the notebook server and were killed: ${killed.join(", ")}`);
  });

  it("runs every cell from Cell → Run All and renders every figure with its traces, fetching nothing from outside 127.0.0.1", async () => {
    const p = page!;
    await time("open notebook + kernel start", () =>
      openNotebook(p, server!.notebookUrl(path.basename(notebook.file))),
    );
    await time("Cell → Run All until idle", async () => {
      await runAllFromMenu(p);
      await waitForAllCells(p, RUN_TIMEOUT_MS);
    });
    let states = await cellStates(p);
    const failed = states.filter((s) => s.errors.length > 0 || /\b\w*(Error|Exception)\b/.test(s.stderr));
    expect(failed.map((s) => `code cell ${s.number}: ${s.errors.join(" ")} ${s.stderr}`.slice(0, 800))).toEqual([]);
    expect(
      states
        .filter((s) => typeof s.prompt !== "number")
        .map((s) => `code cell ${s.number} did not run (prompt ${String(s.prompt)})`),
    ).toEqual([]);

    await time("charts drawn", () => waitForCharts(p, 60_000));
    states = await cellStates(p);
    expect(states.filter((s) => s.isFigure).length).toBeGreaterThan(0);
    expect(chartProblems(states)).toEqual([]);

    expect(browser!.requests.length).toBeGreaterThan(0);
    expect(browser!.requests.filter((r) => !isLocalUrl(r.url)).map((r) => `${r.resourceType} ${r.url}`)).toEqual([]);
    await screenshotNotebook(p, path.join(OUT, "browser-01.png"));
  });

  it("saves from File → Save, is trusted because the reader ran it, and renders every figure again after a reload", async () => {
    const p = page!;
    await time("save", () => saveFromMenu(p));
    const saved = await readNotebook(notebook.file);
    const savedFigures = figureCells(saved);
    expect(savedFigures.length).toBeGreaterThan(0);
    expect(savedFigures.filter((f) => f.figures.length === 0).map((f) => `code cell ${f.number}`)).toEqual([]);
    // The server signs what it saves (the outputs were produced here, so they are trusted); classic
    // Notebook runs saved HTML/JavaScript outputs only for a notebook whose signature it knows.
    expect(await isTrusted(notebook.file, ws!.jupyterDataDir)).toBe(true);

    await time("reload + charts drawn", async () => {
      await p.reload({ waitUntil: "domcontentloaded" });
      await openNotebook(p, p.url());
      await waitForCharts(p, 60_000);
    });
    expect(
      await p.evaluate(
        () => (window as unknown as { Jupyter: { notebook: { trusted: boolean } } }).Jupyter.notebook.trusted,
      ),
    ).toBe(true);
    const states = await cellStates(p);
    expect(chartProblems(states)).toEqual([]);
    expect(browser!.requests.filter((r) => !isLocalUrl(r.url)).map((r) => `${r.resourceType} ${r.url}`)).toEqual([]);
    await screenshotNotebook(p, path.join(OUT, "browser-01-reopened.png"));
  });

  it("renders every chart of the npm run lesson HTML report from file:// with the network blocked", async () => {
    const outDir = await ws!.mkdir("lesson");
    const lesson = await time("npm run lesson --quick (report)", () =>
      runLesson([notebook.file], {
        outDir,
        quick: true,
        backend: TEST_BACKEND,
        env: ws!.env("lesson"),
        timeoutMs: RUN_TIMEOUT_MS,
      }),
    );
    if (lesson.code !== 0) throw new Error(`npm run lesson --quick failed (exit ${lesson.code}):\n${tail(lesson)}`);
    const executed = await readNotebook(path.join(outDir, `${notebook.name}.ipynb`));
    // Every Plotly output of the executed notebook (figure cells and live training curves), in order.
    const expected = codeCells(executed).flatMap(({ cell }) => plotlyFigures(cell).map((figure) => figure.data.length));
    expect(expected.length).toBeGreaterThan(0);

    // Only the report itself may load: anything else (http, https, ws, other files) is aborted and logged.
    const report = path.join(outDir, `${notebook.name}.html`);
    const reportUrl = `file://${report}`;
    const offline = await launchBrowser({ allow: (url) => url === reportUrl || /^(data|blob|about):/.test(url) });
    try {
      const reportPage = await offline.context.newPage();
      const pageErrors: string[] = [];
      reportPage.on("pageerror", (error) => pageErrors.push(error.message));
      await time("report charts drawn", async () => {
        await reportPage.goto(reportUrl, { waitUntil: "load" });
        await reportPage.waitForFunction(
          (count) => document.querySelectorAll(".js-plotly-plot svg.main-svg").length >= count,
          expected.length,
          { timeout: 60_000, polling: 250 },
        );
      });
      const traces = await reportPage.evaluate(() =>
        Array.from(document.querySelectorAll(".js-plotly-plot")).map(
          (gd) => ((gd as unknown as { data?: unknown[] }).data ?? []).length,
        ),
      );
      expect(traces).toEqual(expected);
      expect(pageErrors).toEqual([]);
      expect(offline.blocked().map((r) => r.url)).toEqual([]);
      await reportPage.screenshot({ path: path.join(OUT, "browser-01-report.png"), fullPage: true });
    } finally {
      await offline.close();
    }
    lessonNotebook = path.join(outDir, `${notebook.name}.ipynb`);
  });

  it("shows a notebook executed elsewhere (npm run lesson) as untrusted with the figures' note, and draws them after File → Trust Notebook", async () => {
    // What a reader sees opening out/*.ipynb: classic Notebook does not run saved scripts of a
    // notebook it did not sign, so each figure shows the note from lib/notebook/html.ts instead.
    if (!lessonNotebook) throw new Error("needs the notebook written by npm run lesson in the previous test");
    const copy = `${notebook.name}-from-npm-run-lesson.ipynb`;
    await fs.copyFile(lessonNotebook, path.join(ws!.notebooksDir, copy));
    const p = await browser!.context.newPage();
    p.on("dialog", (dialog) => void dialog.accept());
    try {
      await openNotebook(p, server!.notebookUrl(copy));
      expect(
        await p.evaluate(
          () => (window as unknown as { Jupyter: { notebook: { trusted: boolean } } }).Jupyter.notebook.trusted,
        ),
      ).toBe(false);
      let states = await cellStates(p);
      const figures = states.filter((s) => s.expected.length > 0);
      expect(figures.length).toBeGreaterThan(0);
      expect(figures.flatMap((s) => s.rendered)).toEqual([]);
      expect(await p.locator(".fitlab-figure", { hasText: "trust the notebook" }).count()).toBeGreaterThan(0);

      await time("File → Trust Notebook + charts drawn", async () => {
        await trustFromMenu(p);
        await waitForCharts(p, 60_000);
      });
      states = await cellStates(p);
      expect(chartProblems(states)).toEqual([]);
      expect(browser!.requests.filter((r) => !isLocalUrl(r.url)).map((r) => `${r.resourceType} ${r.url}`)).toEqual([]);
    } finally {
      await p.close();
    }
  });
});

/**
 * The whole notebook in one image: classic Notebook scrolls inside #site, so the viewport is made as
 * tall as the notebook (capped) before the shot.
 */
async function screenshotNotebook(page: Page, file: string): Promise<void> {
  const height = await page.evaluate(() => {
    const header = document.querySelector("#header")?.getBoundingClientRect().height ?? 0;
    return Math.ceil(header + (document.querySelector("#notebook")?.scrollHeight ?? 900));
  });
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.setViewportSize({ width: viewport.width, height: Math.min(Math.max(height, 900), 20_000) });
  try {
    await page.screenshot({ path: file });
  } finally {
    await page.setViewportSize(viewport);
  }
}
