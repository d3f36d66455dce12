/**
 * The lesson's claims, checked on the real data. Every sentence of notebook prose that states a fact
 * about the curves is listed here with the check that makes it true: the runs are trained exactly as
 * the notebooks train them (the defaults of their parameters cells, full data, every seed), and each
 * claim first checks that its sentence is still in the notebook, so prose and test cannot drift apart.
 * A change to the trainer, the data or the prose that makes a claim false fails here.
 *
 * Slow by nature (it trains the lesson: about 3 minutes on 2 idle cores, the pool running two seeds
 * at once, plus notebook 5's small runs, which share the IMDB runs notebooks 3–4 train with the same
 * settings); the run cache is off, so CI always trains afresh.
 */
import * as fs from "fs";
import * as path from "path";
import { compare, diagnose } from "../lib";
import { loadMnistFeatures, shuffledLabels, withExtraColumns } from "../lib/data/chapter5";
import { loadData as loadImdb } from "../lib/data/imdb";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, vectorizeSequences } from "../lib/data/vectorize";
import { NEAR_ZERO } from "../lib/figures/weights";
import { evaluate, type Evaluation } from "../lib/evaluate";
import { earlyStoppingPoints } from "../lib/figures/earlyStopping";
import { testVsValidation } from "../lib/figures/testScores";
import { countParams, getVariant, variant, type ModelSpec } from "../lib/models";
import { seedList } from "../lib/seeds";
import { finalModelRecord, selectBest, specOf } from "../lib/select";
import { train, type Run } from "../lib/train";
import { trainSeeds } from "../lib/trainSeeds";
import { closePool } from "../lib/training/pool";
import type { Features, SeedGroup } from "../lib/types";

jest.setTimeout(30 * 60 * 1000);

const NOTEBOOKS = path.join(__dirname, "..", "notebooks");

/** A notebook's markdown (whitespace folded) and the defaults of its parameters cell. */
function readNotebook(file: string): { prose: string; params: Record<string, unknown> } {
  const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), "utf8")) as { cells: { cell_type: string; source: string[] | string; metadata?: { tags?: string[] } }[] };
  const text = (c: { source: string[] | string }): string => (Array.isArray(c.source) ? c.source.join("") : c.source);
  const prose = nb.cells.filter((c) => c.cell_type === "markdown").map(text).join("\n").replace(/\s+/g, " ");
  const cell = nb.cells.find((c) => c.metadata?.tags?.includes("parameters"));
  if (!cell) throw new Error(`${file} has no parameters cell`);
  const source = text(cell);
  const names = [...source.matchAll(/^\s*let\s+(\w+)/gm)].map((m) => m[1]);
  const params = new Function(`${source}\nreturn { ${names.join(", ")} };`)() as Record<string, unknown>;
  return { prose, params };
}

const nb = {
  1: readNotebook("01-underfitting-mnist.ipynb"),
  2: readNotebook("02-more-capacity-mnist.ipynb"),
  3: readNotebook("03-imdb-capacity.ipynb"),
  4: readNotebook("04-fixing-overfitting.ipynb"),
  5: readNotebook("05-remedies-and-the-test-set.ipynb"),
};

/** The claim's sentence must still be in the notebook (whitespace folded): prose and test stay together. */
function says(n: keyof typeof nb, sentence: string): void {
  const folded = sentence.replace(/\s+/g, " ");
  if (!nb[n].prose.includes(folded)) throw new Error(`notebook ${n} no longer says "${folded}": update this claim with the prose`);
}

const num = (n: keyof typeof nb, name: string): number => {
  const v = nb[n].params[name];
  if (typeof v !== "number") throw new Error(`notebook ${n}'s parameters cell has no number ${name}`);
  return v;
};

type Group = SeedGroup<Run>;
const runs: Record<string, Group> = {};
const d = (name: string) => diagnose(runs[name]);
const last = (xs: number[] | undefined): number => xs![xs!.length - 1];
const ce = (g: Group) => g.history.history.crossentropy ?? g.history.history.loss;

let mnistX: Features;
let mnistY: ArrayLike<number>;
let imdbX: Features;
let imdbY: ArrayLike<number>;

