/**
 * The per-notebook results table: one row per run with its best epoch, minimum validation loss, maximum
 * validation accuracy, final gap and the diagnosis's verdict. Rows are plain data (also sent as
 * JSON by display); `plotResultsTable` draws them as a Plotly table.
 */
import { colorFor } from "./colors";
import { diagnose } from "../reading/diagnose";
import type { ResultRow, RunLike } from "../types";
import { checkHistory, finiteOrNull, type RunsInput, toRuns } from "./history";
import { DEFAULT_CONFIG, type Figure, plotlyText } from "./plotly";

/**
 * One row per run, in the order given, from `diagnose(run)`: best epoch and minimum of the plain
 * validation cross-entropy (no L1/L2 penalty) when recorded. A SeedGroup's row reads its mean curve
 * and carries `seeds` (and, when its seeds disagree, how they read). A final model (`finalModelRecord`:
 * retrained on all the training data, no validation split) has no curve of its own to diagnose: its row
 * says what it is, the epochs it was trained for and its test scores, not the verdict of the
 * configuration it was chosen from.
 */
export function resultRows(runs: RunsInput): ResultRow[] {
  const where = "resultRows";
  return toRuns(runs, where).map((run) => {
    if (run.test?.epochs !== undefined) return finalModelRow(run.name, run.test);
    checkHistory(
      run,
      ["loss", "accuracy", "val_accuracy", run.history.history.val_crossentropy ? "val_crossentropy" : "val_loss"],
      where,
    );
    // The run, not only its history: a run that early stopping ended reads as the epoch it kept.
    const d = diagnose(run);
    return {
      name: run.name,
      epochs: run.history.epoch.length,
      bestEpoch: finiteOrNull(d.bestEpoch),
      minValLoss: finiteOrNull(d.minValLoss),
      maxValAccuracy: finiteOrNull(d.maxValAccuracy),
      finalGap: finiteOrNull(d.finalGap),
      verdict: d.verdict,
      severity: d.severity,
      cause: d.cause,
      reason: d.reason,
      seeds: run.seedRuns?.length ?? 1,
      ...(d.seeds && !d.seeds.agree ? { seedsDisagree: d.seeds.text } : {}),
      ...(run.test ? { testAccuracy: finiteOrNull(run.test.accuracy), testLoss: finiteOrNull(run.test.loss) } : {}),
    };
  });
}

/** A final model's row: what it is, how long it trained, its test scores; no validation numbers, no verdict. */
function finalModelRow(name: string, test: NonNullable<RunLike["test"]>): ResultRow {
  const epochs = test.epochs!;
  const from = test.from ? ` (the best epoch of ${test.from} on validation)` : "";
  return {
    name,
    epochs,
    bestEpoch: null,
    minValLoss: null,
    maxValAccuracy: null,
    finalGap: null,
    verdict: "final model",
    severity: null,
    cause: null,
    reason: `Retrained for ${epochs} epoch${epochs === 1 ? "" : "s"}${from} on all the training data, with no validation split, so there is no validation curve to diagnose; scored once on the test set.`,
    seeds: 1,
    testAccuracy: finiteOrNull(test.accuracy),
    testLoss: finiteOrNull(test.loss),
  };
}

/** The column headings shared by the Plotly table, the HTML table and the text table. */
export const RESULTS_COLUMNS = [
  "Run",
  "Epochs",
  "Best epoch",
  "Min val cross-entropy",
  "Max val accuracy",
  "Final gap",
  "Seeds",
  "Verdict",
  "Why",
] as const;
/** How each column's cells align in the Plotly and HTML tables: numbers right, text left. */
export const RESULTS_ALIGN = ["left", "right", "right", "right", "right", "right", "right", "left", "left"] as const;
/** The columns a table adds, before "Verdict", when one of its rows was scored on the test set (a final model). */
export const TEST_COLUMNS = ["Test accuracy", "Test loss"] as const;

/** Where the test columns go: after "Seeds", before "Verdict". */
const TEST_AT = RESULTS_COLUMNS.indexOf("Verdict");

/** True when some row carries test scores: its table gets the test columns. */
export function hasTestColumns(rows: readonly ResultRow[]): boolean {
  return rows.some((row) => row.testAccuracy !== undefined || row.testLoss !== undefined);
}

