/**
 * Showing figures and summaries in a tslab notebook: the only module that talks to tslab.
 *
 * Every figure goes out as ONE display_data message carrying three MIME types:
 * - application/vnd.plotly.v1+json: {data, layout, config}, rendered natively by JupyterLab (with
 *   the plotly extension), VS Code and nteract;
 * - text/html: a div and a script drawing it with plotly.js, for classic Notebook, JupyterLab
 *   without the extension and nbconvert's HTML export;
 * - text/plain: a one-line description for consoles and untrusted views.
 *
 * plotly.js (about 4.6 MB, from plotly.js-dist-min, never a CDN) is inlined ONCE per kernel
 * session, in the text/html of the first figure shown (or in the output of `initNotebook()`).
 * Later figures wait for window.Plotly. How that behaves when cells are re-run or the notebook is
 * saved and reopened:
 * - Re-running any cell in the same page: window.Plotly stays defined, figures draw at once; the
 *   loader itself never evaluates plotly.js twice in a page.
 * - Re-running the cell that carried plotly.js (or "Run All" without a restart) replaces that
 *   output, so the saved notebook would hold no copy. Hence `initNotebook()`: call it in the
 *   notebook's first code cell; it always emits the copy, so every top-to-bottom run leaves exactly
 *   one copy, at the top, where a reopened notebook needs it. Without it, "Restart & Run All"
 *   restores the copy (a kernel restart resets the once-per-session flag).
 * - Reopening a saved notebook: classic Notebook re-runs the saved scripts only for a trusted
 *   notebook (one saved by the reader, or after File → Trust Notebook); untrusted, each figure
 *   shows a short note saying exactly that. JupyterLab and VS Code render the plotly JSON (with
 *   the plotly extension) or the trusted HTML.
 *
 * A live training cell shows the figure and, under it, ONE text line updated in place (its own
 * display id): the current epoch's numbers, ending as the run's closing line (epochs, time, final metrics). The callback
 * carries `showsProgress: true`, so `train` prints no per-epoch lines of its own unless `verbose: 1`
 * asks for the full log (a figure that redraws already shows what 20 "Epoch n/20" lines would).
 *
 * Outside a kernel (node scripts, jest) there is nowhere to draw: `show` and `showResults` print
 * their text/plain form, `liveCurves` does nothing (its `showsProgress` is false), and training
 * prints its own Keras-style lines.
 */
import { fixed4 } from "../format";
import { resultRows } from "../figures/results";
import type { RunsInput } from "../figures/history";
import { trainingProgress } from "../figures/curves";
import { type Figure, fromPlotlyText } from "../figures/plotly";
import { figureHtml, plotlyLoaderHtml, plotlyVersion } from "./html";
import { PLOTLY_LOADER_MIME, PLOTLY_MIME, RESULTS_MIME } from "./mime";
import { resultsHtml, resultsText } from "./tables";
import type { EpochCallback, EpochInfo, History, ResultRow } from "../types";

export { PLOTLY_LOADER_MIME, PLOTLY_MIME, RESULTS_MIME };

/** A Jupyter MIME bundle: MIME type → content (a string, or JSON for +json types). */
export type MimeBundle = Record<string, unknown>;

/** The content of a Jupyter display_data / update_display_data message. */
export interface DisplayContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

/** Sends one display message; `update` = true sends update_display_data for content.transient.display_id. */
export type DisplayWriter = (content: DisplayContent, update: boolean) => void;

/** A clear error for what is not a figure, e.g. `show(run)` instead of `show(plotValLossAndAcc(run))`. */
function checkFigure(figure: unknown): asserts figure is Figure {
  const f = figure as Partial<Figure> | null | undefined;
  if (!f || typeof f !== "object" || !Array.isArray(f.data) || !f.layout || typeof f.layout !== "object") {
    const got =
      f && typeof f === "object"
        ? `an object with keys ${Object.keys(f).slice(0, 6).join(", ") || "(none)"}`
        : String(f);
    throw new Error(
      `show: expected a Plotly figure { data: [...], layout: {...} } such as plotValLossAndAcc(run) or plotRuns([...], "val_loss") returns; got ${got}.`,
    );
  }
}

/** A one-line description of a figure, its text/plain form. */
export function figureText(figure: Figure): string {
  const title = fromPlotlyText(figure.layout.title?.text ?? "untitled");
  const names = figure.data.map((t) => ("name" in t ? fromPlotlyText(t.name) : t.type));
  return `[Plotly figure] ${title} — ${figure.data.length} trace${figure.data.length === 1 ? "" : "s"}: ${names.join(", ")}`;
}