/** Notebook 5's runs, trained as its cells train them (its parameters cell's defaults). */
const nb5: {
  noise?: Group;
  zeros?: Group;
  shuffled?: Run;
  lrHigh?: Run;
  lrLow?: Run;
  original?: Run;
  stopped?: Run;
  imdbCandidates?: Run[];
  small?: Run;
  large?: Run;
  finals?: { name: string; record: ReturnType<typeof finalModelRecord>; test: Evaluation }[];
} = {};

async function group(key: string, spec: ModelSpec, x: Features, y: ArrayLike<number>, fit: { epochs: number; batchSize: number; validationSplit: number }, seeds: number[], name?: string): Promise<void> {
  runs[key] = await trainSeeds(spec, x, y, { ...fit, seeds, name, cache: false, verbose: 0 });
}

beforeAll(async () => {
  const { train: mnist } = loadArrays();
  const n1 = num(1, "trainSamples");
  mnistX = flattenImages(mnist);
  mnistY = mnist.labels;
  if (n1 !== mnistX.rows) throw new Error(`the claims are about the full data; notebook 1 trains on ${n1} images`);
  const [[sequences, labels], [testSequences, testLabels]] = await loadImdb({ numWords: num(3, "numWords"), log: () => undefined });
  imdbX = vectorizeSequences(sequences.slice(0, num(3, "trainSamples")), num(3, "numWords"));
  imdbY = Array.from(labels).slice(0, num(3, "trainSamples"));

  const fitOf = (n: keyof typeof nb) => ({ epochs: num(n, "epochs"), batchSize: num(n, "batchSize"), validationSplit: num(n, "validationSplit") });
  const seeds = (n: keyof typeof nb, count = "seeds") => seedList(num(n, "seed"), num(n, count));

  // Notebook 5's data and settings, as its cells make them.
  if (num(5, "imdbSamples") !== num(3, "trainSamples") || num(5, "numWords") !== num(3, "numWords")) throw new Error("notebook 5's IMDB data differs from notebook 3's: train it separately");
  const seed5 = num(5, "seed");
  const mnist5 = loadMnistFeatures({ trainSamples: num(5, "mnistSamples"), testSamples: num(5, "mnistTestSamples") });
  const few = loadMnistFeatures({ trainSamples: num(5, "shuffledSamples"), testSamples: 1 }).train;
  const mnistFit5 = { batchSize: num(5, "batchSize"), validationSplit: num(5, "validationSplit"), seed: seed5, cache: false, verbose: 0 as const };
  const imdbFit5 = { epochs: num(5, "imdbEpochs"), batchSize: 512, validationSplit: 0.4, seed: seed5, cache: false, verbose: 0 as const };
  const noiseFit = { ...mnistFit5, epochs: num(5, "noiseEpochs"), seeds: seedList(seed5, num(5, "seeds")) };
  const lrRun = (lr: number): Promise<Run> => train(variant("mnist.dense512", { learningRate: lr }), mnist5.train.x, mnist5.train.y, { ...mnistFit5, epochs: num(5, "lrEpochs") });
  const mnistRun5 = (name: "mnist.small" | "mnist.large"): Promise<Run> => train(getVariant(name), mnist5.train.x, mnist5.train.y, { ...mnistFit5, epochs: num(5, "mnistEpochs") });
  const nb5Runs = async (): Promise<void> => {
    [nb5.noise, nb5.zeros, nb5.shuffled, nb5.lrHigh, nb5.lrLow, nb5.stopped, nb5.small, nb5.large] = await Promise.all([
      trainSeeds(getVariant("mnist.dense512"), withExtraColumns(mnist5.train.x, "noise", { seed: seed5 }), mnist5.train.y, { ...noiseFit, name: "noise channels" }),
      trainSeeds(getVariant("mnist.dense512"), withExtraColumns(mnist5.train.x, "zeros"), mnist5.train.y, { ...noiseFit, name: "zero channels" }),
      train(getVariant("mnist.dense512"), few.x, shuffledLabels(few.y, seed5), { ...mnistFit5, epochs: num(5, "shuffledEpochs") }),
      lrRun(num(5, "highLr")),
      lrRun(num(5, "lowLr")),
      train(getVariant("imdb.original"), imdbX, imdbY, { ...imdbFit5, earlyStopping: { patience: num(5, "patience"), restoreBestWeights: true, monitor: "val_crossentropy" } }),
      mnistRun5("mnist.small"),
      mnistRun5("mnist.large"),
    ]);
  };

  // Started together: the pool trains two at a time, longest first.
  await Promise.all([
    nb5Runs(),
    group("larger", variant("imdb.larger", { units: num(3, "largerUnits") }), imdbX, imdbY, fitOf(3), seeds(3, "largerSeeds")),
    group("large", variant("mnist.large", { units: num(2, "hiddenUnits") }), mnistX, mnistY, fitOf(2), seeds(2)),
    group("small", getVariant("mnist.small"), mnistX, mnistY, fitOf(1), seeds(1)),
    group("smallLonger", getVariant("mnist.small"), mnistX, mnistY, { ...fitOf(1), epochs: num(1, "longerEpochs") }, seeds(1), "small, longer"),
    group("tiny", variant("imdb.tiny", { units: num(3, "tinyUnits") }), imdbX, imdbY, fitOf(3), seeds(3)),
    group("original", variant("imdb.original", { units: num(3, "originalUnits") }), imdbX, imdbY, fitOf(3), seeds(3)),
    group("smaller", variant("imdb.smaller", { units: num(3, "smallerUnits") }), imdbX, imdbY, fitOf(3), seeds(3)),
    group("l2", variant("imdb.l2", { l2: num(4, "l2Rate") }), imdbX, imdbY, fitOf(4), seeds(4)),
    group("l1", variant("imdb.l1", { l1: num(4, "l1Rate") }), imdbX, imdbY, fitOf(4), seeds(4)),
    group("l1l2", variant("imdb.l1l2", nb[4].params.l1l2Rates as { l1: number; l2: number }), imdbX, imdbY, fitOf(4), seeds(4)),
    group("dropout", variant("imdb.dropout", { dropout: num(4, "dropoutRate") }), imdbX, imdbY, fitOf(4), seeds(4)),
    group("l2dropout", getVariant("imdb.l2dropout"), imdbX, imdbY, fitOf(4), seeds(4)),
  ]);

  // Notebook 5's IMDB candidates are notebooks 3–4's seed-42 runs when trained the same way (same spec,
  // settings and data: checked), so they are not trained twice.
  const sameFit = (n: keyof typeof nb) => num(n, "epochs") === num(5, "imdbEpochs") && num(n, "batchSize") === 512 && num(n, "validationSplit") === 0.4;
  const shared = async (key: string, n: keyof typeof nb, name: "imdb.original" | "imdb.tiny" | "imdb.smaller" | "imdb.l2" | "imdb.l1" | "imdb.l1l2" | "imdb.dropout" | "imdb.l2dropout"): Promise<Run> => {
    const g = runs[key];
    const i = g.seeds.indexOf(seed5);
    if (i >= 0 && sameFit(n) && JSON.stringify(g.seedRuns[i].spec) === JSON.stringify(getVariant(name))) return g.seedRuns[i];
    console.warn(`claims: notebook 5's ${name} trains again: notebook ${n} trains it otherwise`);
    return train(getVariant(name), imdbX, imdbY, imdbFit5);
  };
  const candidates = await Promise.all(
    ([["original", 3], ["tiny", 3], ["smaller", 3], ["l2", 4], ["l1", 4], ["l1l2", 4], ["dropout", 4], ["l2dropout", 4]] as const).map(([k, n]) => shared(k, n, `imdb.${k}`)),
  );
  nb5.original = candidates[0];
  nb5.imdbCandidates = candidates;
  if (nb[5].params.includeLarger !== false) throw new Error("notebook 5 now includes imdb.larger among the candidates: add it here");

  // The final models: chosen on validation, retrained together on every row, scored once.
  const imdbChoice = selectBest(candidates);
  const mnistChoice = selectBest([nb5.small!, nb5.large!, nb5.lrHigh!, nb5.lrLow!]);
  const [finalImdb, finalMnist] = await Promise.all([
    train(specOf(imdbChoice.best.run), imdbX, imdbY, { ...imdbFit5, epochs: imdbChoice.best.epoch, validationSplit: 0 }),
    train(specOf(mnistChoice.best.run), mnist5.train.x, mnist5.train.y, { ...mnistFit5, epochs: mnistChoice.best.epoch, validationSplit: 0 }),
  ]);
  const testX = vectorizeSequences(testSequences.slice(0, num(5, "imdbTestSamples")), num(5, "numWords"));
  const imdbTest = evaluate(finalImdb, testX, Array.from(testLabels).slice(0, num(5, "imdbTestSamples")));
  const mnistTest = evaluate(finalMnist, mnist5.test.x, mnist5.test.y);
  nb5.finals = [
    { name: "final imdb", record: finalModelRecord("final imdb", imdbChoice.best, imdbTest), test: imdbTest },
    { name: "final mnist", record: finalModelRecord("final mnist", mnistChoice.best, mnistTest), test: mnistTest },
  ];
  for (const r of [finalImdb, finalMnist]) r.model.dispose();
});