/** The headings of a table of these rows: RESULTS_COLUMNS, with TEST_COLUMNS when a row has test scores. */
export function resultColumns(rows: readonly ResultRow[]): string[] {
  const columns: string[] = [...RESULTS_COLUMNS];
  if (hasTestColumns(rows)) columns.splice(TEST_AT, 0, ...TEST_COLUMNS);
  return columns;
}

/** How the columns of `resultColumns(rows)` align. */
export function resultAlign(rows: readonly ResultRow[]): ("left" | "right")[] {
  const align: ("left" | "right")[] = [...RESULTS_ALIGN];
  if (hasTestColumns(rows)) align.splice(TEST_AT, 0, "right", "right");
  return align;
}

/**
 * "overfitting (strong)", "underfitting (mild, over-regularized)", "good fit", "final model"; a group whose
 * seeds disagree adds how they read: "overfitting (mild); seeds disagree: 2 of 3 seeds overfit mildly, 1 underfits strongly (stuck)".
 */
export function verdictText(row: Pick<ResultRow, "verdict" | "severity" | "cause" | "seedsDisagree">): string {
  const extra = [row.severity, row.cause].filter((x): x is NonNullable<typeof x> => typeof x === "string");
  const text = extra.length ? `${row.verdict} (${extra.join(", ")})` : row.verdict;
  return row.seedsDisagree ? `${text}; seeds disagree: ${row.seedsDisagree.replace(/\.$/, "")}` : text;
}

/**
 * A row's cells as text, in RESULTS_COLUMNS order ("–" for a missing value); with `testColumns` (a table
 * holding a final model), the test accuracy and loss before "Verdict", as `resultColumns` orders them.
 */
export function formatResultRow(row: ResultRow, testColumns = false): string[] {
  const num = (v: number | null | undefined, digits: number): string =>
    v === null || v === undefined ? "–" : v.toFixed(digits);
  const cells = [
    row.name,
    String(row.epochs),
    row.bestEpoch === null ? "–" : String(row.bestEpoch),
    num(row.minValLoss, 4),
    row.maxValAccuracy === null ? "–" : `${(row.maxValAccuracy * 100).toFixed(2)}%`,
    row.finalGap === null ? "–" : `${row.finalGap >= 0 ? "+" : ""}${row.finalGap.toFixed(4)}`,
    String(row.seeds ?? 1),
    verdictText(row),
    row.reason,
  ];
  if (testColumns)
    cells.splice(
      TEST_AT,
      0,
      row.testAccuracy === null || row.testAccuracy === undefined ? "–" : `${(row.testAccuracy * 100).toFixed(2)}%`,
      num(row.testLoss, 4),
    );
  return cells;
}

export interface ResultsTableOptions {
  title?: string;
}

/** The results as a Plotly table; each run's name in its figure colour. */
export function plotResultsTable(runs: RunsInput, options: ResultsTableOptions = {}): Figure {
  const rows = resultRows(runs);
  const test = hasTestColumns(rows);
  const headings = resultColumns(rows);
  const cells = rows.map((row) => formatResultRow(row, test));
  const columns = headings.map((_, c) => cells.map((row) => plotlyText(row[c])));
  const nameColors = rows.map((row) => colorFor(row.name));
  const fontColors = headings.map((_, c) => (c === 0 ? nameColors : rows.map(() => "#222")));
  // Plotly tables wrap long text but do not grow to fit it: size rows for the "Why" column.
  const rowHeight = 30 + 14 * Math.max(0, ...cells.map((row) => Math.ceil(row[row.length - 1].length / 60) - 1));
  return {
    data: [
      {
        type: "table",
        columnwidth: test
          ? [1.1, 0.7, 0.7, 1.1, 1.1, 0.9, 0.6, 0.9, 0.8, 1.5, 4]
          : [1.1, 0.7, 0.7, 1.1, 1.1, 0.9, 0.6, 1.5, 4],
        header: {
          values: headings.map((h) => `<b>${h}</b>`),
          align: "left",
          fill: { color: "#eef1f5" },
          font: { size: 13, color: "#222" },
          height: 30,
        },
        cells: {
          values: columns,
          align: resultAlign(rows),
          font: { size: 12, color: fontColors },
          fill: { color: "#ffffff" },
          height: rowHeight,
        },
      },
    ],
    layout: {
      title: { text: plotlyText(options.title ?? "Results of the runs") },
      height: Math.min(900, 110 + 30 + rows.length * rowHeight),
      margin: { l: 20, r: 20, t: 50, b: 20 },
    },
    config: { ...DEFAULT_CONFIG },
  };
}
