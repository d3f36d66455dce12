/**
 * The lesson's closing table: notebooks display `{ rows: ResultRow[] }` under RESULTS_MIME; the
 * runner keeps the latest such output per notebook, prints one aligned table and writes results.json.
 */
import { RESULTS_MIME } from "../../lib/notebook/mime";
import { alignColumns } from "../../lib/notebook/tables";
import type { ResultRow } from "../../lib/types";
import { Notebook } from "./notebook";

export interface NotebookResultRow extends ResultRow {
  notebook: string;
}

function isRow(value: unknown): value is ResultRow {
  const row = value as ResultRow;
  return (
    row !== null &&
    typeof row === "object" &&
    typeof row.name === "string" &&
    typeof row.epochs === "number" &&
    ["bestEpoch", "minValLoss", "maxValAccuracy", "finalGap"].every((key) => {
      const value = (row as unknown as Record<string, unknown>)[key];
      return value === null || typeof value === "number";
    }) &&
    typeof row.verdict === "string"
  );
}

/**
 * The rows of the notebook's last RESULTS_MIME output (display_data or execute_result), or [] if it
 * has none. The payload may be an object or a JSON string (tslab's display.raw passes strings as-is).
 * Throws if the payload is not `{ rows: ResultRow[] }`, so a broken results table is not silently skipped.
 */
export function collectResults(nb: Notebook, notebookName: string): NotebookResultRow[] {
  let payload: unknown;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    for (const output of cell.outputs) {
      if (
        (output.output_type === "display_data" || output.output_type === "execute_result") &&
        RESULTS_MIME in output.data
      ) {
        payload = output.data[RESULTS_MIME];
      }
    }
  }
  if (payload === undefined) return [];
  if (typeof payload === "string") payload = JSON.parse(payload);
  const rows = (payload as { rows?: unknown }).rows;
  if (!Array.isArray(rows) || !rows.every(isRow)) {
    throw new Error(
      `${notebookName}: the ${RESULTS_MIME} output is not { rows: ResultRow[] }: ${JSON.stringify(payload).slice(0, 200)}`,
    );
  }
  return rows.map((row) => ({ notebook: notebookName, ...row }));
}

/** Fixed decimals; "-" for a missing (null) value. */
function fixed(value: number | null, digits: number): string {
  if (value === null) return "-";
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/** An aligned plain-text table (numbers right-aligned), one line per run; test columns when a row is a final model. */
export function formatResultsTable(rows: NotebookResultRow[]): string {
  const test = rows.some((row) => row.testAccuracy !== undefined || row.testLoss !== undefined);
  const header = [
    "notebook",
    "run",
    "epochs",
    "best epoch",
    "min val loss",
    "max val acc",
    "gap",
    ...(test ? ["test acc", "test loss"] : []),
    "verdict",
  ];
  const numeric = [false, false, true, true, true, true, true, ...(test ? [true, true] : []), false];
  const body = rows.map((row) => [
    row.notebook,
    row.name,
    String(row.epochs),
    row.bestEpoch === null ? "-" : String(row.bestEpoch),
    fixed(row.minValLoss, 4),
    fixed(row.maxValAccuracy, 4),
    fixed(row.finalGap, 4),
    ...(test ? [fixed(row.testAccuracy ?? null, 4), fixed(row.testLoss ?? null, 4)] : []),
    row.verdict,
  ]);
  return alignColumns([header, ...body], { right: numeric, rule: true })
    .map((line) => line.trimEnd())
    .join("\n");
}