afterAll(async () => {
  for (const g of Object.values(runs)) g.seedRuns.forEach((r) => r.model.dispose());
  for (const g of [nb5.noise, nb5.zeros]) g?.seedRuns.forEach((r) => r.model.dispose());
  for (const r of [nb5.shuffled, nb5.lrHigh, nb5.lrLow, nb5.stopped, nb5.small, nb5.large]) r?.model.dispose();
  for (const r of nb5.imdbCandidates ?? []) if (!Object.values(runs).some((g) => g.seedRuns.includes(r))) r.model.dispose();
  await closePool();
});

describe("notebook 1: underfitting on MNIST", () => {
  it("the small model's validation accuracy levels off in the low 90s, every seed alike", () => {
    says(1, "validation accuracy levels off in the low 90s");
    says(1, "every seed tells the same story");
    for (const r of runs.small.seedRuns) {
      expect(last(r.history.history.val_accuracy)).toBeGreaterThan(0.91);
      expect(last(r.history.history.val_accuracy)).toBeLessThan(0.945);
    }
    // "then barely moves": over the last 10 epochs validation loss changes by under 3%.
    const vl = runs.small.history.history.val_loss!;
    expect(Math.abs(vl[vl.length - 1] - vl[vl.length - 11]) / vl[vl.length - 1]).toBeLessThan(0.03);
  });

  it("training and validation loss end close together: the diagnosis says underfitting", () => {
    says(1, "the training loss (solid) and the validation loss (dashed) end close together");
    const h = runs.small.history.history;
    expect((last(h.val_loss) - last(h.loss)) / last(h.val_loss)).toBeLessThan(0.15);
    expect(d("small").verdict).toBe("underfitting");
  });

  it("the training loss starts above the validation loss", () => {
    says(1, "Why does the training loss start *above* the validation loss?");
    for (const r of runs.small.seedRuns) expect(r.history.history.loss[0]).toBeGreaterThan(r.history.history.val_loss![0]);
  });

  it("the longer runs repeat the first runs for the first epochs, then add only a fraction of a point", () => {
    says(1, "the first epochs of the longer runs *are* the first runs");
    says(1, "The extra epochs add only a fraction of a point of validation accuracy");
    const short = runs.small.seedRuns;
    runs.smallLonger.seedRuns.forEach((r, i) => {
      const n = short[i].history.epoch.length;
      expect(r.history.history.val_loss!.slice(0, n)).toEqual(short[i].history.history.val_loss);
    });
    const gain = d("smallLonger").maxValAccuracy - d("small").maxValAccuracy;
    expect(gain).toBeGreaterThanOrEqual(0);
    expect(gain).toBeLessThan(0.01);
  });
});

