/**
 * The reader's loop in real JupyterLab 4, end to end: the `jupyter lab` server that `npm start`
 * starts (scripts/start.ts's startJupyter, loopback, free port, token), driven in Debian's Chromium.
 * Each of the six notebooks (the lesson's five and the Keras appendix) opened from the file browser
 * and run from Run → Run All Cells; every figure drawn as an interactive chart, no error, the computed
 * lines there, the live figure redrawn while it trains;
 * notebook 4's parameters edited and re-run (the dropout runs retrain, the rest come from the run
 * cache); a training run stopped with the stop button; Restart Kernel and Run All; save, close and
 * reopen; an executed notebook JupyterLab has not seen (untrusted) showing its static images.
 *
 * First as npm start runs it, without plotly's JupyterLab extension (startJupyter disables it in the
 * project's page config): fitlab's own HTML path. Then with it (`npm start -- --plotly-extension`).
 * Notebook 1 runs at full size, the others with their quick parameters (metadata.fitlab.quick,
 * injected as `npm run lesson --quick` does) in a temporary workspace.
 */
import { promises as fs } from "fs";
import * as path from "path";
import type { Page } from "playwright-core";
import { Browser, isLocalUrl, launchBrowser } from "../scripts/browser/chromium";
import {
  LabCell,
  labEnv,
  acceptDialog,
  clickStop,
  activeNotebook,
  closeNotebook,
  kernelState,
  labCells,
  menu,
  openFromFileBrowser,
  recordRunningCharts,
  save,
  selectCell,
  typeIntoCell,
  waitForDrawnCharts,
  waitForLab,
  waitUntilIdle,
} from "../scripts/browser/jupyterLab";
import { requirePrerequisites } from "../scripts/browser/prerequisites";
import { TEST_BACKEND, Workspace, createWorkspace, lessonNotebooks } from "../scripts/browser/workspace";
import { type CodeCell, type Notebook, codeCells, hasTag, readNotebook } from "../scripts/jupyter/notebook";
import { type RunningJupyter, findJupyter, startJupyter } from "../scripts/start";
import { projectRoot } from "../lib/system/project";
import { errorOutputs, isFigureCell, plotlyFigures, resultsOutputs } from "./helpers/outputs";
import { runLesson, tail } from "./helpers/jupyter";
import { PLOTLY_MIME } from "../lib/notebook/mime";

