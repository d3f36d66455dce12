import { formatResultRow, RESULTS_COLUMNS, resultRows } from "../lib/figures/results";
import { finalModelRecord } from "../lib/select";
import { recordedRun } from "./helpers/recordedHistories";
import { alignColumns, resultsHtml, resultsText } from "../lib/tables";
import type { ResultRow } from "../lib/types";

const row: ResultRow = {
  name: "<b>l2</b>",
  epochs: 20,
  bestEpoch: 4,
  minValLoss: 0.2791,
  maxValAccuracy: 0.889,
  finalGap: 0.05,
  verdict: "overfitting",
  severity: "mild",
  reason: "r & s",
  seeds: 3,
};

describe("alignColumns", () => {
  it("pads left-aligned columns but the last, right-aligns where asked and rules under the header", () => {
    expect(alignColumns([["run", "n", "why"], ["original", "20", "x"], ["l2", "5", "longer"]], { right: [false, true], rule: true })).toEqual([
      "run        n  why",
      "--------  --  ------",
      "original  20  x",
      "l2         5  longer",
    ]);
  });
});

describe("results tables", () => {
  it("lays the text table out under the results table's column headings", () => {
    const [header, line] = resultsText([row]).split("\n");
    expect(header.startsWith("Run        Epochs")).toBe(true);
    expect(line.startsWith("<b>l2</b>  20")).toBe(true);
    expect(line.endsWith("  r & s")).toBe(true);
  });

  it("escapes every HTML cell and aligns numbers (the seed count too) right and text left", () => {
    const html = resultsHtml([row]);
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;b&gt;l2&lt;/b&gt;");
    const aligns = [...html.matchAll(/<td style="text-align:(\w+);/g)].map((m) => m[1]);
    expect(aligns).toHaveLength(RESULTS_COLUMNS.length);
    expect(aligns[RESULTS_COLUMNS.indexOf("Seeds")]).toBe("right");
    expect(aligns[RESULTS_COLUMNS.indexOf("Verdict")]).toBe("left");
  });
});

describe("results rows of early-stopped runs and final models", () => {
  it("read an early-stopped run as the epoch it kept, and give a final model's test score in its Why cell", () => {
    const stopped = recordedRun("nb5.stopped", 42);
    const original = recordedRun("imdb.original", 42);
    const record = finalModelRecord("final imdb", { run: original, epoch: 5, value: 0.29, valAccuracy: 0.884 }, { loss: 0.2684, accuracy: 0.893 });
    const [stoppedRow, finalRow] = resultRows([stopped, record]);
    expect(stoppedRow.reason).toMatch(/^Early stopping kept the weights of epoch 5, where validation (loss|cross-entropy) was lowest/);
    expect(formatResultRow(stoppedRow).at(-1)).toBe(stoppedRow.reason);
    expect(finalRow.testAccuracy).toBe(0.893);
    expect(formatResultRow(finalRow).at(-1)).toBe(`${finalRow.reason} Scored once on the test set: accuracy 89.3%, loss 0.2684.`);
    expect(resultsText([finalRow])).toContain("Scored once on the test set: accuracy 89.3%");
  });
});