describe("notebook 2: more capacity on MNIST", () => {
  it("validation accuracy climbs well above the small model's, then validation loss rises after a handful of epochs", () => {
    says(2, "validation accuracy climbs well above the small model's low 90s");
    says(2, "the validation loss reaches its minimum after a handful of epochs and then *rises again*");
    expect(d("large").maxValAccuracy - d("small").maxValAccuracy).toBeGreaterThan(0.03);
    expect(d("large").bestEpoch).toBeLessThanOrEqual(10);
    expect(d("large").verdict).toBe("overfitting");
  });

  it("the gap is much wider at the end than at the best epoch, though not wider in every epoch", () => {
    says(2, "the shaded gap between them is much wider at the end than at the marked best epoch");
    const h = runs.large.history.history;
    const b = d("large").bestEpoch - 1;
    const gap = (i: number) => h.val_loss![i] - h.loss[i];
    expect(gap(h.loss.length - 1)).toBeGreaterThan(2 * gap(b));
  });

  it("the small model's curves end close at a high loss; the large model's reach a lower loss", () => {
    expect(d("large").minValLoss).toBeLessThan(d("small").minValLoss);
  });
});

describe("notebook 3: capacity on IMDB", () => {
  it("multi-hot rows are almost all zeros", () => {
    says(3, "Almost every entry is 0");
    const x = imdbX as { ids: Int32Array[]; rows: number; cols: number };
    const share = x.ids.reduce((s, r) => s + r.length, 0) / x.rows / x.cols;
    expect(share).toBeLessThan(0.02);
  });

  it("the original overfits early, every seed alike; validation accuracy peaks and slips back", () => {
    says(3, "the validation loss is lowest after a few epochs and climbs steadily after that, every seed alike");
    says(3, "validation accuracy peaks around the same epoch and then slips back");
    for (const r of runs.original.seedRuns) {
      const dr = diagnose(r);
      expect(dr.verdict).toBe("overfitting");
      expect(dr.bestEpoch).toBeLessThanOrEqual(6);
      expect(last(r.history.history.val_accuracy)).toBeLessThan(dr.maxValAccuracy);
    }
  });

  it("the four-unit model does not underfit: as low a minimum as the original's, a clear train/validation gap, milder later overfitting", () => {
    says(3, "the four-unit model does **not** underfit");
    says(3, "Its lowest validation loss is as low as the original's");
    says(3, "it overfits too — later and more mildly than the original");
    const tiny = d("tiny");
    const original = d("original");
    expect(tiny.verdict).not.toBe("underfitting");
    expect(tiny.minValLoss).toBeLessThan(original.minValLoss + 0.01);
    expect(tiny.bestEpoch).toBeGreaterThan(original.bestEpoch);
    expect(tiny.rise).toBeLessThan(original.rise);
    expect(last(runs.tiny.history.history.accuracy) - tiny.maxValAccuracy).toBeGreaterThan(0.04);
  });

  it("the smaller network's best epoch comes later and it rises more slowly (book figure 5.17)", () => {
    says(3, "the smaller network reaches its best epoch later than the original, and its validation loss rises more slowly");
    expect(d("smaller").bestEpoch).toBeGreaterThan(d("original").bestEpoch);
    expect(d("smaller").rise).toBeLessThan(d("original").rise);
  });

  it("the larger network's best epoch comes no later than the original's; its validation loss climbs far higher (5.18)", () => {
    says(3, "its best epoch comes no later than the original's, and its validation loss climbs far higher by the end");
    expect(d("larger").bestEpoch).toBeLessThanOrEqual(d("original").bestEpoch);
    expect(last(runs.larger.history.history.val_loss)).toBeGreaterThan(1.2 * last(runs.original.history.history.val_loss));
  });

  it("within ten epochs its training loss falls to near zero, far below the original's, not smoothly", () => {
    says(3, "its *training* loss falls toward zero much faster than the original's");
    says(3, "the training loss can jump back up for an epoch now and then (the line above says whether it did here)");
    const loss = runs.larger.seedRuns[0].history.history.loss;
    const originalLoss = runs.original.seedRuns[0].history.history.loss;
    expect(Math.min(...loss.slice(0, 10))).toBeLessThan(0.03);
    expect(Math.min(...loss.slice(0, 10))).toBeLessThan(0.25 * Math.min(...originalLoss.slice(0, 10)));
    const jumps = loss.filter((v, i) => i > 0 && v > 2 * loss[i - 1]);
    expect(jumps.length).toBeGreaterThan(0);
  });

  it("its validation loss climbs far above its minimum while validation accuracy barely moves", () => {
    says(3, "Its validation loss climbs far above its minimum, yet its validation *accuracy* barely moves");
    const g = d("larger");
    const h = runs.larger.history.history;
    expect(last(h.val_loss) / g.minValLoss).toBeGreaterThan(1.8);
    const accAtBest = h.val_accuracy![g.bestEpoch - 1];
    expect(Math.abs(last(h.val_accuracy) - accAtBest)).toBeLessThan(0.03);
  });

  it("sizes at a glance: the 512-unit network turns up first and climbs furthest, the original next, the four-unit ones last", () => {
    says(3, "the 512-unit network turns up first and climbs furthest, the original next; the two four-unit networks turn up last");
    const [larger, original, tiny, smaller] = ["larger", "original", "tiny", "smaller"].map(d);
    expect(larger.bestEpoch).toBeLessThanOrEqual(original.bestEpoch);
    expect(original.bestEpoch).toBeLessThan(Math.min(tiny.bestEpoch, smaller.bestEpoch));
    expect(larger.rise).toBeGreaterThan(original.rise);
    expect(original.rise).toBeGreaterThan(Math.max(tiny.rise, smaller.rise));
  });
});

