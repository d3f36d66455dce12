/**
 * The nbformat schema check (scripts/jupyter/schema.ts): what Jupyter writes passes, the lesson's
 * notebooks and the runner's own executed notebooks pass, and malformed ones are refused cell by cell.
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { parseNotebook, serializeNotebook } from "../scripts/jupyter/notebook";
import { schemaProblems } from "../scripts/jupyter/schema";

const ROOT = path.resolve(__dirname, "..");
const notebooksIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => path.join(dir, f));
const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, "utf8"));

describe("the nbformat 4 schema check", () => {
  it.each(
    [...notebooksIn(path.join(ROOT, "notebooks")), ...notebooksIn(path.join(__dirname, "fixtures", "notebooks"))].map(
      (f) => [path.relative(ROOT, f)],
    ),
  )("accepts %s", (file) => {
    expect(schemaProblems(load(path.join(ROOT, file)))).toEqual([]);
  });

  it("accepts a notebook as the runner writes it, outputs of every kind included", () => {
    const nb = parseNotebook(readFileSync(path.join(__dirname, "fixtures", "notebooks", "ok.ipynb"), "utf8"));
    const code = nb.cells.filter((c) => c.cell_type === "code");
    Object.assign(code[0], {
      execution_count: 1,
      outputs: [{ output_type: "stream", name: "stdout", text: "hello\n" }],
    });
    Object.assign(code[1], {
      execution_count: 2,
      outputs: [
        {
          output_type: "display_data",
          data: { "text/plain": "x", "application/vnd.plotly.v1+json": { data: [] } },
          metadata: {},
        },
        { output_type: "execute_result", data: { "text/plain": "3" }, metadata: {}, execution_count: 2 },
        { output_type: "error", ename: "Error", evalue: "boom", traceback: ["Error: boom"] },
      ],
    });
    expect(schemaProblems(JSON.parse(serializeNotebook(nb)))).toEqual([]);
  });

  it("checks an nbformat 4.4 notebook (no cell ids) against the 4.4 schema", () => {
    const nb = {
      cells: [{ cell_type: "markdown", metadata: {}, source: ["# title"] }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 4,
    };
    expect(schemaProblems(nb)).toEqual([]);
    expect(schemaProblems({ ...nb, nbformat_minor: 5 })).toEqual(['cell 0 (markdown) needs "id"']);
  });

  it("refuses what is not an nbformat 4 notebook, saying how to convert an older one", () => {
    expect(schemaProblems([1])).toEqual(['the file holds [1], not a notebook (a JSON object with "cells")']);
    expect(schemaProblems({ nbformat: 3, worksheets: [] })).toEqual([
      "nbformat 3: fitlab reads nbformat 4 notebooks; convert it with `jupyter nbconvert --to notebook --nbformat 4`",
    ]);
  });

  it("parseNotebook throws with every problem, naming the file", () => {
    const text = JSON.stringify({
      cells: [null, { cell_type: "code", id: "a", metadata: {}, source: 7, outputs: [], execution_count: null }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    });
    expect(() => parseNotebook(text, "x.ipynb")).toThrow(
      "x.ipynb does not follow the nbformat 4 schema (fix it, or open and save it in Jupyter):\n  cell 0 is null, not a cell object\n  cell 1 (code, id a): source must be string, or must be array (got 7)",
    );
  });
});
