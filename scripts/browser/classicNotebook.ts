/**
 * Driving a classic Notebook (6.x) page as a reader does: open, Cell → Run All from the menu bar,
 * wait for every cell, File → Save and Checkpoint; and reading what the page rendered.
 * The page's own `Jupyter` object is only read (state and outputs), never used to run or save.
 */
import type { Page } from "playwright-core";
import { PLOTLY_MIME } from "../../lib/notebook/mime";

/** Code cells calling show( are figure cells (same rule as test/helpers/outputs.ts's isFigureCell). */
const FIGURE_CELL = String.raw`(^|[^\w$])show\s*\(`;

/* The page's globals, typed just enough for the evaluate callbacks (they run in the browser). */
interface PageCell {
  cell_type: string;
  input_prompt_number?: number | string | null;
  get_text(): string;
  element: ArrayLike<HTMLElement>;
  output_area?: { outputs: { output_type: string; data?: Record<string, unknown> }[] };
}
interface PageJupyter {
  notebook?: {
    _fully_loaded?: boolean;
    trusted?: boolean;
    dirty?: boolean;
    get_cells(): PageCell[];
    kernel?: { is_connected(): boolean } | null;
  };
}
declare const Jupyter: PageJupyter;

/**
 * Opens the notebook (or, with navigate false, waits for the page already loading) until it is
 * loaded and its kernel is connected and idle.
 */
export async function openNotebook(page: Page, url: string, timeoutMs = 120_000, navigate = true): Promise<void> {
  if (navigate) await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(
    () =>
      typeof Jupyter !== "undefined" &&
      !!Jupyter.notebook?._fully_loaded &&
      !!Jupyter.notebook.kernel?.is_connected() &&
      !!document.querySelector("#kernel_indicator_icon.kernel_idle_icon"),
    undefined,
    { timeout: timeoutMs, polling: 250 },
  );
}

/** Cell → Run All, clicked in the menu bar. */
export async function runAllFromMenu(page: Page): Promise<void> {
  await page.click("#celllink");
  await page.click("#run_all_cells > a");
}

/** File → Save and Checkpoint; resolves when the server has stored the notebook. */
export async function saveFromMenu(page: Page): Promise<void> {
  const stored = page.waitForResponse((r) => r.request().method() === "PUT" && /\/api\/contents\//.test(r.url()), {
    timeout: 60_000,
  });
  await page.click("#filelink");
  await page.click("#save_checkpoint > a");
  const response = await stored;
  if (!response.ok()) throw new Error(`saving failed: HTTP ${response.status()} ${await response.text()}`);
}

/**
 * File → Trust Notebook, then "Trust" in the dialog: the page reloads with the notebook trusted.
 * Resolves once the reloaded notebook is open again.
 */
export async function trustFromMenu(page: Page): Promise<void> {
  await page.click("#filelink");
  await page.click("#trust_notebook > a");
  const reloaded = page.waitForEvent("load", { timeout: 60_000 });
  // The dialog's "Trust" button (the newest modal: earlier ones may still be fading out).
  await page
    .locator(".modal.in .modal-footer button", { hasText: /^Trust$/ })
    .last()
    .click();
  await reloaded;
  await openNotebook(page, page.url(), 120_000, false);
}

export interface CellState {
  /** 0-based among all cells. */
  index: number;
  /** 1-based among code cells. */
  number: number;
  prompt: number | string | null;
  source: string;
  isFigure: boolean;
  stderr: string;
  errors: string[];
  /** From the output model: trace count and types of each Plotly output. */
  expected: { traces: number; scatter: number; bar: number; title: string; names: string[] }[];
  /** From the DOM: each rendered chart. */
  rendered: {
    hasSvg: boolean;
    traces: number;
    scatterTraces: number;
    barTraces: number;
    width: number;
    height: number;
  }[];
  /** Plotly placeholders whose script never ran (untrusted output or missing plotly.js). */
  placeholders: number;
}

