import { diagnose } from "../lib/reading/diagnose";
import { earlyStoppingLine, compareFinalLine, learningRatesLine, memorizationLine } from "../lib/reading/remedies";
import { finalModelLine, rankingLine, testVsValidationLine } from "../lib/reading/finalModel";
import { variant } from "../lib/lesson/models";
import { finalModelRecord, selectBest } from "../lib/runs/select";
import type { EarlyStoppedRun } from "../lib/figures/earlyStopping";
import { recordedGroup, recordedRun } from "./helpers/recordedHistories";

// Notebook 5's lines on its recorded runs (test/fixtures/histories/nb5.*: its settings, seeds 42 and 1–4).
describe("compareFinal", () => {
  it("puts two groups' final validation accuracy side by side and counts the seeds where the first ends below", () => {
    const noise = recordedGroup("nb5.noise", [1, 2, 3, 4]);
    const zeros = recordedGroup("nb5.zeros", [1, 2, 3, 4]);
    const line = compareFinalLine(noise, zeros, "val_accuracy");
    expect(line).toMatch(
      /^final validation accuracy over 4 seeds: noise \d\d\.\d% \(\d\d\.\d%–\d\d\.\d%\), zeros \d\d\.\d% \(\d\d\.\d%–\d\d\.\d%\); noise ends below zeros in (all 4|\d of 4) seeds\.$/,
    );
    const below = noise.seedRuns.filter(
      (r, i) => r.history.history.val_accuracy!.at(-1)! < zeros.seedRuns[i].history.history.val_accuracy!.at(-1)!,
    ).length;
    expect(line).toContain(below === 4 ? "in all 4 seeds" : `in ${below} of 4 seeds`);
  });

  it("reads single runs and losses too", () => {
    expect(compareFinalLine(recordedRun("nb5.zeros", 42), recordedRun("nb5.noise", 42), "val_loss")).toBe(
      "final validation loss: zeros 0.303, noise 0.390; zeros ends below noise.",
    );
  });

  it("refuses groups of different sizes and a missing metric", () => {
    expect(() =>
      compareFinalLine(recordedGroup("nb5.noise", [1, 2]), recordedGroup("nb5.zeros", [1, 2, 3]), "val_accuracy"),
    ).toThrow(/same seeds/);
    expect(() =>
      compareFinalLine(recordedRun("imdb.original", 42), recordedRun("imdb.l2", 42), "val_crossentropy"),
    ).toThrow(/has no val_crossentropy/);
  });
});

describe("memorization", () => {
  it("gives training accuracy at both ends and validation accuracy's range against chance", () => {
    const run = { ...recordedRun("nb5.shuffled", 42), spec: variant("mnist.dense512") };
    const line = memorizationLine(run);
    const h = run.history.history;
    expect(line).toBe(
      `training accuracy ${(100 * h.accuracy[0]).toFixed(1)}% at epoch 1, ${(100 * h.accuracy[39]).toFixed(1)}% at epoch 40; ` +
        `validation accuracy between ${(100 * Math.min(...h.val_accuracy!)).toFixed(1)}% and ${(100 * Math.max(...h.val_accuracy!)).toFixed(1)}% (chance for 10 classes: 10.0%).`,
    );
    expect(h.accuracy[39]).toBeGreaterThan(0.9);
    expect(memorizationLine(recordedRun("nb5.shuffled", 42))).not.toMatch(/chance/);
  });
});

describe("learningRates", () => {
  it("one line per rate, then how many times higher the first one's training loss went and where its accuracy ends", () => {
    const lines = learningRatesLine([recordedRun("nb5.lrhigh", 42), recordedRun("nb5.lrlow", 42)]).split("\n");
    expect(lines).toHaveLength(3);
    // lr 1.0's training accuracy rose to its peak at epoch 2 and fell back: the line says so, lr 0.01's climbed to its last epoch.
    expect(lines[0]).toBe(
      "lrhigh: training loss (mean of an epoch) up to 1.95e+4; training accuracy 50.9% at epoch 1, highest 82.9% at epoch 2, 62.3% at epoch 10; best validation accuracy 80.8%",
    );
    expect(lines[1]).toBe(
      "lrlow: training loss (mean of an epoch) up to 2.05; training accuracy 65.5% at epoch 1, 100.0% at epoch 10; best validation accuracy 92.8%",
    );
    expect(lines[2]).toBe(
      "lrhigh's highest training loss is 9,528× lrlow's; it ends 37.7 points below it in training accuracy.",
    );
  });

  it("adds what the trainer noticed on the way, which a quiet run does not print", () => {
    const high = {
      ...recordedRun("nb5.lrhigh", 42),
      warnings: ["the training loss exploded: 4.44e+4 at epoch 1, batch 2"],
    };
    expect(learningRatesLine([high, recordedRun("nb5.lrlow", 42)]).split("\n")[2]).toBe(
      "lrhigh: the training loss exploded: 4.44e+4 at epoch 1, batch 2",
    );
  });
});

