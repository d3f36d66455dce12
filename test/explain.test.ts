import { diagnose } from "../lib/reading/diagnose";
import {
  compareLine,
  compareAccuracyLine,
  explainLine,
  gapAfterBestLine,
  lossVsAccuracyLine,
  pairSeeds,
  seedSpreadLine,
  trainingAboveValidationLine,
  trainingSetbacksLine,
} from "../lib/reading/curves";
import { groupRuns } from "../lib/runs/seeds";
import { recordedGroup, recordedRun } from "./helpers/recordedHistories";

// The lines a notebook prints under a figure, on the recorded full-data histories (seed 42 is the
// notebooks' default; groups use seeds 1–3).
const original42 = recordedRun("imdb.original", 42);
const l2_42 = recordedRun("imdb.l2", 42);
const original = recordedGroup("imdb.original", [1, 2, 3]);

describe("explain", () => {
  it("states best epoch, minimum, end, trend, final gap and verdict of one run, all computed", () => {
    const line = explainLine(original42);
    const d = diagnose(original42);
    expect(line).toBe(
      `original: validation loss lowest at epoch ${d.bestEpoch} (${d.minValLoss.toFixed(3)}), 0.594 at epoch 20, ` +
        `and its trend over the last 8 epochs ends ${Math.round(d.rise * 100)}% above the minimum; training loss ends at 0.017 (final gap ${d.finalGap.toFixed(3)}): overfits strongly.`,
    );
  });

  it("says a curve lowest at its last epoch has not risen, though its trend ends above that last value", () => {
    const stuck = recordedRun("imdb.tiny", 9);
    const d = diagnose(stuck);
    expect([d.bestEpoch, d.rise >= 0.005]).toEqual([20, true]);
    expect(explainLine(stuck)).toMatch(
      /lowest at the last epoch, 20 \(0\.4\d\d\), and it has not risen after it \(its trend over the last 8 epochs ends \d+% above this last, lowest value, which dips below the trend\)/,
    );
  });

  it("names the plain cross-entropy and the penalty's share for a regularized run", () => {
    const line = explainLine(l2_42);
    expect(line).toMatch(/^l2: validation cross-entropy \(no penalty\) lowest at epoch 5 \(0\.289\)/);
    expect(line).toMatch(/the L1\/L2 penalty is 4\d% of the training loss: overfits mildly\.$/);
  });

  it("says a group's numbers are the mean of N seeds and how many seeds agree", () => {
    const line = explainLine(original);
    expect(line).toMatch(/^original \(mean of 3 seeds\): /);
    expect(line).toMatch(/All 3 seeds overfit strongly\.$/);
    expect(explainLine(recordedGroup("imdb.l1", [1, 2, 3]))).toMatch(
      /All 3 seeds underfit \(mildly, over-regularized\)\.$/,
    );
  });

  it("says when seeds disagree, counting each verdict", () => {
    const mixed = groupRuns(
      "mixed",
      [recordedRun("imdb.original", 1), recordedRun("imdb.l1", 2), recordedRun("imdb.original", 3)],
      [1, 2, 3],
    );
    expect(explainLine(mixed)).toMatch(
      /Seeds disagree: 2 of 3 overfit strongly, 1 of 3 underfit \(mildly, over-regularized\)\.$/,
    );
  });

  it("reports a diverged run with the size of its loss", () => {
    expect(explainLine(recordedRun("imdb.exploding", 42))).toMatch(
      /^exploding: training loss reached \d\.\d+e\+\d+ at epoch 1 .*: diverged \(exploding loss\)\.$/,
    );
  });

  it("refuses what is not a run, and unknown options", () => {
    expect(() => explainLine(null as never)).toThrow(/expected a run/);
    expect(() => explainLine(original42, { diagnose: { riseTolerance: -1 } })).toThrow(/riseTolerance = -1/);
    expect(() => explainLine(original42, { color: "red" } as never)).toThrow(/unknown option "color"/);
  });
});

