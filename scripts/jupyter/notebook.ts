/**
 * nbformat 4.5 notebooks: the types we use, reading (multiline strings joined), writing the way
 * Jupyter does (sorted keys, one-space indent, multiline strings split into lines) and atomically.
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */
import { randomBytes } from "crypto";
import { schemaProblems } from "./schema";
import { promises as fs } from "fs";
import { writeFileAtomic } from "../../lib/system/atomicWrite";

export type MimeBundle = Record<string, unknown>;

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: string;
}
export interface DisplayDataOutput {
  output_type: "display_data";
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CellMetadata {
  tags?: string[];
  [key: string]: unknown;
}
export interface CodeCell {
  cell_type: "code";
  id: string;
  source: string;
  metadata: CellMetadata;
  outputs: Output[];
  execution_count: number | null;
}
export interface MarkdownCell {
  cell_type: "markdown";
  id: string;
  source: string;
  metadata: CellMetadata;
  attachments?: Record<string, MimeBundle>;
}
export interface RawCell {
  cell_type: "raw";
  id: string;
  source: string;
  metadata: CellMetadata;
}
export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name: string; display_name: string; language?: string };
    language_info?: { name: string; [key: string]: unknown };
    fitlab?: { quick?: Record<string, unknown>; [key: string]: unknown };
    [key: string]: unknown;
  };
  cells: Cell[];
}

/** A fresh nbformat cell id (8 hex characters, as JupyterLab makes). */
export function newCellId(): string {
  return randomBytes(4).toString("hex");
}

function joinLines(value: unknown): unknown {
  return Array.isArray(value) && value.every((line) => typeof line === "string") ? value.join("") : value;
}

/** Text-valued MIME types are stored as line lists on disk; JSON-valued ones (`…json`) stay as they are. */
function isJsonMime(mime: string): boolean {
  return mime === "application/json" || mime.endsWith("+json");
}

function mapBundle(bundle: MimeBundle, fn: (value: unknown) => unknown): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, value] of Object.entries(bundle)) out[mime] = isJsonMime(mime) ? value : fn(value);
  return out;
}

function mapTexts(nb: Notebook, fn: (value: unknown) => unknown): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((cell) => {
      const source = fn(cell.source) as string;
      if (cell.cell_type !== "code") return { ...cell, source };
      return {
        ...cell,
        source,
        outputs: (cell.outputs ?? []).map((output) => {
          if (output.output_type === "stream") return { ...output, text: fn(output.text) as string };
          if (output.output_type === "display_data" || output.output_type === "execute_result") {
            return { ...output, data: mapBundle(output.data, fn) };
          }
          return output;
        }),
      };
    }),
  };
}

/** Schema problems listed in the error before "… and N more". */
const MAX_PROBLEMS_SHOWN = 8;

/**
 * Parses notebook JSON text; multiline fields become plain strings. Throws naming the file, and for
 * a notebook that breaks the nbformat 4 schema, each problem with its cell (scripts/jupyter/schema.ts).
 */
export function parseNotebook(text: string, file = "<notebook>"): Notebook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || !Array.isArray((raw as Notebook).cells)) {
    throw new Error(`${file} is not a notebook: it has no "cells" array`);
  }
  const problems = schemaProblems(raw);
  if (problems.length > 0) {
    const shown = problems
      .slice(0, MAX_PROBLEMS_SHOWN)
      .map((problem) => `\n  ${problem}`)
      .join("");
    const more = problems.length > MAX_PROBLEMS_SHOWN ? `\n  … and ${problems.length - MAX_PROBLEMS_SHOWN} more` : "";
    throw new Error(
      `${file} does not follow the nbformat 4 schema (fix it, or open and save it in Jupyter):${shown}${more}`,
    );
  }
  return mapTexts(raw as Notebook, joinLines);
}

export async function readNotebook(file: string): Promise<Notebook> {
  return parseNotebook(await fs.readFile(file, "utf8"), file);
}

/** Splits like nbformat: "a\nb" → ["a\n", "b"]. */
function splitLines(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return value.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** The notebook as Jupyter writes it: sorted keys, indent 1, line lists, final newline. */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(sortKeys(mapTexts(nb, splitLines)), null, 1) + "\n";
}

export async function writeNotebookAtomic(file: string, nb: Notebook): Promise<void> {
  await writeFileAtomic(file, serializeNotebook(nb));
}

/** The code cells in order, with their index among all cells and their 1-based number among code cells. */
export function codeCells(nb: Notebook): { cell: CodeCell; index: number; number: number }[] {
  const found: { cell: CodeCell; index: number; number: number }[] = [];
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type === "code") found.push({ cell, index, number: found.length + 1 });
  });
  return found;
}

export function hasTag(cell: Cell, tag: string): boolean {
  return Array.isArray(cell.metadata?.tags) && cell.metadata.tags.includes(tag);
}
