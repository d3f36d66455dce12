import { formatResultRow, RESULTS_COLUMNS, resultRows } from "../lib/figures/results";
import { finalModelRecord } from "../lib/runs/select";
import { recordedGroup, recordedRun } from "./helpers/recordedHistories";
import { alignColumns, resultsHtml, resultsText } from "../lib/notebook/tables";
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
    expect(
      alignColumns(
        [
          ["run", "n", "why"],
          ["original", "20", "x"],
          ["l2", "5", "longer"],
        ],
        { right: [false, true], rule: true },
      ),
    ).toEqual(["run        n  why", "--------  --  ------", "original  20  x", "l2         5  longer"]);
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
  it("read an early-stopped run as the epoch it kept, its gap included (epoch 5's, not epoch 7's)", () => {
    const stopped = recordedRun("nb5.stopped", 42);
    const [row] = resultRows([stopped]);
    expect(row.reason).toMatch(
      /^Early stopping kept the weights of epoch 5, where validation (loss|cross-entropy) was lowest/,
    );
    expect(formatResultRow(row).at(-1)).toBe(row.reason);
    const h = stopped.history.history;
    expect(row.finalGap).toBeCloseTo(h.val_loss![4] - h.loss[4], 12);
    expect(formatResultRow(row)[RESULTS_COLUMNS.indexOf("Final gap")]).toBe("+0.1235");
  });

  it("say what a final model is: epochs trained, no validation split, test accuracy and loss in their own columns, no candidate verdict", () => {
    const original = recordedRun("imdb.original", 42);
    const record = finalModelRecord(
      "final imdb",
      { run: original, epoch: 5, value: 0.29, valAccuracy: 0.884 },
      { loss: 0.2684, accuracy: 0.893 },
    );
    const [originalRow, finalRow] = resultRows([original, record]);
    expect(finalRow).toMatchObject({
      name: "final imdb",
      epochs: 5,
      bestEpoch: null,
      minValLoss: null,
      maxValAccuracy: null,
      finalGap: null,
      verdict: "final model",
      testAccuracy: 0.893,
      testLoss: 0.2684,
    });
    expect(finalRow.reason).toBe(
      "Retrained for 5 epochs (the best epoch of original on validation) on all the training data, with no validation split, so there is no validation curve to diagnose; scored once on the test set.",
    );
    expect(finalRow.reason).not.toMatch(/overfit/);
    const [header, , finalLine] = resultsText([originalRow, finalRow]).split("\n");
    expect(header).toMatch(/Seeds {2}Test accuracy {2}Test loss {2}Verdict/);
    const cells = formatResultRow(finalRow, true);
    expect(cells.slice(1, 11)).toEqual([
      "5",
      "–",
      "–",
      "–",
      "–",
      "1",
      "89.30%",
      "0.2684",
      "final model",
      finalRow.reason,
    ]);
    expect(finalLine).toContain("89.30%");
    // The candidate's own row has no test score.
    expect(formatResultRow(originalRow, true)[7]).toBe("–");
    const html = resultsHtml([originalRow, finalRow]);
    expect(html).toContain(">Test accuracy</th>");
    expect([...html.matchAll(/<td /g)]).toHaveLength(2 * 11);
  });

  it("keep the test columns out of a table without a final model", () => {
    const [header] = resultsText(resultRows([recordedRun("imdb.original", 42)])).split("\n");
    expect(header).not.toContain("Test");
  });

  it("say in the verdict when a group's seeds disagree (IMDB Dense(4) with the seed that gets stuck)", () => {
    const [row] = resultRows([recordedGroup("imdb.tiny", [1, 2, 9])]);
    expect(row.seedsDisagree).toBe("2 of 3 seeds overfit mildly, 1 underfits strongly (stuck).");
    expect(formatResultRow(row)[RESULTS_COLUMNS.indexOf("Verdict")]).toMatch(
      /; seeds disagree: 2 of 3 seeds overfit mildly, 1 underfits strongly \(stuck\)$/,
    );
    const [agreeing] = resultRows([recordedGroup("imdb.tiny", [1, 2, 3])]);
    expect(agreeing.seedsDisagree).toBeUndefined();
    expect(formatResultRow(agreeing)[RESULTS_COLUMNS.indexOf("Verdict")]).toBe("overfitting (mild)");
  });
});
