/**
 * Tables as text and HTML: the results table of runs as a notebook shows it (an HTML table, and an aligned
 * text table outside a kernel), and the column aligner the runner's closing table uses too.
 * (The Plotly table of the same rows is a figure: lib/figures/results.ts.)
 */
import { colorFor } from "../figures/colors";
import { formatResultRow, hasTestColumns, resultAlign, resultColumns } from "../figures/results";
import { escapeHtml } from "./html";
import type { ResultRow } from "../types";

export interface AlignOptions {
  /** Columns whose cells are right-aligned (numbers); the others are left-aligned. */
  right?: readonly boolean[];
  /** A line of dashes under the first row, one run per column. */
  rule?: boolean;
}

/**
 * Rows of cells as lines of text, columns two spaces apart, each as wide as its widest cell. A
 * left-aligned last column is not padded, so no line ends in spaces.
 */
export function alignColumns(rows: readonly (readonly string[])[], options: AlignOptions = {}): string[] {
  const right = options.right ?? [];
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(0, ...rows.map((row) => (row[c] ?? "").length)));
  const lines = rows.map((row) =>
    row
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : c === row.length - 1 ? cell : cell.padEnd(widths[c])))
      .join("  "),
  );
  if (options.rule && lines.length > 0) lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines;
}

/** The result rows as an aligned text table (with test columns when a row is a final model). */
export function resultsText(rows: readonly ResultRow[]): string {
  const test = hasTestColumns(rows);
  return alignColumns([resultColumns(rows), ...rows.map((row) => formatResultRow(row, test))]).join("\n");
}

/** The result rows as an HTML table (every cell escaped), each run's name in its figure colour. */
export function resultsHtml(rows: readonly ResultRow[]): string {
  const test = hasTestColumns(rows);
  const align = resultAlign(rows);
  const th = resultColumns(rows)
    .map((h) => `<th style="text-align:left;padding:4px 8px;border-bottom:2px solid #999;">${escapeHtml(h)}</th>`)
    .join("");
  const body = rows
    .map((row) => {
      const cells = formatResultRow(row, test).map((text, c) => {
        const color = c === 0 ? `color:${colorFor(row.name)};font-weight:bold;` : "";
        return `<td style="text-align:${align[c]};padding:4px 8px;border-bottom:1px solid #ddd;${color}">${escapeHtml(text)}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("\n");
  return `<table class="fitlab-results" style="border-collapse:collapse;font:13px sans-serif;">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