export interface BundleOptions {
  /** Inline plotly.js in the text/html (the first figure of a page). Default false. */
  includePlotly?: boolean;
  /** The element id of the text/html div (default random). */
  id?: string;
}

/**
 * The MIME bundle of a figure (pure: no I/O besides reading plotly.min.js when included).
 * The Plotly JSON is the figure itself, round-tripped through JSON so NaN becomes null and no
 * undefined or typed array reaches the notebook file.
 */
export function displayBundle(figure: Figure, options: BundleOptions = {}): MimeBundle {
  const spec = JSON.parse(
    JSON.stringify({ data: figure.data, layout: figure.layout, config: figure.config ?? {} }),
  ) as unknown;
  return {
    [PLOTLY_MIME]: spec,
    "text/html": figureHtml(figure, options),
    "text/plain": figureText(figure),
  };
}

/** The bundle of the plotly.js loader alone (initNotebook, live figures shown before any other). */
export function plotlyLoaderBundle(): MimeBundle {
  return {
    // Marks this output as "plotly.js itself" for report writers that inline plotly.js their own way.
    [PLOTLY_LOADER_MIME]: { version: plotlyVersion() },
    "text/html": plotlyLoaderHtml(),
    "text/plain": `plotly.js ${plotlyVersion()} loaded for this notebook's figures (offline copy).`,
  };
}

/** The MIME bundle of the results table: HTML table, the rows as JSON (RESULTS_MIME) and a text table. */
export function resultsBundle(rows: readonly ResultRow[]): MimeBundle {
  // Round-trip: a non-finite number (which ResultRow types as null) never reaches the JSON as NaN.
  const json = JSON.parse(JSON.stringify({ rows })) as { rows: ResultRow[] };
  return { "text/html": resultsHtml(rows), [RESULTS_MIME]: json, "text/plain": resultsText(rows) };
}

/**
 * The running tslab kernel's display writer, or null outside a kernel.
 *
 * Why not tslab's public API: `display.raw(type, content)` and `newDisplay()` put exactly one MIME
 * type in each message (tslab 1.0.22, dist/public.js: `data: { [contentType]: b }`), and a second
 * call either adds a second output or, with a display id, replaces the first one. A figure needs
 * several MIME types in ONE display_data so each front end picks the best it can render. The
 * public API itself is a thin wrapper over `lastWriteDisplayData(content, update)` in
 * tslab/dist/jupyter.js, which takes the whole display_data content ({ data, metadata, transient })
 * and is re-bound by the kernel to the current execute request before every cell. We call that
 * function, as DisplayImpl.raw does.
 *
 * The module is looked up in require.cache instead of being required: the kernel has loaded it
 * (whichever tslab installation runs the kernel), while requiring tslab outside a kernel would
 * load its TypeScript compiler for nothing. Nothing loaded means no kernel.
 */
export function kernelWriter(): DisplayWriter | null {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const writer = (mod?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof writer === "function") return writer as DisplayWriter;
  }
  return null;
}

/**
 * An epoch callback that itself shows the run's progress. `showsProgress` is true when it does (in a
 * kernel): `train` then prints no per-epoch lines of its own unless asked for them (`verbose: 1`).
 */
export type ProgressCallback = EpochCallback & { readonly showsProgress: boolean };

/** A loss or accuracy as Keras prints it (4 decimals); NaN and ±Infinity as written. */
function metricText(value: number | undefined): string {
  if (value === undefined) return "?";
  return fixed4(value);
}

const LINE_METRICS = ["loss", "accuracy", "val_loss", "val_accuracy"] as const;

/**
 * The one-line progress of a run, the text under a live figure. While training:
 * `original · epoch 7/20 · loss 0.2310 · accuracy 0.9130 · val_loss 0.2870 · val_accuracy 0.8870 · 4.1 s`.
 * Once the planned epochs are done, the run's closing line:
 * `original: 20 epochs in 8.3 s · final loss 0.0123 · … · lowest val_loss 0.2870 at epoch 4`.
 * Works for any History, including the per-epoch mean of a SeedGroup's seeds.
 */
