/**
 * Every lesson notebook, in quick mode, executed by Jupyter's own executor — `jupyter nbconvert
 * --to notebook --execute` (nbclient driving this project's tslab kernel from a project-local
 * kernelspec) — and then by our runner (`npm run lesson --quick`) with the same parameters, seed and
 * backend. Needs Debian's jupyter-nbconvert and python3-nbclient (see scripts/browser/prerequisites.ts).
 */
import * as path from "path";
import { parseNotebook, readNotebook } from "../scripts/jupyter/notebook";
import { executeWithNbconvert, nbconvertFailure, runLesson, tail, validateWithNbformat } from "./helpers/jupyter";
import {
  errorOutputs,
  figureCells,
  figureShapes,
  nonFiniteResultValues,
  runsAndEpochs,
  stderrOutputs,
  resultsOutputs,
} from "./helpers/outputs";
import { requirePrerequisites } from "../scripts/browser/prerequisites";
import { TEST_BACKEND, Workspace, createWorkspace, lessonNotebooks, notebooksDir } from "../scripts/browser/workspace";
import { promises as fs } from "fs";

const NOTEBOOKS = lessonNotebooks().map((file) => path.basename(file));
/** Notebooks that train nothing (they read committed histories), so have no quick mode. */
const READS_ONLY = new Set(["06-keras-reference.ipynb"]);

/** Per notebook: generous, since CI shares 2 cores; a hung kernel is killed by the process timeout. */
const NOTEBOOK_TIMEOUT_MS = 20 * 60_000;
const CELL_TIMEOUT_S = 600;

describe("the lesson notebooks under Jupyter's executor (nbconvert --execute, quick mode)", () => {
  let ws: Workspace | undefined;
  const durations: string[] = [];

  beforeAll(async () => {
    requirePrerequisites(["build", "nbformat", "nbconvert"]);
    ws = await createWorkspace({ notebooks: lessonNotebooks(), quick: true });
  });

  afterAll(async () => {
    await ws?.dispose();
    if (durations.length) console.log(`real-client durations (backend ${TEST_BACKEND}):\n${durations.join("\n")}`);
  });

  it("finds the notebooks to execute", () => {
    if (NOTEBOOKS.length === 0)
      throw new Error(`no *.ipynb in ${notebooksDir()}: the real-client tests execute every lesson notebook`);
  });

  it.each(NOTEBOOKS)(
    "%s: runs clean under nbconvert, draws every figure, reports finite summaries, validates as nbformat 4.5, and agrees with npm run lesson",
    async (base) => {
      const entry = ws!.notebooks.find((n) => path.basename(n.file) === base)!;
      // Quick mode must change something, except in the appendix that only reads recorded histories (it trains nothing).
      if (!READS_ONLY.has(base)) expect(Object.keys(entry.parameters).length).toBeGreaterThan(0);

      // 1. Jupyter's executor.
      const converted = await executeWithNbconvert(entry.file, ws!.env(`nbconvert-${entry.name}`), {
        cellTimeoutSeconds: CELL_TIMEOUT_S,
        timeoutMs: NOTEBOOK_TIMEOUT_MS,
      });
      durations.push(`  ${base}: nbconvert ${(converted.ms / 1000).toFixed(1)} s`);
      if (converted.code !== 0) {
        // nbconvert writes nothing when a cell fails, and tslab's error text is only in the cell's
        // stderr output: run again letting errors through, to show what the kernel printed.
        const again = await executeWithNbconvert(entry.file, ws!.env(`nbconvert-errors-${entry.name}`), {
          cellTimeoutSeconds: CELL_TIMEOUT_S,
          timeoutMs: NOTEBOOK_TIMEOUT_MS,
          allowErrors: true,
        });
        const printed =
          again.code === 0 ? stderrOutputs(parseNotebook(await fs.readFile(again.output, "utf8"))) : [tail(again)];
        throw new Error(
          `nbconvert failed on ${base} (exit ${converted.code}):\n${nbconvertFailure(converted)}\n` +
            `The kernel printed (from a rerun with --allow-errors):\n${printed.join("\n")}`,
        );
      }
      const executed = parseNotebook(await fs.readFile(converted.output, "utf8"), converted.output);

      expect(errorOutputs(executed)).toEqual([]);
      const figures = figureCells(executed);
      expect(figures.length).toBeGreaterThan(0);
      expect(
        figures.filter((f) => f.figures.length === 0).map((f) => `code cell ${f.number}: ${f.cell.source}`),
      ).toEqual([]);
      for (const f of figures) for (const figure of f.figures) expect(figure.data.length).toBeGreaterThan(0);
      const summaries = resultsOutputs(executed);
      expect(summaries.flatMap(nonFiniteResultValues)).toEqual([]);

      const validation = await validateWithNbformat(converted.output);
      expect(validation.errors).toEqual([]);
      expect(validation.version).toEqual([4, 5]);

      // 2. Our runner with --quick, on the same copy (its --quick re-derives the same overrides from
      // metadata.fitlab.quick and replaces the injected cell, as papermill does), same backend.
      const outDir = await ws!.mkdir(`lesson-${entry.name}`);
      const lesson = await runLesson([entry.file], {
        outDir,
        quick: true,
        backend: TEST_BACKEND,
        env: ws!.env(`lesson-${entry.name}`),
        timeoutMs: NOTEBOOK_TIMEOUT_MS,
      });
      durations.push(`  ${base}: npm run lesson --quick ${(lesson.ms / 1000).toFixed(1)} s`);
      if (lesson.code !== 0)
        throw new Error(`npm run lesson --quick failed on ${base} (exit ${lesson.code}):\n${tail(lesson)}`);
      const ours = await readNotebook(path.join(outDir, `${entry.name}.ipynb`));
      const fitlab = ours.metadata.fitlab as { executed?: { parameters?: unknown } } | undefined;
      expect(fitlab?.executed?.parameters).toEqual(entry.parameters);

      // The same runs, each with the same number of epochs, and figures of the same shape.
      expect(runsAndEpochs(executed)).toEqual(runsAndEpochs(ours));
      expect(figureShapes(executed)).toEqual(figureShapes(ours));
    },
    NOTEBOOK_TIMEOUT_MS * 2 + 60_000,
  );
});