describe("compare", () => {
  it("puts L2's rise after its minimum beside the original's, with how many times less it overfits", () => {
    const line = compareLine(l2_42, original42);
    expect(line).toMatch(
      /^l2 vs original: lowest validation cross-entropy 0\.289 at epoch 5 vs 0\.291 at epoch 5; l2 rises \d\d% after its minimum where original rises \d{3}%: overfits about [3-5]× less\./,
    );
    expect(line).not.toMatch(/Paired by seed/);
  });

  it("pairs two groups' runs by seed and counts where the run ends below the baseline", () => {
    const dropout = recordedGroup("imdb.dropout", [1, 2, 3, 4, 5]);
    const base = recordedGroup("imdb.original", [1, 2, 3, 4, 5]);
    const line = compareLine(dropout, base);
    let below = 0;
    for (const [run, baseline] of pairSeeds(dropout, base))
      if (diagnose(run).endValLoss < diagnose(baseline).endValLoss) below++;
    const count = below === 5 ? "all 5" : `${below} of 5`;
    expect(line).toContain(`(means of 5 seeds each)`);
    expect(line).toContain(`Paired by seed: dropout ends below original in ${count} seeds`);
  });

  it("pairs only the seeds both groups have", () => {
    const a = recordedGroup("imdb.l2", [1, 2, 3]);
    const b = recordedGroup("imdb.original", [2, 3, 4]);
    expect(pairSeeds(a, b).map(([, , seed]) => seed)).toEqual([2, 3]);
    expect(pairSeeds(l2_42, original42)).toEqual([]);
  });

  it("says a run that does not overfit does not, instead of an absurd factor", () => {
    const line = compareLine(recordedRun("imdb.l1", 42), original42);
    expect(line).toMatch(
      /l1 (does not rise after its minimum|rises only \d% after its minimum|is lowest at its last epoch) where original rises \d+%: it does not overfit, original does\./,
    );
  });

  it("never says a run rises after a minimum that is its last epoch", () => {
    // L1's seed-42 curve is lowest at epoch 20, while its trend line ends a little above that minimum.
    const l1 = recordedRun("imdb.l1", 42);
    const vce = l1.history.history.val_crossentropy!;
    expect(vce.indexOf(Math.min(...vce))).toBe(vce.length - 1);
    const line = compareLine(l1, original42);
    expect(line).toContain("l1 is lowest at its last epoch where original rises");
    expect(line).not.toMatch(/l1 rises/);
  });

  it("does not compare curves when one run diverged", () => {
    expect(compareLine(recordedRun("imdb.exploding", 42), original42)).toMatch(
      /exploding diverged .*cannot be compared/,
    );
  });
});