export function progressLine(
  name: string,
  history: History,
  options: { epochs?: number; seconds: number; replayed?: number },
): string {
  const done = history.epoch.length;
  const planned = options.epochs ?? history.params?.epochs ?? done;
  const metrics = LINE_METRICS.filter((key) => Array.isArray(history.history[key])).map(
    (key) => `${key} ${metricText(history.history[key]?.[done - 1])}`,
  );
  const time = `${options.seconds.toFixed(1)} s`;
  if (done < planned) return [name, `epoch ${done}/${planned}`, ...metrics, time].join(" · ");
  // Epochs replayed from the run cache took no training: the time is that of the epochs trained now.
  const replayed = Math.min(options.replayed ?? 0, done);
  const epochs = `${done} epoch${done === 1 ? "" : "s"}`;
  const head =
    replayed === 0
      ? `${epochs} in ${time}`
      : replayed === done
        ? `${epochs} from the run cache`
        : `${epochs} (1–${replayed} from the run cache, ${replayed + 1}–${done} trained in ${time})`;
  const parts = [`${name}: ${head}`, `final ${metrics.join(", ")}`];
  const lowest = (series: number[] | undefined): number => {
    let best = -1;
    series?.forEach((v, i) => {
      if (Number.isFinite(v) && (best < 0 || v < series[best])) best = i;
    });
    return best;
  };
  const val = history.history.val_loss;
  const best = lowest(val);
  if (best >= 0) {
    // A regularized run's val_loss includes the penalty (as Keras's); the lesson's lines read the plain
    // cross-entropy, whose lowest can fall at another epoch: both are given, so the two lines agree.
    const plain = history.history.val_crossentropy;
    const bestPlain = lowest(plain);
    const penalized = bestPlain >= 0 && plain!.some((v, i) => Math.abs(v - val![i]) > 1e-9);
    parts.push(
      `lowest val_loss ${metricText(val![best])} at epoch ${best + 1}` +
        (penalized
          ? ` (with the penalty; the plain cross-entropy is lowest at epoch ${bestPlain + 1}, ${metricText(plain![bestPlain])})`
          : ""),
    );
  }
  return parts.join(" · ");
}

/** Options of a live training figure. */
export interface LiveCurvesOptions {
  /** The run's name: title and colour. */
  name: string;
  /** Planned epochs (default history.params.epochs), fixing the x axis. */
  epochs?: number;
  /** Redraw every n epochs (default 1); the last epoch of the plan is always drawn. */
  every?: number;
}

/** What a notebook uses; `createNotebookDisplay` builds one around a writer (the kernel's, or a test's). */
export interface NotebookDisplay {
  /** Renders a figure inline (outside a kernel: prints its one-line description). */
  show(figure: Figure): void;
  /** Shows result rows: HTML table + RESULTS_MIME JSON + text, in one display_data. */
  showTable(rows: readonly ResultRow[]): void;
  /** `showTable(resultRows(runs))`. */
  showResults(runs: RunsInput): void;
  /** A per-epoch callback that redraws one figure and one progress line in place while training runs. */
  liveCurves(nameOrOptions: string | LiveCurvesOptions): ProgressCallback;
  /** Emits plotly.js for this page now (call in a notebook's first code cell). */
  initNotebook(): void;
  /** True once plotly.js has been sent in this kernel session. */
  readonly plotlySent: boolean;
}

export interface NotebookDisplayOptions {
  /** Called at each display to find the writer (default kernelWriter); null = no kernel. */
  writer?: () => DisplayWriter | null;
  /** Where text goes outside a kernel (default console.log). */
  print?: (text: string) => void;
  /** Element ids, for deterministic tests (default random). */
  newId?: () => string;
}

let displayIds = 0;

/** A fresh display id, unique in the kernel session. */
function newDisplayId(): string {
  displayIds += 1;
  return `fitlab-live-${process.pid}-${Date.now().toString(36)}-${displayIds}`;
}