describe("notebook 4: fixing overfitting", () => {
  it("L2 still rises after its minimum, but far less than the original (book figure 5.19)", () => {
    says(4, "with the penalty the validation cross-entropy still rises after its minimum, but far less than the original's");
    const l2 = d("l2");
    expect(l2.rise).toBeGreaterThan(0.05);
    expect(l2.rise).toBeLessThan(d("original").rise / 2);
    expect(compare(runs.l2, runs.original)).toMatch(new RegExp(`rises less after its minimum in all ${num(4, "seeds")}\\b`));
  });

  it("every penalty ends with a lower validation cross-entropy than the original; L1 and L1+L2 barely rise, but L1's minimum is higher than L2's", () => {
    says(4, "every penalty ends with a lower validation cross-entropy than the original");
    says(4, "L1 and L1+L2 barely rise after their minimum, if at all (far less than L2 and the original)");
    says(4, "L1's minimum is higher than L2's");
    const end = (k: string) => d(k).endValLoss;
    for (const k of ["l2", "l1", "l1l2"]) expect(end(k)).toBeLessThan(end("original"));
    for (const k of ["l1", "l1l2"]) {
      expect(d(k).rise).toBeLessThan(0.05);
      expect(d(k).rise).toBeLessThan(d("l2").rise / 2);
      expect(d(k).rise).toBeLessThan(d("original").rise / 4);
    }
    expect(d("l1").minValLoss).toBeGreaterThan(d("l2").minValLoss);
  });

  it("L1 piles most first-layer weights near zero (within ±0.001), but not exactly at it", () => {
    says(4, "L1 piles most of them *near* zero — within ±0.001");
    says(4, "but not exactly at it");
    const share = (r: Run, exact: boolean) => {
      const w = r.model.getWeights()[0].dataSync();
      let n = 0;
      for (const v of w) if (exact ? v === 0 : Math.abs(v) < NEAR_ZERO) n++;
      return n / w.length;
    };
    const l1 = runs.l1.seedRuns[0];
    expect(share(l1, false)).toBeGreaterThan(0.5);
    expect(share(l1, false)).toBeGreaterThan(share(runs.l2.seedRuns[0], false));
    expect(share(l1, true)).toBeLessThan(0.01);
  });

  it("dropout keeps the training loss clearly higher than the original's, every seed", () => {
    says(4, "the dropout model's training loss stays clearly *higher* than the original's");
    runs.dropout.seedRuns.forEach((r, i) => expect(last(r.history.history.loss)).toBeGreaterThan(2 * last(runs.original.seedRuns[i].history.history.loss)));
  });

  it("the closing table: MNIST small underfits, large overfits, the biggest IMDB net overfits soonest, every regularized model ends with a smaller gap", () => {
    says(4, "the one-layer MNIST model underfits; more capacity overfits; on IMDB the biggest network overfits soonest and most, and every regularized model ends with a smaller gap than the original");
    expect(d("small").verdict).toBe("underfitting");
    expect(d("large").verdict).toBe("overfitting");
    for (const k of ["tiny", "original", "smaller"]) expect(d("larger").bestEpoch).toBeLessThanOrEqual(d(k).bestEpoch);
    for (const k of ["l2", "l1", "l1l2", "dropout", "l2dropout"]) expect(d(k).finalGap).toBeLessThan(d("original").finalGap);
  });

  it("L1 and L1+L2 at 0.001 are over-regularized", () => {
    says(4, "so the diagnosis calls them *over-regularized*");
    for (const k of ["l1", "l1l2"]) {
      expect(d(k).verdict).toBe("underfitting");
      expect(d(k).cause).toBe("over-regularized");
    }
  });
});