describe("earlyStoppingLine", () => {
  it("says where it stopped, what it kept, and where the full run's trend ends against it (the lesson's one rise: 101% for this run, not the last epoch's 104%)", () => {
    const stopped = recordedRun("nb5.stopped", 42) as EarlyStoppedRun;
    const full = recordedRun("imdb.original", 42);
    expect(earlyStoppingLine(stopped, full)).toBe(
      "stopped after epoch 7 of 20, 2 epochs after the best one; kept the weights of epoch 5 (validation cross-entropy 0.2909). The run without early stopping ends at 0.5943 after 20 epochs; its trend over the last 8 epochs ends 101% above the kept model's value.",
    );
    // The kept model is the full run's minimum here, so that percentage is the full run's rise.
    expect(`${Math.round(100 * diagnose(full).rise)}%`).toBe("101%");
  });
});

describe("ranking, finalModelLine, testAgainstValidation", () => {
  const candidates = ["original", "tiny", "smaller", "l2", "l1", "l1l2", "dropout", "l2dropout"].map((v) =>
    recordedRun(`imdb.${v}`, 42),
  );
  const choice = selectBest(candidates);

  it("lists every candidate best first, names aligned", () => {
    const lines = rankingLine(choice).split("\n");
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(
      /^tiny       best epoch 11  validation cross-entropy 0\.28\d\d  accuracy at that epoch 88\.\d%$/,
    );
    const values = lines.map((l) => Number(/cross-entropy (\d\.\d+)/.exec(l)![1]));
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it("with a tie band, names the candidates that close to the best; refuses a bad band", () => {
    const lines = rankingLine(choice, { tie: 0.005 }).split("\n");
    expect(lines).toHaveLength(9);
    const best = choice.ranking[0].value;
    const tied = choice.ranking.slice(1).filter((c) => c.value - best <= 0.005);
    expect(tied.length).toBeGreaterThan(0);
    expect(lines[8]).toBe(
      `Within the tie band (0.005) of tiny: ${tied.map((c) => `${c.run.name} (+${(c.value - best).toFixed(4)})`).join(", ")}. Another seed may pick ${tied.length === 1 ? "it" : "one of them"}.`,
    );
    expect(rankingLine(choice, { tie: 0 }).split("\n")[8]).toBe(
      "tiny leads the next candidate by more than the tie band (0).",
    );
    expect(() => rankingLine(choice, { tie: -1 })).toThrow(/options\.tie = -1; a number ≥ 0/);
    expect(() => rankingLine(choice, { ties: 1 } as never)).toThrow(/options\.ties = 1; not an option/);
  });

  it("describes the final model and its one test score, and test against validation in points", () => {
    const trained = {
      name: "final imdb",
      history: { ...choice.best.run.history, params: { ...choice.best.run.history.params, samples: 25000 } },
    };
    const test = { loss: 0.2684, accuracy: 0.8926, samples: 25000 };
    expect(finalModelLine("final imdb", choice.best, trained, test)).toBe(
      "final imdb = tiny, retrained for 11 epochs on 25000 rows; tested once on 25000 rows: loss 0.2684, accuracy 89.3%.",
    );
    const record = finalModelRecord("final imdb", choice.best, test);
    const points = (0.8926 - choice.best.valAccuracy) * 100;
    expect(testVsValidationLine([record])).toBe(
      `final imdb: validation accuracy ${(100 * choice.best.valAccuracy).toFixed(1)}% (at the epoch that chose it), test accuracy 89.3%: ${points >= 0 ? "+" : "−"}${Math.abs(points).toFixed(1)} points`,
    );
  });
});