/** Builds the display functions around a writer; the module's exports use the kernel's writer. */
export function createNotebookDisplay(options: NotebookDisplayOptions = {}): NotebookDisplay {
  const findWriter = options.writer ?? kernelWriter;
  const print = options.print ?? ((text: string) => console.log(text));
  const idOptions = (): { id?: string } => (options.newId ? { id: options.newId() } : {});
  let plotlySent = false;

  function send(writer: DisplayWriter, data: MimeBundle, displayId?: string, update = false): void {
    writer({ data, metadata: {}, ...(displayId ? { transient: { display_id: displayId } } : {}) }, update);
  }

  const display: NotebookDisplay = {
    get plotlySent() {
      return plotlySent;
    },
    initNotebook() {
      const writer = findWriter();
      if (writer === null) return;
      send(writer, plotlyLoaderBundle());
      plotlySent = true;
    },
    show(figure: Figure) {
      checkFigure(figure);
      const writer = findWriter();
      if (writer === null) {
        print(figureText(figure));
        return;
      }
      send(writer, displayBundle(figure, { includePlotly: !plotlySent, ...idOptions() }));
      plotlySent = true;
    },
    showTable(rows: readonly ResultRow[]) {
      const writer = findWriter();
      if (writer === null) {
        print(resultsText(rows));
        return;
      }
      send(writer, resultsBundle(rows));
    },
    showResults(runs: RunsInput) {
      display.showTable(resultRows(runs));
    },
    liveCurves(nameOrOptions: string | LiveCurvesOptions): ProgressCallback {
      const live: LiveCurvesOptions = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
      if (live === null || typeof live !== "object" || typeof live.name !== "string") {
        throw new Error(
          `liveCurves: pass the run's name or { name, epochs?, every? }, got ${JSON.stringify(nameOrOptions)}.`,
        );
      }
      const every = live.every ?? 1;
      if (!Number.isInteger(every) || every < 1) {
        throw new Error(`liveCurves: every must be an integer ≥ 1 (redraw every n epochs), got ${String(live.every)}.`);
      }
      const figureId = newDisplayId();
      const lineId = `${figureId}-line`;
      let figureShown = false;
      let lineShown = false;
      // From the call, which a notebook makes as train's argument, i.e. as training starts (a run
      // replayed from the run cache takes about no time, and train says where it came from).
      let started = Date.now();
      let replayed = 0;
      const callback = (_epoch: number, history: History, info?: EpochInfo) => {
        if (info?.replayed) {
          // The clock starts again after the stored epochs: the time shown is the training's.
          replayed = history.epoch.length;
          started = Date.now();
        }
        const writer = findWriter();
        if (writer === null) return;
        const now = Date.now();
        const done = history.epoch.length;
        const planned = live.epochs ?? history.params?.epochs ?? done;
        if (done % every === 0 || done >= planned) {
          if (!plotlySent) {
            // Its own output, not part of the live figure: updates replace the figure's whole bundle
            // and must not carry (and re-send) 4.6 MB each epoch.
            send(writer, plotlyLoaderBundle());
            plotlySent = true;
          }
          // A group of seeds: its mean with the seeds' band, labelled, so the figure left in the notebook
          // after the run is the labelled one the figures below it draw.
          const figure = trainingProgress(live.name, history, {
            epochs: planned,
            ...(info?.seeds ? { seeds: info.seeds } : {}),
            ...(info?.bands ? { bands: info.bands } : {}),
          });
          send(writer, displayBundle(figure, idOptions()), figureId, figureShown);
          figureShown = true;
        }
        // The line sits under the figure, so it appears once the figure has.
        if (!figureShown) return;
        const line = progressLine(live.name, history, { epochs: planned, seconds: (now - started) / 1000, replayed });
        send(writer, { "text/plain": line }, lineId, lineShown);
        lineShown = true;
      };
      // Outside a kernel nothing is shown, so train keeps printing its own per-epoch lines there.
      return Object.assign(callback, { showsProgress: findWriter() !== null });
    },
  };
  return display;
}

/** The kernel session's display (plotly.js sent once per process, i.e. per kernel session). */
const session = createNotebookDisplay();

/** Renders a figure inline in a tslab cell (plotly JSON + HTML + text in one output). */
export function show(figure: Figure): void {
  session.show(figure);
}

/** Shows result rows as an HTML table with a machine-readable RESULTS_MIME copy. */
export function showTable(rows: readonly ResultRow[]): void {
  session.showTable(rows);
}

/** Shows the results table of runs (best epoch, min val loss, max val accuracy, gap, verdict). */
export function showResults(runs: RunsInput): void {
  session.showResults(runs);
}

/**
 * A callback for train's per-epoch hook: one figure (loss | accuracy, training solid, validation
 * dashed) and one progress line under it, both redrawn in place after each epoch via
 * update_display_data; the line ends as the run's closing line. Saved with the notebook.
 * Outside a kernel it does nothing (`showsProgress: false`).
 */
export function liveCurves(nameOrOptions: string | LiveCurvesOptions): ProgressCallback {
  return session.liveCurves(nameOrOptions);
}

/**
 * Loads plotly.js into the page now. Call it in a notebook's first code cell so each top-to-bottom
 * run leaves exactly one copy of plotly.js, at the top of the saved notebook.
 */
export function initNotebook(): void {
  session.initNotebook();
}