describe("the 'nothing explains' lines", () => {
  it("lossVsAccuracy: the larger model's validation loss multiplies while its accuracy moves a point or two", () => {
    const line = lossVsAccuracyLine(original42);
    expect(line).toMatch(
      /^From epoch 5 to epoch 20, validation loss ×2\.0 \(0\.291 → 0\.594\) while validation accuracy moved \d\.\d points \(\d\d\.\d% → \d\d\.\d%\)\.$/,
    );
  });

  it("trainingAboveValidation: the epochs where training loss is above validation loss, and why", () => {
    const line = trainingAboveValidationLine(original42)!;
    expect(line).toMatch(
      /^Training loss is above validation loss in epochs 1–2 \(epoch 1: 0\.538 vs 0\.406\): in part because training loss is averaged over the epoch while the model improves/,
    );
    expect(line).not.toMatch(/dropout/);
    expect(trainingAboveValidationLine(recordedRun("imdb.dropout", 42), { dropout: true })).toMatch(
      /dropout is active only in training/,
    );
    // A curve whose training loss stays below validation loss gets no line.
    const below = {
      name: "b",
      history: {
        ...original42.history,
        history: { ...original42.history.history, loss: original42.history.history.val_loss!.map((v) => v / 2) },
      },
    };
    expect(trainingAboveValidationLine(below)).toBeNull();
  });

  it("gapAfterBest: in how many epochs the gap widens after the best epoch, and where it narrows", () => {
    expect(gapAfterBestLine(original42)).toBe(
      "After its best epoch (5) the gap widens in all 15 epochs and never narrows; it goes from 0.123 to 0.577.",
    );
    expect(gapAfterBestLine(l2_42)).toMatch(/widens in 11 of 15 epochs and narrows at epochs 11, 14, 17 and 20/);
  });

  it("lossVsAccuracy on the 512×2 model: validation loss nearly triples while accuracy moves under a point", () => {
    expect(lossVsAccuracyLine(recordedRun("imdb.larger", 42))).toBe(
      "From epoch 3 to epoch 20, validation loss ×2.7 (0.278 → 0.755) while validation accuracy moved 0.7 points (88.3% → 87.6%).",
    );
  });

  it("trainingSetbacks: the 512×2 model's training loss jumps back up; the original's never does", () => {
    expect(trainingSetbacksLine(recordedRun("imdb.larger", 42))).toBe(
      "Training loss jumps back up at epochs 10 (0.013 → 0.093), 12 (0.006 → 0.087) and 15 (0.002 → 0.095), each time from the lowest value so far.",
    );
    expect(trainingSetbacksLine(original42)).toBeNull();
    expect(() => trainingSetbacksLine(original42, { factor: 1 })).toThrow(/factor = 1; it must be a number > 1/);
  });

  it("seedSpread: each seed's minimum and final training loss, and the seed that did not fit what its siblings fit", () => {
    const tiny = recordedGroup("imdb.tiny", [1, 2, 3]);
    const line = seedSpreadLine(tiny);
    expect(line).toMatch(
      /^tiny, seed by seed: lowest validation (?:loss|cross-entropy) 0\.28\d \(seed 1, epoch \d+\), 0\.28\d \(2, epoch \d+\), 0\.28\d \(3, epoch \d+\); final training loss 0\.\d+, 0\.\d+, 0\.\d+\. No seed is stuck \(a training loss above 2× the median, 0\.\d+, with a lowest validation value 10% above the median's\)\.$/,
    );
    // A run that stayed high (seed 9 of the full-data tiny model: 0.268 at epoch 20, still falling).
    const base = recordedRun("imdb.tiny", 42);
    const h = base.history.history;
    const stuckHistory = {
      ...base.history,
      history: {
        loss: h.loss.map((v) => Math.max(v, 0.268)),
        accuracy: h.accuracy,
        val_loss: h.val_loss!.map((_, i) => 0.6 - i * 0.01),
        val_accuracy: h.val_accuracy,
      },
    };
    const stuck = { name: "tiny, seed 9", history: stuckHistory, options: { seed: 9 } };
    expect(seedSpreadLine([tiny, stuck])).toMatch(
      /\. Stuck: seed 9, whose training loss ends above 2× the median \(0\.\d+\) and whose lowest validation value is over 10% above the median's \(0\.\d+\): it has not fit the training data the other seeds fit, and its validation curve is still at its lowest at the last epoch\.$/,
    );
    // The stuck run beside a group that already holds its seed counts once.
    const withNine = groupRuns("tiny", [recordedRun("imdb.tiny", 1), stuck, recordedRun("imdb.tiny", 3)], [1, 9, 3]);
    expect(seedSpreadLine([withNine, stuck])).toMatch(
      /\(seed 1, epoch \d+\), 0\.410 \(9, epoch 20\), 0\.28\d \(3, epoch \d+\); final training loss [\d.]+, 0\.268, [\d.]+\. Stuck: seed 9,/,
    );
    expect(() => seedSpreadLine(tiny, { stuckFactor: 1 })).toThrow(/stuckFactor = 1; it must be a number > 1/);
  });

  it("compareAccuracy: two decimals, so a gain of 0.16 points is not printed as 0.1", () => {
    const a = recordedRun("mnist.small", 42);
    const acc = a.history.history.val_accuracy!;
    const better = {
      name: "small, longer",
      history: { ...a.history, history: { ...a.history.history, val_accuracy: acc.map((v) => v + 0.0016) } },
    };
    expect(compareAccuracyLine(better, a)).toMatch(/: 0\.16 points more\.$/);
    expect(compareAccuracyLine(a, a)).toMatch(/: no difference\.$/);
  });
});
