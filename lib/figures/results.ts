/**
 * The per-notebook results table: one row per run with its best epoch, minimum validation loss, maximum
 * validation accuracy, final gap and the diagnosis's verdict. Rows are plain data (also sent as
 * JSON by display); `resultsTable` draws them as a Plotly table.
 */
import { colorFor } from "../colors";
import { diagnose } from "../diagnose";
import type { ResultRow } from "../types";
import { checkHistory, finiteOrNull, type RunsInput, toRuns } from "./history";
import { DEFAULT_CONFIG, type Figure, plotlyText } from "./plotly";

/**
 * One row per run, in the order given, from `diagnose(run)`: best epoch and minimum of the plain
 * validation cross-entropy (no L1/L2 penalty) when recorded. A SeedGroup's row reads its mean curve
 * and carries `seeds`.
 */
export function resultRows(runs: RunsInput): ResultRow[] {
  const where = "resultRows";
  return toRuns(runs, where).map((run) => {
    checkHistory(run, ["loss", "accuracy", "val_accuracy", run.history.history.val_crossentropy ? "val_crossentropy" : "val_loss"], where);
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
      ...(run.test ? { testAccuracy: finiteOrNull(run.test.accuracy), testLoss: finiteOrNull(run.test.loss) } : {}),
    };
  });
}

/** The column headings shared by the Plotly table, the HTML table and the text table. */
export const RESULTS_COLUMNS = ["Run", "Epochs", "Best epoch", "Min val cross-entropy", "Max val accuracy", "Final gap", "Seeds", "Verdict", "Why"] as const;
/** How each column's cells align in the Plotly and HTML tables: numbers right, text left. */
export const RESULTS_ALIGN = ["left", "right", "right", "right", "right", "right", "right", "left", "left"] as const;

/** "overfitting (strong)", "underfitting (mild, over-regularized)", "good fit". */
export function verdictText(row: Pick<ResultRow, "verdict" | "severity" | "cause">): string {
  const extra = [row.severity, row.cause].filter((x): x is NonNullable<typeof x> => typeof x === "string");
  return extra.length ? `${row.verdict} (${extra.join(", ")})` : row.verdict;
}

/** A row's cells as text, in RESULTS_COLUMNS order ("–" for a missing value). */
export function formatResultRow(row: ResultRow): string[] {
  const num = (v: number | null, digits: number): string => (v === null ? "–" : v.toFixed(digits));
  return [
    row.name,
    String(row.epochs),
    row.bestEpoch === null ? "–" : String(row.bestEpoch),
    num(row.minValLoss, 4),
    row.maxValAccuracy === null ? "–" : `${(row.maxValAccuracy * 100).toFixed(2)}%`,
    row.finalGap === null ? "–" : `${row.finalGap >= 0 ? "+" : ""}${row.finalGap.toFixed(4)}`,
    String(row.seeds ?? 1),
    verdictText(row),
    row.testAccuracy === undefined ? row.reason : `${row.reason} ${testText(row)}`,
  ];
}

/** A final model's test score, for its row's "Why" cell. */
function testText(row: ResultRow): string {
  const acc = row.testAccuracy === null || row.testAccuracy === undefined ? "–" : `${(row.testAccuracy * 100).toFixed(1)}%`;
  const loss = row.testLoss === null || row.testLoss === undefined ? "–" : row.testLoss.toFixed(4);
  return `Scored once on the test set: accuracy ${acc}, loss ${loss}.`;
}

export interface ResultsTableOptions {
  title?: string;
}

/** The results as a Plotly table; each run's name in its figure colour. */
export function resultsTable(runs: RunsInput, options: ResultsTableOptions = {}): Figure {
  const rows = resultRows(runs);
  const cells = rows.map(formatResultRow);
  const columns = RESULTS_COLUMNS.map((_, c) => cells.map((row) => plotlyText(row[c])));
  const nameColors = rows.map((row) => colorFor(row.name));
  const fontColors = RESULTS_COLUMNS.map((_, c) => (c === 0 ? nameColors : rows.map(() => "#222")));
  // Plotly tables wrap long text but do not grow to fit it: size rows for the "Why" column.
  const rowHeight = 30 + 14 * Math.max(0, ...cells.map((row) => Math.ceil(row[row.length - 1].length / 60) - 1));
  return {
    data: [
      {
        type: "table",
        columnwidth: [1.1, 0.7, 0.7, 1.1, 1.1, 0.9, 0.6, 1.5, 4],
        header: {
          values: RESULTS_COLUMNS.map((h) => `<b>${h}</b>`),
          align: "left",
          fill: { color: "#eef1f5" },
          font: { size: 13, color: "#222" },
          height: 30,
        },
        cells: {
          values: columns,
          align: [...RESULTS_ALIGN],
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