/** Every code cell: its prompt, outputs as the page holds them, and the charts it rendered. */
export function cellStates(page: Page): Promise<CellState[]> {
  return page.evaluate(
    ({ figureCell, plotlyMime }) => {
      const isFigure = new RegExp(figureCell, "m");
      const states: CellState[] = [];
      let number = 0;
      Jupyter.notebook!.get_cells().forEach((cell, index) => {
        if (cell.cell_type !== "code") return;
        number += 1;
        const element = cell.element[0];
        const outputs = cell.output_area?.outputs ?? [];
        const expected = outputs
          .filter((o) => o.data && plotlyMime in o.data)
          .map((o) => {
            const raw = o.data![plotlyMime];
            const spec = (typeof raw === "string" ? JSON.parse(raw) : raw) as {
              data: { type?: string; name?: string }[];
              layout?: { title?: string | { text?: string } };
            };
            const type = (t: { type?: string }) => t.type ?? "scatter";
            const title = spec.layout?.title;
            return {
              traces: spec.data.length,
              scatter: spec.data.filter((t) => type(t) === "scatter").length,
              bar: spec.data.filter((t) => type(t) === "bar").length,
              title: typeof title === "string" ? title : (title?.text ?? ""),
              names: spec.data.map((t) => t.name ?? ""),
            };
          });
        const rendered = Array.from(element.querySelectorAll<HTMLElement>(".output_area .js-plotly-plot")).map((gd) => {
          const box = gd.getBoundingClientRect();
          return {
            hasSvg: !!gd.querySelector("svg.main-svg"),
            traces: ((gd as unknown as { data?: unknown[] }).data ?? []).length,
            scatterTraces: gd.querySelectorAll(".scatterlayer .trace").length,
            barTraces: gd.querySelectorAll(".barlayer .trace").length,
            width: Math.round(box.width),
            height: Math.round(box.height),
          };
        });
        states.push({
          index,
          number,
          prompt: cell.input_prompt_number ?? null,
          source: cell.get_text(),
          isFigure: isFigure.test(cell.get_text().replace(/\/\/[^\n]*/g, "")),
          stderr: Array.from(element.querySelectorAll(".output_stderr"))
            .map((e) => e.textContent ?? "")
            .join("\n"),
          errors: Array.from(element.querySelectorAll(".output_error")).map((e) => e.textContent ?? ""),
          expected,
          rendered,
          placeholders: Array.from(element.querySelectorAll(".fitlab-figure")).filter(
            (d) => !d.classList.contains("js-plotly-plot"),
          ).length,
        });
      });
      return states;
    },
    { figureCell: FIGURE_CELL, plotlyMime: PLOTLY_MIME },
  );
}

/**
 * Waits until no code cell shows `In [*]` and the kernel indicator is idle (Run All marks every cell
 * `[*]` before it returns, so there is no window where an unstarted run looks finished).
 */
export async function waitForAllCells(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    () =>
      !Jupyter.notebook!.get_cells().some((c) => c.cell_type === "code" && c.input_prompt_number === "*") &&
      !!document.querySelector("#kernel_indicator_icon.kernel_idle_icon"),
    undefined,
    { timeout: timeoutMs, polling: 500 },
  );
}

/**
 * Waits until every cell with Plotly outputs holds as many rendered charts (with their SVG), and
 * every figure cell has at least one.
 */
export async function waitForCharts(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    ({ figureCell, plotlyMime }) => {
      const isFigure = new RegExp(figureCell, "m");
      return Jupyter.notebook!.get_cells().every((cell) => {
        if (cell.cell_type !== "code") return true;
        const figureCell = isFigure.test(cell.get_text().replace(/\/\/[^\n]*/g, ""));
        const wanted = (cell.output_area?.outputs ?? []).filter((o) => o.data && plotlyMime in o.data).length;
        if (!figureCell && wanted === 0) return true;
        const drawn = Array.from(cell.element[0].querySelectorAll(".output_area .js-plotly-plot")).filter((gd) =>
          gd.querySelector("svg.main-svg"),
        ).length;
        return wanted > 0 && drawn >= wanted;
      });
    },
    { figureCell: FIGURE_CELL, plotlyMime: PLOTLY_MIME },
    { timeout: timeoutMs, polling: 500 },
  );
}

/** Problems with the charts of figure cells: "code cell N: …" (empty when every figure rendered). */
export function chartProblems(states: CellState[]): string[] {
  const problems: string[] = [];
  // Figure cells must have a chart; any other cell with a Plotly output (a live training curve) must draw it too.
  for (const s of states.filter((c) => c.isFigure || c.expected.length > 0)) {
    const at = `code cell ${s.number} (${s.source.split("\n")[0].slice(0, 60)})`;
    if (s.isFigure && s.expected.length === 0) problems.push(`${at}: no ${PLOTLY_MIME} output`);
    if (s.rendered.length !== s.expected.length) {
      problems.push(
        `${at}: ${s.expected.length} Plotly outputs but ${s.rendered.length} rendered .js-plotly-plot charts`,
      );
    }
    if (s.placeholders > 0) problems.push(`${at}: ${s.placeholders} figure placeholders were never drawn`);
    s.rendered.forEach((r, i) => {
      const want = s.expected[i];
      if (!r.hasSvg) problems.push(`${at}, chart ${i + 1}: no svg.main-svg`);
      if (r.width < 100 || r.height < 100) problems.push(`${at}, chart ${i + 1}: drawn ${r.width}×${r.height} px`);
      if (!want) return;
      if (r.traces !== want.traces)
        problems.push(`${at}, chart ${i + 1}: ${r.traces} traces in the chart, ${want.traces} in the figure`);
      if (r.scatterTraces !== want.scatter)
        problems.push(`${at}, chart ${i + 1}: ${r.scatterTraces} scatter traces drawn, ${want.scatter} expected`);
      if (r.barTraces !== want.bar)
        problems.push(`${at}, chart ${i + 1}: ${r.barTraces} bar traces drawn, ${want.bar} expected`);
    });
  }
  return problems;
}