describe("notebook 5: noise, memorization, the learning rate, early stopping, the test set", () => {
  const lastOf = (xs: number[] | undefined): number => xs![xs!.length - 1];

  it("noise channels end below zero channels in validation accuracy, in every seed the notebook trains", () => {
    says(5, "the model with noise channels ends lower (the line above counts in how many seeds)");
    nb5.noise!.seedRuns.forEach((r, i) => expect(lastOf(r.history.history.val_accuracy)).toBeLessThan(lastOf(nb5.zeros!.seedRuns[i].history.history.val_accuracy)));
  });

  it("shuffled labels: training accuracy climbs above 80% while validation accuracy stays near chance; 407,050 parameters for 800 images", () => {
    says(5, "the training accuracy climbs over the epochs while the validation accuracy stays near chance");
    says(5, "the network has enough parameters (407,050 for the defaults' 800 training images) to do it");
    const h = nb5.shuffled!.history;
    expect(lastOf(h.history.accuracy)).toBeGreaterThan(0.8);
    expect(lastOf(h.history.accuracy)).toBeGreaterThan(h.history.accuracy[0] + 0.5);
    expect(Math.max(...h.history.val_accuracy!)).toBeLessThan(0.25);
    expect(countParams(nb5.shuffled!.spec, 784)).toBe(407050);
    expect(h.params.samples).toBe(800);
  });

  it("RMSprop at 1.0: the training loss jumps into the thousands, far above 0.01's, and its training accuracy ends below; 0.01 fits its training images", () => {
    says(5, "the training loss jumps to thousands and more");
    says(5, "the training accuracy does not climb steadily as it should");
    says(5, "it ends below the other run's, on the training images too, so this is not overfitting");
    says(5, "At 0.01 the same network fits its training images");
    const high = nb5.lrHigh!.history.history;
    const low = nb5.lrLow!.history.history;
    expect(Math.max(...high.loss)).toBeGreaterThan(1000);
    expect(high.accuracy.some((v, i) => i > 0 && v < high.accuracy[i - 1] - 0.05)).toBe(true);
    expect(Math.max(...high.loss)).toBeGreaterThan(100 * Math.max(...low.loss));
    expect(lastOf(high.accuracy)).toBeLessThan(lastOf(low.accuracy));
    expect(lastOf(low.accuracy)).toBeGreaterThan(0.95);
    expect(diagnose(nb5.lrHigh!).verdict).toBe("diverged");
  });

  it("early stopping: the stopped run is the full run up to where it stopped, patience epochs past the best one, and keeps the best epoch", () => {
    says(5, "with the same seed the stopped run *is* the full run up to where it stopped (the curves coincide)");
    says(5, "It trains only `patience` epochs past the best one, then hands back the model of the best epoch");
    says(5, "The grey curve shows what the remaining epochs would have cost");
    const stopped = nb5.stopped!;
    const n = stopped.history.epoch.length;
    expect(stopped.history.history.val_loss).toEqual(nb5.original!.history.history.val_loss!.slice(0, n));
    const p = earlyStoppingPoints(stopped);
    expect(p.stopped).toBe(true);
    expect(p.kept).toBe(p.best);
    expect(p.stoppedAt).toBe(p.kept + num(5, "patience"));
    expect(lastOf(nb5.original!.history.history.val_loss)).toBeGreaterThan(p.bestValue);
    expect(diagnose(stopped).verdict).toBe("good fit");
  });

  it("the final models: test accuracy within 3 points of the validation accuracy that chose them, above 85%", () => {
    says(5, "the test accuracy is close to the validation accuracy, but it is the honest one");
    for (const r of testVsValidation(nb5.finals!.map((f) => f.record))) {
      expect(Math.abs(r.test - r.validation)).toBeLessThanOrEqual(0.03);
      expect(r.test).toBeGreaterThan(0.85);
    }
  });

  it("the final models' configurations overfit after the epoch they were retrained for", () => {
    says(5, "their best epoch is the number of epochs the final model was retrained for — stopping there is how it avoids the overfitting that follows");
    for (const f of nb5.finals!) {
      const d = diagnose(f.record);
      expect(d.verdict).toBe("overfitting");
      expect(d.bestEpoch).toBe(f.record.test!.epochs);
    }
  });
});
