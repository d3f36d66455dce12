/**
 * Committed notebooks are valid nbformat 4.5 for the tslab kernel and committed clean; the validator
 * itself is checked on the runner's fixtures and on broken variants of them.
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { validateNotebook } from "../scripts/jupyter/validate";

const NOTEBOOKS = path.resolve(__dirname, "..", "notebooks");
const FIXTURES = path.join(__dirname, "fixtures", "notebooks");

function listNotebooks(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(".ipynb"))
      .sort();
  } catch {
    return [];
  }
}

const load = (file: string) => JSON.parse(readFileSync(file, "utf8"));

describe("validateNotebook", () => {
  it.each(listNotebooks(FIXTURES))("accepts the fixture %s", (name) => {
    expect(validateNotebook(load(path.join(FIXTURES, name)))).toEqual([]);
  });

  const broken: [string, (nb: any) => void, RegExp][] = [
    ["a cell without an id", (nb) => delete nb.cells[0].id, /cell 0 needs an id/],
    ["a repeated id", (nb) => (nb.cells[1].id = nb.cells[0].id), /cell 1 repeats the id/],
    ["nbformat 4.4", (nb) => (nb.nbformat_minor = 4), /nbformat must be 4\.5 \(got 4\.4\)/],
    ["another kernel", (nb) => (nb.metadata.kernelspec.name = "python3"), /metadata\.kernelspec must be/],
    ["no language_info", (nb) => delete nb.metadata.language_info, /language_info\.name must be "typescript"/],
    [
      "outputs",
      (nb) => nb.cells[1].outputs.push({ output_type: "stream", name: "stdout", text: "x" }),
      /cell 1 has 1 outputs/,
    ],
    ["an execution count", (nb) => (nb.cells[1].execution_count = 3), /cell 1 has execution_count 3/],
    [
      "no parameters cell",
      (nb) => (nb.cells[1].metadata = {}),
      /exactly one cell must be tagged "parameters" \(found 0\)/,
    ],
    ["two parameters cells", (nb) => (nb.cells[2].metadata = { tags: ["parameters"] }), /\(found 2\)/],
    ["a quick override of an undeclared name", (nb) => (nb.metadata.fitlab.quick.epochz = 1), /quick sets "epochz"/],
  ];
  it.each(broken)("rejects %s", (_, breakIt, problem) => {
    const nb = load(path.join(FIXTURES, "ok.ipynb"));
    breakIt(nb);
    expect(validateNotebook(nb).join("\n")).toMatch(problem);
  });

  it("allows outputs when not checking for a clean commit", () => {
    const nb = load(path.join(FIXTURES, "ok.ipynb"));
    nb.cells[1].outputs.push({ output_type: "stream", name: "stdout", text: "x" });
    nb.cells[1].execution_count = 1;
    expect(validateNotebook(nb, { clean: false })).toEqual([]);
  });
});

describe("committed notebooks/", () => {
  const notebooks = listNotebooks(NOTEBOOKS);

  it("holds at least one notebook", () => {
    expect(notebooks.length).toBeGreaterThan(0);
  });

  // it.each rejects an empty table; the test above already fails then.
  if (notebooks.length > 0)
    it.each(notebooks)("%s is valid nbformat 4.5 for tslab, committed clean, with one parameters cell", (name) => {
      expect(validateNotebook(load(path.join(NOTEBOOKS, name)))).toEqual([]);
    });
});
