import { SUMMARY_COLUMNS } from "../lib/figures/summary";
import { alignColumns, summaryHtml, summaryText } from "../lib/tables";
import type { SummaryRow } from "../lib/types";

const row: SummaryRow = {
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

describe("summary tables", () => {
  it("lays the text table out under the summary's column headings", () => {
    const [header, line] = summaryText([row]).split("\n");
    expect(header.startsWith("Run        Epochs")).toBe(true);
    expect(line.startsWith("<b>l2</b>  20")).toBe(true);
    expect(line.endsWith("  r & s")).toBe(true);
  });

  it("escapes every HTML cell and aligns numbers (the seed count too) right and text left", () => {
    const html = summaryHtml([row]);
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;b&gt;l2&lt;/b&gt;");
    const aligns = [...html.matchAll(/<td style="text-align:(\w+);/g)].map((m) => m[1]);
    expect(aligns).toHaveLength(SUMMARY_COLUMNS.length);
    expect(aligns[SUMMARY_COLUMNS.indexOf("Seeds")]).toBe("right");
    expect(aligns[SUMMARY_COLUMNS.indexOf("Verdict")]).toBe("left");
  });
});
