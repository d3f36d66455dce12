/**
 * Every exercise is solvable: each `check…` is solved once with a known answer on the real data
 * (the notebooks' settings, one seed, no run cache) and answers ✓, and the lesson's own choice, as
 * the exercise cell is committed, answers ✗ with its numbers and a hint. The targets the
 * notebooks' exercise prose states are the ones the checks use.
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/system/backend";
import { loadMnistFeatures } from "../lib/data/chapter5";
import { loadData as loadImdb } from "../lib/data/imdb";
import { vectorizeSequences } from "../lib/data/vectorize";
import {
  BEAT_ORIGINAL,
  checkBeatsOriginal,
  checkLowestEnd,
  checkLearningRate,
  checkOverfitsLess,
  checkStopEpoch,
  checkPatience,
  checkSmallWidth,
  checkStopsUnderfitting,
  earlyStopOn,
  LEARNING_RATE_GOAL,
  OVERFIT_LESS,
  PATIENCE_GOAL,
  SMALL_WIDTH,
  STOP_UNDERFITTING,
  type CheckResult,
} from "../lib/lesson/exercises";
import { percent as formatAccuracy, roughPercent as formatPercent } from "../lib/format";
import { variant, variants } from "../lib/lesson/models";
import { trainSweep } from "../lib/runs/trainSweep";
import { train, type Run } from "../lib/runs/train";
import { trainSeeds } from "../lib/runs/trainSeeds";
import type { Features, MultiHotMatrix } from "../lib/types";

const NOTEBOOKS = path.resolve(__dirname, "..", "notebooks");
const source = (file: string) =>
  (JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), "utf8")).cells as { id: string; source: string[] }[]).map(
    (c) => ({ id: c.id, text: c.source.join("") }),
  );

const seeds = [42];
const imdbFit = { epochs: 20, batchSize: 512, validationSplit: 0.4, cache: false as const, verbose: 0 as const };
const mnistFit = { epochs: 20, batchSize: 128, validationSplit: 0.2, cache: false as const, verbose: 0 as const };

function expectPass(r: CheckResult): void {
  if (!r.passed) throw new Error(`expected ✓, got:\n${r.text}`);
  expect(r.text.startsWith("✓")).toBe(true);
  expect(r.hint).toBeNull();
}

function expectFail(r: CheckResult, hint: RegExp): void {
  if (r.passed) throw new Error(`expected ✗, got:\n${r.text}`);
  expect(r.text.startsWith("✗")).toBe(true);
  expect(r.text).toMatch(/Hint: /);
  expect(r.hint).toMatch(hint);
  r.goals.filter((g) => !g.met).forEach((g) => expect(r.text).toContain(g.text));
}

const last = (xs: number[]) => xs[xs.length - 1];

let imdbX: MultiHotMatrix;
let imdbY: ArrayLike<number>;
let mnist: { x: Features; y: Float32Array };

beforeAll(async () => {
  await initBackend({ report: false });
  const [[data, labels]] = await loadImdb({ numWords: 10000 });
  imdbX = vectorizeSequences(data, 10000);
  imdbY = labels;
  mnist = loadMnistFeatures({ testSamples: 1 }).train;
});

describe("the exercise prose states the checks' targets", () => {
  const text = (file: string) =>
    source(file)
      .filter((c) => c.id.startsWith("w23-ex"))
      .map((c) => c.text)
      .join("\n")
      .replace(/\s+/g, " ");
  it.each([
    [
      "02-more-capacity-mnist.ipynb",
      [
        `reaches ${formatAccuracy(STOP_UNDERFITTING.minAccuracy)}`,
        `at or below ${STOP_UNDERFITTING.maxTrainLoss}`,
        `at most ${SMALL_WIDTH.maxUnits} units`,
        `reaches ${formatAccuracy(SMALL_WIDTH.minAccuracy)}`,
      ],
    ],
    [
      "03-imdb-capacity.ipynb",
      [`less than ${formatPercent(OVERFIT_LESS.maxRise)}`, `at or below ${OVERFIT_LESS.maxMinimum.toFixed(2)}`],
    ],
    [
      "04-fixing-overfitting.ipynb",
      [
        `less than ${formatPercent(OVERFIT_LESS.maxRise)}`,
        `at or below ${OVERFIT_LESS.maxMinimum.toFixed(2)}`,
        `at least ${BEAT_ORIGINAL.margin} below`,
        `at most ${formatPercent(BEAT_ORIGINAL.riseFactor)} of the original`,
      ],
    ],
    [
      "05-remedies-and-the-test-set.ipynb",
      [
        "the smallest `myPatience`",
        `within ${PATIENCE_GOAL.tolerance}`,
        `${formatAccuracy(LEARNING_RATE_GOAL.minTrainAccuracy)} training accuracy`,
      ],
    ],
  ])("%s", (file, targets) => {
    for (const target of targets) expect(text(file)).toContain(target);
  });
});

describe("notebook 2 (MNIST)", () => {
  it("2.1: the small model fails; a hidden layer of 64 units stops the underfitting", async () => {
    expectFail(
      await checkStopsUnderfitting(variants.mnist.small, mnist.x, mnist.y, { ...mnistFit, seeds }),
      /capacity/,
    );
    expectPass(
      await checkStopsUnderfitting(variant("mnist.large", { units: 64 }), mnist.x, mnist.y, { ...mnistFit, seeds }),
    );
  });

  it("2.2: 16 units fall short of the accuracy; 32 units reach it", async () => {
    expectFail(await checkSmallWidth(16, mnist.x, mnist.y, { ...mnistFit, seeds }), /too few units/);
    expectPass(await checkSmallWidth(32, mnist.x, mnist.y, { ...mnistFit, seeds }));
  });
});

describe("notebook 3 (IMDB capacity)", () => {
  it("3.1: on a capacity curve the width whose validation cross-entropy ends lowest passes, the widest fails", async () => {
    const sweep = await trainSweep("width", [4, 16, 64], imdbX, imdbY, { ...imdbFit, seeds });
    const ends = sweep.groups.map((g) => last(g.history.history.val_loss as number[]));
    const lowest = sweep.values[ends.indexOf(Math.min(...ends))];
    expectPass(checkLowestEnd(lowest, sweep));
    const wrong = checkLowestEnd(64, sweep);
    expectFail(wrong, /narrower/);
    // It says plainly what it checked, its own width's end and the tolerance, without giving the answer away.
    expect(wrong.text).toContain("Checked: each width's validation cross-entropy at the last epoch (20)");
    expect(wrong.text).toContain(
      `Yours, 64 units, ends at ${ends[2].toFixed(3)}; it must end within 0.020 of the lowest width's:`,
    );
    expect(wrong.text).not.toContain("Lowest:");
    expect(wrong.text).not.toContain(`${lowest} units ${Math.min(...ends).toFixed(3)}`);
    // The ✓ shows the whole curve.
    const right = checkLowestEnd(lowest, sweep);
    expect(right.text).toContain(sweep.values.map((v, i) => `${v} units ${ends[i].toFixed(3)}`).join(", "));
    expect(right.text).toContain(`Lowest: ${lowest} units (${Math.min(...ends).toFixed(3)}).`);
    expect(wrong.text).toMatch(/64 units end above the lowest by 0\.\d{3} ≤ 0\.020 ✗/);
    expect(() => checkLowestEnd(5, sweep)).toThrow(/choose one of the widths on the curve: 4, 16, 64/);
  });

  it("3.2: the original trained 20 epochs fails; trained to its best epoch it passes", async () => {
    const full = await checkStopEpoch(variants.imdb.original, imdbX, imdbY, { ...imdbFit, seeds });
    // The hint speaks of epochs, the one thing the exercise lets the learner change.
    expectFail(full, /stop it sooner, nearer the epoch of its minimum/);
    const best = Number(/epoch (\d+)/.exec(full.goals[1].what)![1]);
    expectPass(await checkStopEpoch(variants.imdb.original, imdbX, imdbY, { ...imdbFit, seeds, epochs: best }));
    expectFail(
      await checkStopEpoch(variants.imdb.original, imdbX, imdbY, { ...imdbFit, seeds, epochs: 2 }),
      /let it train a few epochs longer/,
    );
  });
});

describe("notebook 4 (IMDB remedies)", () => {
  let original: Run;
  beforeAll(async () => {
    original = (await trainSeeds(variants.imdb.original, imdbX, imdbY, { ...imdbFit, seeds })).seedRuns[0];
  });

  it("4.1: L2 at 0.005 overfits less with a minimum still ≤ the target; L2 at 0.001 still rises too much", async () => {
    expectFail(
      await checkOverfitsLess(variant("imdb.l2", { l2: 0.001 }), imdbX, imdbY, { ...imdbFit, seeds }),
      /it still overfits: make the penalty stronger or the dropout rate higher/,
    );
    expectPass(await checkOverfitsLess(variant("imdb.l2", { l2: 0.005 }), imdbX, imdbY, { ...imdbFit, seeds }));
  });

  it("4.2: the original cannot beat itself; Dense(32)×2 with L2 0.001 and dropout 0.5 does", async () => {
    expectFail(
      await checkBeatsOriginal(variants.imdb.original, original, imdbX, imdbY, { ...imdbFit, seeds }),
      /lower minimum/,
    );
    expectPass(
      await checkBeatsOriginal(
        {
          ...variants.imdb.original,
          hidden: [
            { units: 32, l2: 0.001, dropout: 0.5 },
            { units: 32, l2: 0.001, dropout: 0.5 },
          ],
        },
        original,
        imdbX,
        imdbY,
        { ...imdbFit, seeds },
      ),
    );
  });
});

describe("notebook 5", () => {
  it("5.1: RMSprop at 1.0 does not fit; 0.003 does", async () => {
    const few = loadMnistFeatures({ trainSamples: 3000, testSamples: 1 }).train;
    const fit = {
      epochs: 10,
      batchSize: 128,
      validationSplit: 0.2,
      seed: 42,
      cache: false as const,
      verbose: 0 as const,
    };
    expectFail(await checkLearningRate(1.0, few.x, few.y, fit), /lower the rate/);
    expectPass(await checkLearningRate(0.003, few.x, few.y, fit));
  });

  it("5.2: at seed 42 the smallest patience is 1; the notebook's own patience (2) and the cell's starting 5 are not it", async () => {
    const full = await train(variants.imdb.original, imdbX, imdbY, { ...imdbFit, seed: 42 });
    const fullVal = (full.history.history.val_crossentropy ?? full.history.history.val_loss)!;
    const tries = new Map<number, CheckResult>();
    for (const patience of [1, 2, 5])
      tries.set(patience, await checkPatience(patience, full, imdbX, imdbY, { ...imdbFit, seed: 42 }));
    expectPass(tries.get(1)!);
    expectFail(tries.get(2)!, /lower the patience/);
    expectFail(tries.get(5)!, /lower the patience/);
    for (const [patience, r] of tries) {
      // What the check reads of one patience less comes from the same run: it is the full run cut short,
      // so the early-stopping rule applied to the full curve gives the same stop as real training.
      const rule = earlyStopOn(fullVal, patience);
      expect(r.run.history.epoch.length).toBe(rule.stoppedAt);
      expect(r.run.history.history.val_crossentropy ?? r.run.history.history.val_loss).toEqual(
        fullVal.slice(0, rule.stoppedAt),
      );
      expect(r.text).toContain(`kept the model of epoch ${rule.kept}`);
    }
  });

  it("5.2: too little patience stops at a dip: on a curve with a dip, one less is named as not enough", () => {
    // The rule itself, on a curve whose minimum comes after a two-epoch rise.
    const dip = [0.5, 0.4, 0.41, 0.42, 0.35, 0.36, 0.37, 0.38];
    expect(earlyStopOn(dip, 1)).toEqual({ stoppedAt: 3, kept: 2, stopped: true });
    expect(earlyStopOn(dip, 2)).toEqual({ stoppedAt: 4, kept: 2, stopped: true });
    expect(earlyStopOn(dip, 3)).toEqual({ stoppedAt: 8, kept: 5, stopped: true });
    expect(earlyStopOn(dip, 4)).toEqual({ stoppedAt: 8, kept: 8, stopped: false });
  });
});