const RUN_MS = 10 * 60_000;
/** What the stopped cell showed (printed at the end, for the report). */
let interruptText = "";
/** The states (titles: "… — epoch k of n") notebook 1's first live figure showed while its cell ran. */
let liveStates: string[] = [];
const durations: string[] = [];
async function time<T>(label: string, work: () => Promise<T>): Promise<T> {
  const began = Date.now();
  try {
    return await work();
  } finally {
    durations.push(`  ${label}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
}

function source(cell: { source: string | string[] }): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** What the saved notebook and the page must agree on, as "cell i: problem" lines (empty when fine). */
function problems(nb: Notebook, cells: LabCell[]): string[] {
  const found = errorOutputs(nb);
  for (const { cell, index, number } of codeCells(nb)) {
    const at = `code cell ${number} (${source(cell).split("\n")[0].slice(0, 60)})`;
    if (typeof cell.execution_count !== "number") found.push(`${at}: did not run`);
    const figures = plotlyFigures(cell).length;
    if (isFigureCell(cell) && figures === 0) found.push(`${at}: no Plotly output`);
    const drawn = cells[index]?.charts.length ?? 0;
    if (drawn !== figures) found.push(`${at}: ${figures} figure outputs but ${drawn} interactive charts drawn`);
    const code = source(cell).replace(/\/\/[^\n]*/g, "");
    const printed = cell.outputs.some(
      (o) => o.output_type === "stream" && o.name === "stdout" && String(o.text).trim() !== "",
    );
    if (/console\.log\(/.test(code) && !printed) found.push(`${at}: its computed line is missing`);
  }
  return found;
}

describe("the lesson in JupyterLab 4, started by npm start's code, driven in Chromium", () => {
  let ws: Workspace;
  let server: RunningJupyter;
  let browser: Browser;
  let page: Page;
  const nbFile = (prefix: string) => ws.notebooks.find((n) => n.name.startsWith(prefix))!;
  const firstRun = new Map<string, Notebook>();

  async function startLab(label: string, plotlyExtension: boolean): Promise<RunningJupyter> {
    const jupyter = findJupyter(projectRoot(), process.env, "lab");
    if (!jupyter)
      throw new Error(
        "JupyterLab is not installed: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt (.ci/run does)",
      );
    return time(`JupyterLab start (${label})`, async () =>
      startJupyter({
        root: ws.dir,
        notebookDir: ws.notebooksDir,
        jupyter,
        env: await labEnv(ws.env("lab"), path.join(ws.dir, "jupyter", `lab-${label}`)),
        plotlyExtension,
        openBrowser: false,
        passThrough: false,
        say: () => undefined,
        startTimeoutMs: 120_000,
      }),
    );
  }

  /** Opens `name` from the file browser, runs all, waits, saves; returns the saved notebook and the page's cells. */
  async function runAll(name: string): Promise<{ nb: Notebook; cells: LabCell[] }> {
    await menu(page, "Run", "Run All Cells");
    // Run All marks the cells [*] at once; give the kernel a moment to report busy.
    await page.waitForTimeout(1_000);
    let cells = await waitUntilIdle(page, server.api, name, RUN_MS);
    await waitForCharts(name);
    cells = await labCells(page);
    await save(page);
    return { nb: await readNotebook(path.join(ws.notebooksDir, name)), cells };
  }

  /** Waits until every code cell of the saved notebook has as many drawn charts as figure outputs. */
  async function waitForCharts(name: string, timeoutMs = 60_000): Promise<LabCell[]> {
    await save(page);
    const nb = await readNotebook(path.join(ws.notebooksDir, name));
    const wanted = codeCells(nb).map(({ cell, index }) => ({ index, charts: plotlyFigures(cell).length }));
    return waitForDrawnCharts(page, wanted, timeoutMs).catch((error: Error) => {
      throw new Error(`${name}: ${error.message}`);
    });
  }

  beforeAll(async () => {
    requirePrerequisites(["build", "chromium"]);
    // The lesson's five and the Keras appendix (06: it trains nothing, it reads recorded runs).
    const notebooks = lessonNotebooks().filter((n) => /\/0[1-6]-[^/]*$/.test(n));
    if (notebooks.length !== 6) throw new Error(`expected the six notebooks 01–06, found ${notebooks.length}`);
    ws = await createWorkspace({ notebooks, quick: true });
    // Notebook 1 at full size: the original, untouched.
    await fs.copyFile(nbFile("01").source, nbFile("01").file);
    server = await startLab("html", false);
    browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
    page = await browser.context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    await time("JupyterLab page", async () => {
      await page.goto(server.url, { waitUntil: "domcontentloaded" });
      await waitForLab(page);
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    const report = await server?.stop();
    await ws?.dispose();
    console.log(
      `JupyterLab end-to-end durations (backend ${TEST_BACKEND}):\n${durations.join("\n")}\nlive figure states seen while training (${liveStates.length}): ${liveStates.join(" | ")}\nthe stopped cell showed: ${interruptText.slice(-400)}`,
    );
    if (report && (report.serverKilled || report.killed.length))
      throw new Error(`JupyterLab had to be killed: ${JSON.stringify(report)}`);
  }, 120_000);

  it(
    "notebook 1 at full size: Run All draws every figure as an interactive chart",
    async () => {
      const name = path.basename(nbFile("01").file);
      await time("01 open", () => openFromFileBrowser(page, name));
      const original = await readNotebook(nbFile("01").file);
      const training = codeCells(original).find(({ cell }) => /liveCurves\(/.test(source(cell)))!;
      await recordRunningCharts(page);
      const { nb, cells } = await time("01 Run All (full size)", () => runAll(name));
      firstRun.set("01", nb);
      expect(problems(nb, cells)).toEqual([]);
      // fitlab's HTML drew them: plotly's extension is off, as npm start runs JupyterLab.
      expect(await activeNotebook(page).locator(".jp-RenderedPlotly").count()).toBe(0);
      // The live figure redraws while the cell runs: at least three states (two changes) before it ends.
      liveStates = cells[training.index].runningCharts;
      const redrawn =
        liveStates.length >= 3
          ? "redrawn at least twice"
          : `seen in ${liveStates.length} state(s): ${liveStates.join(" | ") || "none"}`;
      expect(`code cell ${training.number}'s live figure while it ran: ${redrawn}`).toBe(
        `code cell ${training.number}'s live figure while it ran: redrawn at least twice`,
      );
      expect(browser.requests.filter((r) => !isLocalUrl(r.url)).map((r) => r.url)).toEqual([]);
    },
    RUN_MS + 120_000,
  );

  it.each(["02", "03", "04", "05", "06"])(
    "notebook %s (its quick parameters; 06 has none): opened from the file browser, Run All, every figure interactive, no error, computed lines",
    async (prefix) => {
      const name = path.basename(nbFile(prefix).file);
      await time(`${prefix} open`, () => openFromFileBrowser(page, name));
      const { nb, cells } = await time(`${prefix} Run All (quick)`, () => runAll(name));
      expect(problems(nb, cells)).toEqual([]);
      firstRun.set(prefix, nb);
    },
    RUN_MS + 120_000,
  );

  it(
    "notebook 4: dropoutRate 0.5 → 0.3 in the parameters cell, Run All: the dropout runs retrain, the others come from the run cache, the results table changes",
    async () => {
      const name = path.basename(nbFile("04").file);
      const before = firstRun.get("04");
      if (!before) throw new Error("needs notebook 4's first run (the previous test)");
      await openFromFileBrowser(page, name);
      const params = before.cells.findIndex((c) => hasTag(c, "parameters"));
      const edited = source(before.cells[params]).replace("let dropoutRate = 0.5;", "let dropoutRate = 0.3;");
      expect(edited).not.toBe(source(before.cells[params]));
      await typeIntoCell(page, params, edited);
      const { nb, cells } = await time("04 edit + Run All", () => runAll(name));
      expect(problems(nb, cells)).toEqual([]);
      expect(source(nb.cells[params])).toContain("let dropoutRate = 0.3;");

      const trainingCells = codeCells(nb).filter(
        ({ cell }) => /trainSeeds\(/.test(source(cell)) && /liveCurves\(/.test(source(cell)),
      );
      const text = (cell: CodeCell) => cell.outputs.map((o) => JSON.stringify(o)).join(" ");
      const dropoutCell = trainingCells.find(({ cell }) => /dropout: dropoutRate/.test(source(cell)))!;
      expect(dropoutCell).toBeDefined();
      // (Whether the dropout cell itself trains depends on whether an earlier cell of notebook 4 already
      // trained that rate; that its numbers changed is checked on the results table below.)
      for (const other of trainingCells.filter((c) => c !== dropoutCell)) {
        expect(`code cell ${other.number}: ${/from the run cache/.test(text(other.cell))}`).toBe(
          `code cell ${other.number}: true`,
        );
      }
      // The closing results table: the dropout row's numbers changed, every other row's did not.
      const rowsOf = (n: Notebook) =>
        new Map(
          resultsOutputs(n)
            .slice(-1)[0]
            .map((r) => [String(r.name), JSON.stringify([r.minValLoss, r.bestEpoch, r.verdict])]),
        );
      const [old, now] = [rowsOf(before), rowsOf(nb)];
      const changed = [...now.keys()].filter((k) => old.get(k) !== now.get(k));
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.every((k) => /dropout/i.test(k) && !/l2/i.test(k))).toBe(true);
    },
    RUN_MS + 120_000,
  );

  it(
    "notebook 1: the stop button ends a training cell with the clear message, and the kernel runs the next cell",
    async () => {
      const name = path.basename(nbFile("01").file);
      await openFromFileBrowser(page, name);
      const nb = await readNotebook(nbFile("01").file);
      const params = nb.cells.findIndex((c) => hasTag(c, "parameters"));
      const training = codeCells(nb).find(({ cell }) => /liveCurves\(/.test(source(cell)))!;
      // Another seed, so the run is not in the run cache and trains for a while.
      await typeIntoCell(page, params, source(nb.cells[params]).replace("let seed = 42;", "let seed = 7;"));
      await selectCell(page, training.index);
      await menu(page, "Run", "Run All Above Selected Cell");
      await waitUntilIdle(page, server.api, name, RUN_MS);
      await selectCell(page, training.index);
      await menu(page, "Run", "Run Selected Cell");
      // Stop once the live figure shows training has begun.
      const deadline = Date.now() + 120_000;
      while (!(await labCells(page))[training.index].chartPoints) {
        if (Date.now() > deadline) throw new Error("the training cell showed no live figure within 120 s");
        await page.waitForTimeout(200);
      }
      await time("stop button → idle", async () => {
        await clickStop(page);
        await waitUntilIdle(page, server.api, name, 60_000);
      });
      const stopped = (await labCells(page))[training.index];
      interruptText = stopped.text;
      // fitlab's message ends the cell (what was stopped, what was kept, the kernel lives on), not
      // tslab's "Interrupted asynchronously" with its stack trace.
      expect(stopped.stderr).toMatch(
        /^Training stopped \(the stop button, or Ctrl-C\): "small" \(seeds 7, 8 and 9\)\./,
      );
      expect(stopped.stderr).toMatch(/was stopped after \d+ of 20 epochs/);
      expect(stopped.stderr).toContain("The kernel is still running and keeps every variable defined so far");
      expect(stopped.text).not.toMatch(/Interrupted asynchronously|\bat \S+ \(/);
      // The kernel is usable: the parameters cell (back to seed 42) runs and gets its number.
      await typeIntoCell(page, params, source(nb.cells[params]));
      await selectCell(page, params);
      const promptBefore = (await labCells(page))[params].prompt;
      await menu(page, "Run", "Run Selected Cell");
      const after = await waitUntilIdle(page, server.api, name, 60_000);
      expect(after[params].prompt).toMatch(/^\[\d+\]:$/);
      expect(after[params].prompt).not.toBe(promptBefore);
      expect(after[params].stderr).toBe("");
    },
    RUN_MS,
  );

  it(
    "notebook 1: Restart Kernel and Run All Cells draws the same figures",
    async () => {
      const name = path.basename(nbFile("01").file);
      const before = firstRun.get("01");
      if (!before) throw new Error("needs notebook 1's first run");
      await menu(page, "Kernel", "Restart Kernel and Run All Cells…");
      await acceptDialog(page);
      await page.waitForTimeout(2_000);
      const cells = await time("01 restart + Run All (from the run cache)", () =>
        waitUntilIdle(page, server.api, name, RUN_MS),
      );
      await waitForCharts(name);
      const nb = await readNotebook(nbFile("01").file);
      expect(problems(nb, await labCells(page))).toEqual([]);
      expect(cells.length).toBe(nb.cells.length);
      const figures = (n: Notebook) =>
        codeCells(n)
          .filter(({ cell }) => isFigureCell(cell))
          .map(({ cell }) => JSON.stringify(plotlyFigures(cell).map((f) => f.data)));
      expect(figures(nb)).toEqual(figures(before));
    },
    RUN_MS + 120_000,
  );

  // (This failed while plotly's extension was on in what was meant to be fitlab's HTML path: it shows
  // the PNG it stored instead of a chart. startJupyter now disables it by its plugin id.)
  it("saved, closed and reopened after the stop and the restart: every figure is drawn again (the notebook is trusted)", async () => {
    for (const prefix of ["01"]) {
      const name = path.basename(nbFile(prefix).file);
      await openFromFileBrowser(page, name);
      await save(page);
      await closeNotebook(page);
      await time(`${prefix} reopen + charts`, async () => {
        await openFromFileBrowser(page, name);
        await waitForCharts(name);
      });
      const nb = await readNotebook(nbFile(prefix).file);
      expect(problems(nb, await labCells(page))).toEqual([]);
    }
  }, 300_000);

  let unseen: string | undefined;
  it(
    "an executed notebook JupyterLab has not seen (npm run lesson's out/*.ipynb, untrusted) shows each figure's static image",
    async () => {
      const outDir = await ws.mkdir("lesson-out");
      const source2 = nbFile("02").file;
      const lesson = await time("npm run lesson --quick 02", () =>
        runLesson([source2], { outDir, quick: true, backend: TEST_BACKEND, env: ws.env("lesson"), timeoutMs: RUN_MS }),
      );
      if (lesson.code !== 0) throw new Error(`npm run lesson failed (exit ${lesson.code}):\n${tail(lesson)}`);
      unseen = `${nbFile("02").name}-from-npm-run-lesson.ipynb`;
      await fs.copyFile(path.join(outDir, `${nbFile("02").name}.ipynb`), path.join(ws.notebooksDir, unseen));
      const nb = await readNotebook(path.join(ws.notebooksDir, unseen));
      await openFromFileBrowser(page, unseen);
      await page.waitForTimeout(3_000);
      const cells = await labCells(page);
      const figureOutputs = codeCells(nb).filter(({ cell }) => plotlyFigures(cell).length > 0);
      expect(figureOutputs.length).toBeGreaterThan(0);
      // Each figure output with a static image shows it, and no chart is drawn (JupyterLab removed the scripts).
      const shown = figureOutputs.map(
        ({ index, number }) =>
          `code cell ${number}: ${cells[index].charts.length} charts, ${cells[index].images} images`,
      );
      const wanted = figureOutputs.map(({ number, cell }) => {
        const pngs = cell.outputs.filter(
          (o) => o.output_type === "display_data" && PLOTLY_MIME in o.data && "image/png" in o.data,
        ).length;
        return `code cell ${number}: 0 charts, ${pngs} images`;
      });
      expect(
        figureOutputs
          .filter(({ cell }) => isFigureCell(cell))
          .every(({ cell }) => cell.outputs.some((o) => o.output_type === "display_data" && "image/png" in o.data)),
      ).toBe(true);
      expect(shown).toEqual(wanted);
    },
    RUN_MS,
  );

  describe("with plotly's JupyterLab extension (requirements.txt's plotly 7.1.0 installs it)", () => {
    let page2: Page;
    let server2: RunningJupyter;
    beforeAll(async () => {
      await browser.close().catch(() => undefined);
      await server.stop();
      server2 = await startLab("plotly", true);
      server = server2;
      browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
      page2 = await browser.context.newPage();
      page2.on("dialog", (dialog) => void dialog.accept());
      page = page2;
      await page.goto(server2.url, { waitUntil: "domcontentloaded" });
      await waitForLab(page);
    }, 300_000);

    it(
      "draws every figure of a Run All as an interactive chart from the Plotly JSON, and stores a PNG of each in the notebook",
      async () => {
        const name = path.basename(nbFile("03").file);
        await openFromFileBrowser(page, name);
        const { nb, cells } = await time("03 Run All with the plotly extension", () => runAll(name));
        expect(problems(nb, cells)).toEqual([]);
        // Drawn by plotly's renderer, not by fitlab's HTML.
        expect(await activeNotebook(page).locator(".jp-RenderedPlotly").count()).toBeGreaterThan(0);
        // The renderer writes a PNG of each chart into its output (saved with the notebook), and shows
        // that PNG, not a chart, wherever one is present: a reopened notebook shows static images.
        // (It does so for a chart with a size, i.e. laid out in the page.)
        const withPng = codeCells(nb).flatMap(({ cell, number }) =>
          cell.outputs
            .filter((o) => o.output_type === "display_data" && PLOTLY_MIME in o.data && "image/png" in o.data)
            .map(() => `code cell ${number}`),
        );
        expect(withPng.length).toBeGreaterThan(0);
      },
      RUN_MS,
    );

    it("shows the untrusted executed notebook's figures: the stored PNG where the output has one, an interactive chart where not", async () => {
      if (!unseen) throw new Error("needs the executed notebook of the previous describe");
      const nb = await readNotebook(path.join(ws.notebooksDir, unseen));
      await openFromFileBrowser(page, unseen);
      const deadline = Date.now() + 60_000;
      const expected = codeCells(nb)
        .map(({ cell, index, number }) => {
          const outputs = cell.outputs.filter((o) => o.output_type === "display_data" && PLOTLY_MIME in o.data) as {
            data: Record<string, unknown>;
          }[];
          return {
            index,
            number,
            images: outputs.filter((o) => "image/png" in o.data).length,
            charts: outputs.filter((o) => !("image/png" in o.data)).length,
          };
        })
        .filter((e) => e.images + e.charts > 0);
      expect(expected.some((e) => e.images > 0)).toBe(true);
      const shown = (cells: LabCell[]) =>
        expected.map(
          (e) => `code cell ${e.number}: ${cells[e.index].images} images, ${cells[e.index].charts.length} charts`,
        );
      const wanted = expected.map((e) => `code cell ${e.number}: ${e.images} images, ${e.charts} charts`);
      let cells = await labCells(page);
      while (JSON.stringify(shown(cells)) !== JSON.stringify(wanted) && Date.now() < deadline) {
        await page.waitForTimeout(500);
        cells = await labCells(page);
      }
      expect(shown(cells)).toEqual(wanted);
    }, 300_000);
  });
});

describe("the lesson in Notebook 7 (`jupyter notebook` from the venv, built on JupyterLab 4)", () => {
  let ws: Workspace;
  let server: RunningJupyter;
  let browser: Browser;

  beforeAll(async () => {
    requirePrerequisites(["build", "chromium"]);
    ws = await createWorkspace({ notebooks: lessonNotebooks().filter((n) => /\/0[23]-/.test(n)), quick: true });
    const jupyter = findJupyter(projectRoot(), process.env, "notebook");
    if (!jupyter || !jupyter.jupyterServer)
      throw new Error(
        `Notebook 7 is not installed (found ${jupyter?.name ?? "none"}): python3 -m venv .venv && .venv/bin/pip install -r requirements.txt`,
      );
    const env = await labEnv(ws.env("nb7"), path.join(ws.dir, "jupyter", "nb7"));
    server = await time("Notebook 7 start", () =>
      startJupyter({
        root: ws.dir,
        notebookDir: ws.notebooksDir,
        jupyter,
        env,
        plotlyExtension: true,
        openBrowser: false,
        passThrough: false,
        say: () => undefined,
      }),
    );
    browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    const report = await server?.stop();
    await ws?.dispose();
    console.log(`Notebook 7 durations:\n${durations.join("\n")}`);
    if (report && (report.serverKilled || report.killed.length))
      throw new Error(`Notebook 7 had to be killed: ${JSON.stringify(report)}`);
  }, 120_000);

  it.each(["02", "03"])(
    "notebook %s (quick): opened from the tree, Run All, every figure an interactive chart (plotly's renderer), no error",
    async (prefix) => {
      const notebook = ws.notebooks.find((n) => n.name.startsWith(prefix))!;
      const name = path.basename(notebook.file);
      const tree = await browser.context.newPage();
      tree.on("dialog", (dialog) => void dialog.accept());
      await tree.goto(server.url, { waitUntil: "domcontentloaded" });
      await waitForLab(tree);
      // Notebook 7 opens a notebook from its tree in a new browser tab.
      const opened = browser.context.waitForEvent("page", { timeout: 60_000 });
      await tree
        .locator(".jp-DirListing-item", { has: tree.locator(".jp-DirListing-itemText", { hasText: name }) })
        .first()
        .dblclick();
      const page = await opened;
      page.on("dialog", (dialog) => void dialog.accept());
      try {
        await page.locator(".jp-NotebookPanel").first().waitFor({ state: "visible", timeout: 120_000 });
        const deadline = Date.now() + 120_000;
        while ((await kernelState(server.api, name)) !== "idle") {
          if (Date.now() > deadline)
            throw new Error(`${name}: no idle tslab kernel within 120 s (${await kernelState(server.api, name)})`);
          await page.waitForTimeout(250);
        }
        await menu(page, "Run", "Run All Cells");
        await page.waitForTimeout(1_000);
        await time(`Notebook 7 ${prefix} Run All`, () => waitUntilIdle(page, server.api, name, RUN_MS));
        await save(page);
        const nb = await readNotebook(notebook.file);
        const deadline2 = Date.now() + 60_000;
        let found = problems(nb, await labCells(page));
        while (found.length > 0 && Date.now() < deadline2) {
          await page.waitForTimeout(500);
          found = problems(nb, await labCells(page));
        }
        expect(found).toEqual([]);
        expect(browser.requests.filter((r) => !isLocalUrl(r.url)).map((r) => r.url)).toEqual([]);
      } finally {
        await page.close();
        await tree.close();
      }
    },
    RUN_MS,
  );
});
