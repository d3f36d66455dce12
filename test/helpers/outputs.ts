/**
 * Reading an executed notebook the way the real-client tests judge it: which cells are figure
 * cells, their Plotly outputs, error outputs, and the runs listed by results outputs.
 */
import { PLOTLY_MIME, RESULTS_MIME } from "../../lib/notebook/mime";
import { CodeCell, MimeBundle, Notebook, Output, codeCells } from "../../scripts/jupyter/notebook";

/**
 * A figure cell is a code cell whose source calls `show(` (lib/notebook/display's show): each must leave a
 * Plotly output. `showResults(` / `showTable(` do not count (they are other identifiers).
 */
export function isFigureCell(cell: CodeCell): boolean {
  return /(^|[^\w$])show\s*\(/m.test(cell.source.replace(/\/\/[^\n]*/g, ""));
}

function bundles(cell: CodeCell): MimeBundle[] {
  return cell.outputs.flatMap((o: Output) =>
    o.output_type === "display_data" || o.output_type === "execute_result" ? [o.data] : [],
  );
}

function json(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

export interface PlotlySpec {
  data: { type?: string; name?: string; x?: unknown[]; y?: unknown[] }[];
  layout: { title?: { text?: string } | string };
}

/** The Plotly figures a cell displayed, in order. */
export function plotlyFigures(cell: CodeCell): PlotlySpec[] {
  return bundles(cell)
    .filter((data) => PLOTLY_MIME in data)
    .map((data) => json(data[PLOTLY_MIME]) as PlotlySpec);
}

export interface FigureCell {
  /** 1-based number among code cells, as Jupyter and the runner count. */
  number: number;
  cell: CodeCell;
  figures: PlotlySpec[];
}

export function figureCells(nb: Notebook): FigureCell[] {
  return codeCells(nb)
    .filter(({ cell }) => isFigureCell(cell))
    .map(({ cell, number }) => ({ number, cell, figures: plotlyFigures(cell) }));
}

/** Each error output and each stderr stream that names an error, as "code cell N: text". */
export function errorOutputs(nb: Notebook): string[] {
  const found: string[] = [];
  for (const { cell, number } of codeCells(nb)) {
    for (const o of cell.outputs) {
      if (o.output_type === "error") found.push(`code cell ${number}: ${o.ename}: ${o.evalue}`);
      // tslab reports a failing cell by printing the error to stderr (no `error` output).
      if (o.output_type === "stream" && o.name === "stderr" && /\b\w*(Error|Exception)\b/.test(o.text)) {
        found.push(`code cell ${number} (stderr): ${o.text.trim().split("\n").slice(0, 6).join(" | ")}`);
      }
    }
  }
  return found;
}

/** Every stderr stream and error output, as "code cell N: text" (for failure messages). */
export function stderrOutputs(nb: Notebook): string[] {
  const found: string[] = [];
  for (const { cell, number } of codeCells(nb)) {
    for (const o of cell.outputs) {
      if (o.output_type === "error") found.push(`code cell ${number}: ${o.ename}: ${o.evalue}`);
      if (o.output_type === "stream" && o.name === "stderr")
        found.push(`code cell ${number}: ${o.text.trim().split("\n").slice(0, 12).join("\n  ")}`);
    }
  }
  return found;
}

/** A result row as displayed; numbers are checked, not trusted. */
export type RawResultRow = Record<string, unknown> & { name?: unknown; epochs?: unknown };

/** Every results output's rows, in order of display (one array per output). */
export function resultsOutputs(nb: Notebook): RawResultRow[][] {
  const found: RawResultRow[][] = [];
  for (const { cell, number } of codeCells(nb)) {
    for (const data of bundles(cell)) {
      if (!(RESULTS_MIME in data)) continue;
      const rows = (json(data[RESULTS_MIME]) as { rows?: unknown }).rows;
      if (!Array.isArray(rows)) throw new Error(`code cell ${number}: the ${RESULTS_MIME} output has no rows array`);
      found.push(rows as RawResultRow[]);
    }
  }
  return found;
}

export const RESULT_NUMBERS = ["epochs", "bestEpoch", "minValLoss", "maxValAccuracy", "finalGap"] as const;

/** "run <name>: <field> is <value>" for each result number that is missing or not finite. */
export function nonFiniteResultValues(rows: RawResultRow[]): string[] {
  const problems: string[] = [];
  for (const row of rows) {
    // A final model trained with no validation split has no validation numbers (its row says so, with
    // "–"); what it must carry instead is its epochs and its test scores.
    const final = row.verdict === "final model";
    const keys = final ? (["epochs", "testAccuracy", "testLoss"] as const) : RESULT_NUMBERS;
    for (const key of keys) {
      const value = row[key];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        problems.push(`run ${String(row.name)}: ${key} is ${JSON.stringify(value)}`);
      }
    }
  }
  return problems;
}

/** "name: epochs" for every run of every results output, in order: what two executions must share. */
export function runsAndEpochs(nb: Notebook): string[] {
  return resultsOutputs(nb)
    .flat()
    .map((row) => `${String(row.name)}: ${String(row.epochs)} epochs`);
}

/**
 * The shape of every Plotly output (figure cells and live training curves): cell number, trace names and types, and points per trace. Two
 * executions with the same parameters draw the same shapes (the values may differ in the last digits).
 */
export function figureShapes(nb: Notebook): string[] {
  return codeCells(nb).flatMap(({ number, cell }) =>
    plotlyFigures(cell).map(
      (figure) =>
        `cell ${number}: ` +
        figure.data
          .map(
            (t) =>
              `${t.type ?? "scatter"} "${t.name ?? ""}" ×${Array.isArray(t.x) ? t.x.length : Array.isArray(t.y) ? t.y.length : "?"}`,
          )
          .join(", "),
    ),
  );
}
