import { RESULTS_COLUMNS } from "../lib/figures/results";
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
