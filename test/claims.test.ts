/**
 * The lesson's claims, checked on the real data. Every sentence of notebook prose that states a fact
 * about the curves is listed here with the check that makes it true: the runs are trained exactly as
 * the notebooks train them (the defaults of their parameters cells, full data, every seed), and each
 * claim first checks that its sentence is still in the notebook, so prose and test cannot drift apart.
 * A change to the trainer, the data or the prose that makes a claim false fails here.
 *
 * Other seeds too. The defaults (42, 43, 44) were chosen once, not tuned, but a claim checked only on
 * them could still be their luck. So every claim about a configuration in general ("the four-unit
 * model does not underfit", "L2 rises less than half as much") is also checked on seeds the notebooks
 * never use (EXTRA_SEEDS: 10 for the cheap IMDB and MNIST Dense(10) runs, 2 for the big ones, 3–5 for
 * notebook 5's), seed by seed. A claim that does not hold on every seed says so in the prose ("in most
 * seeds") and is checked here as a count: the frequency the prose gives. Claims about "these runs"
 * (one figure's histogram, the final models) stay on the defaults.
 *
 * Slow by nature (it trains the lesson: about 3 minutes on 2 idle cores, the pool running two seeds
 * at once, plus notebook 5's small runs, which share the IMDB runs notebooks 3–4 train with the same
 * settings; the extra seeds add about 5 minutes more, measured in the closing note of issue 26); the
 * run cache is off, so CI always trains afresh.
 */
import * as fs from "fs";
import * as path from "path";
import { compareLine, diagnose } from "../lib";
import { loadMnistFeatures, shuffledLabels, withExtraColumns } from "../lib/data/chapter5";
import { loadData as loadImdb } from "../lib/data/imdb";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, vectorizeSequences } from "../lib/data/vectorize";
import { NEAR_ZERO } from "../lib/figures/weights";
import { evaluate, type Evaluation } from "../lib/runs/evaluate";
import { deadUnits } from "../lib/reading/deadUnits";
import { seedSpreadLine } from "../lib/reading/curves";
import { sliceRows } from "../lib/engine/batches";
import { earlyStoppingPoints } from "../lib/figures/earlyStopping";
import { testVsValidation } from "../lib/figures/testScores";
import { countParams, getVariant, variant, type ModelSpec } from "../lib/lesson/models";
import { rankingLine } from "../lib/reading/finalModel";
import { seedList } from "../lib/runs/seeds";
import { finalModelRecord, selectBest, specOf, type Candidate } from "../lib/runs/select";
import { train, type Run } from "../lib/runs/train";
import { trainSeeds } from "../lib/runs/trainSeeds";
import { closePool } from "../lib/training/pool";
import type { Features, SeedGroup } from "../lib/types";

jest.setTimeout(30 * 60 * 1000);

const NOTEBOOKS = path.join(__dirname, "..", "notebooks");

/**
 * CI trains every run afresh (no run cache). FITLAB_CLAIMS_CACHE=1 reads and fills the run cache in
 * data/runs instead: for re-checking the prose after a change that does not touch training (a
 * sentence, a threshold), in the time it takes to load the stored runs.
 */
const CACHE: { cache?: false } = process.env.FITLAB_CLAIMS_CACHE === "1" ? {} : { cache: false };

/** A notebook's markdown (whitespace folded) and the defaults of its parameters cell. */
function readNotebook(file: string): { prose: string; params: Record<string, unknown> } {
  const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), "utf8")) as {
    cells: { cell_type: string; source: string[] | string; metadata?: { tags?: string[] } }[];
  };
  const text = (c: { source: string[] | string }): string => (Array.isArray(c.source) ? c.source.join("") : c.source);
  const prose = nb.cells
    .filter((c) => c.cell_type === "markdown")
    .map(text)
    .join("\n")
    .replace(/\s+/g, " ");
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
  if (!nb[n].prose.includes(folded))
    throw new Error(`notebook ${n} no longer says "${folded}": update this claim with the prose`);
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

/** Seeds the notebooks never use (their defaults start at 42), per kind of run. */
const EXTRA_SEEDS = {
  /** The IMDB runs of 2–3 s and MNIST Dense(10). */
  cheap: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  /** MNIST Dense(128)×2, IMDB Dense(512)×2 and the 40-epoch "train longer" runs: 40–100 core-seconds each. */
  big: [1, 2],
  /** Notebook 5's runs (3,000 or 1,000 MNIST images, one seed each in the notebook). */
  nb5: [1, 2, 3],
};
/** The extra seeds' runs, trained as the defaults' are (same spec, data and settings). */
const extra: Record<string, Group> = {};
/** Every seed's run of a configuration: the notebook's seeds, then the extra ones. */
const everySeed = (key: string): { seed: number; run: Run }[] =>
  [runs[key], extra[key]].filter(Boolean).flatMap((g) => g.seedRuns.map((run, i) => ({ seed: g.seeds[i], run })));
/** A configuration's run at `seed` (the notebook's or an extra one). */
const atSeed = (key: string, seed: number): Run => {
  const found = everySeed(key).find((r) => r.seed === seed);
  if (!found) throw new Error(`claims: ${key} has no run at seed ${seed}`);
  return found.run;
};
/** The seeds at which `claim` fails, for every seed a configuration was trained with. */
const failingSeeds = (key: string, claim: (seed: number) => boolean): number[] =>
  everySeed(key)
    .filter(({ seed }) => !claim(seed))
    .map(({ seed }) => seed);
const ds = (r: Run) => diagnose(r);

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
  finals?: { name: string; record: ReturnType<typeof finalModelRecord>; test: Evaluation; chosen: Candidate }[];
} = {};

async function group(
  key: string,
  spec: ModelSpec,
  x: Features,
  y: ArrayLike<number>,
  fit: { epochs: number; batchSize: number; validationSplit: number },
  seeds: number[],
  name?: string,
  extraSeeds: number[] = [],
): Promise<void> {
  const notebook = seeds;
  const others = extraSeeds.filter((s) => !notebook.includes(s));
  const [a, b] = await Promise.all([
    trainSeeds(spec, x, y, { ...fit, seeds: notebook, name, ...CACHE, verbose: 0 }),
    others.length > 0
      ? trainSeeds(spec, x, y, { ...fit, seeds: others, name, ...CACHE, verbose: 0 })
      : Promise.resolve(undefined),
  ]);
  runs[key] = a;
  if (b) extra[key] = b;
}

/** Notebook 3's stuck seed and what the notebook says helps it; item 7's measurements of notebook 1. */
const more: {
  stuck?: Run;
  stuckWider?: Run;
  stuckSlower?: Run;
  heldOut?: { before: Evaluation; last: Evaluation };
  epochEnd?: { epoch: number; mean: number; end: number }[];
  nb5Extra?: Record<"noise" | "zeros", Record<number, Run>> &
    Record<"shuffled" | "lrHigh" | "lrLow" | "stopped" | "original", Record<number, Run>>;
} = {};

beforeAll(async () => {
  const { train: mnist } = loadArrays();
  const n1 = num(1, "trainSamples");
  mnistX = flattenImages(mnist);
  mnistY = mnist.labels;
  if (n1 !== mnistX.rows) throw new Error(`the claims are about the full data; notebook 1 trains on ${n1} images`);
  const [[sequences, labels], [testSequences, testLabels]] = await loadImdb({
    numWords: num(3, "numWords"),
    log: () => undefined,
  });
  imdbX = vectorizeSequences(sequences.slice(0, num(3, "trainSamples")), num(3, "numWords"));
  imdbY = Array.from(labels).slice(0, num(3, "trainSamples"));

  const fitOf = (n: keyof typeof nb) => ({
    epochs: num(n, "epochs"),
    batchSize: num(n, "batchSize"),
    validationSplit: num(n, "validationSplit"),
  });
  const seeds = (n: keyof typeof nb, count = "seeds") => seedList(num(n, "seed"), num(n, count));

  // Notebook 5's data and settings, as its cells make them.
  if (num(5, "imdbSamples") !== num(3, "trainSamples") || num(5, "numWords") !== num(3, "numWords"))
    throw new Error("notebook 5's IMDB data differs from notebook 3's: train it separately");
  const seed5 = num(5, "seed");
  const mnist5 = loadMnistFeatures({ trainSamples: num(5, "mnistSamples"), testSamples: num(5, "mnistTestSamples") });
  const few = loadMnistFeatures({ trainSamples: num(5, "shuffledSamples"), testSamples: 1 }).train;
  const mnistFit5 = {
    batchSize: num(5, "batchSize"),
    validationSplit: num(5, "validationSplit"),
    seed: seed5,
    ...CACHE,
    verbose: 0 as const,
  };
  const imdbFit5 = {
    epochs: num(5, "imdbEpochs"),
    batchSize: 512,
    validationSplit: 0.4,
    seed: seed5,
    ...CACHE,
    verbose: 0 as const,
  };
  const noiseFit = { ...mnistFit5, epochs: num(5, "noiseEpochs"), seeds: seedList(seed5, num(5, "seeds")) };
  const lrRun = (lr: number): Promise<Run> =>
    train(variant("mnist.dense512", { learningRate: lr }), mnist5.train.x, mnist5.train.y, {
      ...mnistFit5,
      epochs: num(5, "lrEpochs"),
    });
  const mnistRun5 = (name: "mnist.small" | "mnist.large"): Promise<Run> =>
    train(getVariant(name), mnist5.train.x, mnist5.train.y, { ...mnistFit5, epochs: num(5, "mnistEpochs") });
  const nb5Runs = async (): Promise<void> => {
    [nb5.noise, nb5.zeros, nb5.shuffled, nb5.lrHigh, nb5.lrLow, nb5.stopped, nb5.small, nb5.large] = await Promise.all([
      trainSeeds(
        getVariant("mnist.dense512"),
        withExtraColumns(mnist5.train.x, "noise", { seed: seed5 }),
        mnist5.train.y,
        { ...noiseFit, name: "noise channels" },
      ),
      trainSeeds(getVariant("mnist.dense512"), withExtraColumns(mnist5.train.x, "zeros"), mnist5.train.y, {
        ...noiseFit,
        name: "zero channels",
      }),
      train(getVariant("mnist.dense512"), few.x, shuffledLabels(few.y, seed5), {
        ...mnistFit5,
        epochs: num(5, "shuffledEpochs"),
      }),
      lrRun(num(5, "highLr")),
      lrRun(num(5, "lowLr")),
      train(getVariant("imdb.original"), imdbX, imdbY, {
        ...imdbFit5,
        earlyStopping: { patience: num(5, "patience"), restoreBestWeights: true, monitor: "val_crossentropy" },
      }),
      mnistRun5("mnist.small"),
      mnistRun5("mnist.large"),
    ]);
  };

  // Notebook 5's runs at the extra seeds, as a reader who sets `seed` to one of them gets them: the
  // noise columns and the label permutation follow the seed too.
  const nb5Extra = async (): Promise<void> => {
    const [s0] = EXTRA_SEEDS.nb5;
    const fitAt = (s: number) => ({ ...mnistFit5, seed: s });
    const per = async (f: (s: number) => Promise<Run>): Promise<Record<number, Run>> =>
      Object.fromEntries(await Promise.all(EXTRA_SEEDS.nb5.map(async (s) => [s, await f(s)] as const)));
    const extraNoiseFit = { ...noiseFit, seed: s0, seeds: EXTRA_SEEDS.nb5 };
    const [noise, zeros, shuffled, lrHigh, lrLow, stopped] = await Promise.all([
      trainSeeds(
        getVariant("mnist.dense512"),
        withExtraColumns(mnist5.train.x, "noise", { seed: s0 }),
        mnist5.train.y,
        { ...extraNoiseFit, name: "noise channels" },
      ),
      trainSeeds(getVariant("mnist.dense512"), withExtraColumns(mnist5.train.x, "zeros"), mnist5.train.y, {
        ...extraNoiseFit,
        name: "zero channels",
      }),
      per((s) =>
        train(getVariant("mnist.dense512"), few.x, shuffledLabels(few.y, s), {
          ...fitAt(s),
          epochs: num(5, "shuffledEpochs"),
        }),
      ),
      per((s) =>
        train(variant("mnist.dense512", { learningRate: num(5, "highLr") }), mnist5.train.x, mnist5.train.y, {
          ...fitAt(s),
          epochs: num(5, "lrEpochs"),
        }),
      ),
      per((s) =>
        train(variant("mnist.dense512", { learningRate: num(5, "lowLr") }), mnist5.train.x, mnist5.train.y, {
          ...fitAt(s),
          epochs: num(5, "lrEpochs"),
        }),
      ),
      per((s) =>
        train(getVariant("imdb.original"), imdbX, imdbY, {
          ...imdbFit5,
          seed: s,
          earlyStopping: { patience: num(5, "patience"), restoreBestWeights: true, monitor: "val_crossentropy" },
        }),
      ),
    ]);
    const byIndex = (g: Group): Record<number, Run> => Object.fromEntries(g.seeds.map((s, i) => [s, g.seedRuns[i]]));
    more.nb5Extra = { noise: byIndex(noise), zeros: byIndex(zeros), shuffled, lrHigh, lrLow, stopped, original: {} };
  };

  // Notebook 1's "why is the training loss above the validation loss": (a) the epoch's mean training
  // loss against the training images' loss scored at the epoch's end; (b) the last 12,000 images
  // against the 12,000 before them, for a model trained on the first 36,000 only (it saw neither).
  const nb1Why = async (): Promise<void> => {
    const seed1 = num(1, "seed");
    const trainRows = Math.round(mnistX.rows * (1 - num(1, "validationSplit")));
    const head = sliceRows(mnistX, 0, trainRows);
    const headY = Array.from(mnistY).slice(0, trainRows);
    const fit1 = {
      batchSize: num(1, "batchSize"),
      validationSplit: num(1, "validationSplit"),
      seed: seed1,
      ...CACHE,
      verbose: 0 as const,
    };
    const [one, five, firstPart] = await Promise.all([
      train(getVariant("mnist.small"), mnistX, mnistY, { ...fit1, epochs: 1 }),
      train(getVariant("mnist.small"), mnistX, mnistY, { ...fit1, epochs: 5 }),
      // The first 48,000 with split 0.25: trains on the first 36,000, validates on 36,000–48,000.
      train(getVariant("mnist.small"), head, headY, { ...fit1, epochs: num(1, "epochs"), validationSplit: 0.25 }),
    ]);
    more.epochEnd = [one, five].map((r) => {
      const e = r.history.epoch.length;
      return { epoch: e, mean: r.history.history.loss[e - 1], end: evaluate(r, head, headY).loss };
    });
    const y = Array.from(mnistY);
    more.heldOut = {
      before: evaluate(firstPart, sliceRows(mnistX, 36000, 48000), y.slice(36000, 48000)),
      last: evaluate(firstPart, sliceRows(mnistX, trainRows, mnistX.rows), y.slice(trainRows)),
    };
    for (const r of [one, five, firstPart]) r.model.dispose();
  };

  // Started together: the pool trains two at a time, longest first.
  const { cheap, big } = EXTRA_SEEDS;
  await Promise.all([
    nb5Runs(),
    group(
      "larger",
      variant("imdb.larger", { units: num(3, "largerUnits") }),
      imdbX,
      imdbY,
      fitOf(3),
      seeds(3, "largerSeeds"),
      undefined,
      big,
    ),
    group(
      "large",
      variant("mnist.large", { units: num(2, "hiddenUnits") }),
      mnistX,
      mnistY,
      fitOf(2),
      seeds(2),
      undefined,
      big,
    ),
    group("small", getVariant("mnist.small"), mnistX, mnistY, fitOf(1), seeds(1), undefined, cheap),
    group(
      "smallLonger",
      getVariant("mnist.small"),
      mnistX,
      mnistY,
      { ...fitOf(1), epochs: num(1, "longerEpochs") },
      seeds(1),
      "small, longer",
      big,
    ),
    group(
      "tiny",
      variant("imdb.tiny", { units: num(3, "tinyUnits") }),
      imdbX,
      imdbY,
      fitOf(3),
      seeds(3),
      undefined,
      cheap,
    ),
    group(
      "original",
      variant("imdb.original", { units: num(3, "originalUnits") }),
      imdbX,
      imdbY,
      fitOf(3),
      seeds(3),
      undefined,
      cheap,
    ),
    group(
      "smaller",
      variant("imdb.smaller", { units: num(3, "smallerUnits") }),
      imdbX,
      imdbY,
      fitOf(3),
      seeds(3),
      undefined,
      cheap,
    ),
    group("l2", variant("imdb.l2", { l2: num(4, "l2Rate") }), imdbX, imdbY, fitOf(4), seeds(4), undefined, cheap),
    group("l1", variant("imdb.l1", { l1: num(4, "l1Rate") }), imdbX, imdbY, fitOf(4), seeds(4), undefined, cheap),
    group(
      "l1l2",
      variant("imdb.l1l2", nb[4].params.l1l2Rates as { l1: number; l2: number }),
      imdbX,
      imdbY,
      fitOf(4),
      seeds(4),
      undefined,
      cheap,
    ),
    group(
      "dropout",
      variant("imdb.dropout", { dropout: num(4, "dropoutRate") }),
      imdbX,
      imdbY,
      fitOf(4),
      seeds(4),
      undefined,
      cheap,
    ),
    group("l2dropout", getVariant("imdb.l2dropout"), imdbX, imdbY, fitOf(4), seeds(4), undefined, cheap),
    nb5Extra(),
    nb1Why(),
  ]);

  // Notebook 3's stuck seed (an extra seed's run when it is one), and the same seed with more units
  // and with a lower learning rate (what the prose says does and does not help).
  const stuckSeed = num(3, "stuckSeed");
  const tinyAt = (changes: Record<string, number>) =>
    train(variant("imdb.tiny", { units: num(3, "tinyUnits"), ...changes }), imdbX, imdbY, {
      ...fitOf(3),
      seed: stuckSeed,
      ...CACHE,
      verbose: 0,
    });
  [more.stuck, more.stuckWider, more.stuckSlower] = await Promise.all([
    everySeed("tiny").some((r) => r.seed === stuckSeed) ? Promise.resolve(atSeed("tiny", stuckSeed)) : tinyAt({}),
    tinyAt({ units: 8 }),
    tinyAt({ learningRate: 1e-4 }),
  ]);
  more.nb5Extra!.original = Object.fromEntries(EXTRA_SEEDS.nb5.map((s) => [s, atSeed("original", s)]));

  // Notebook 5's IMDB candidates are notebooks 3–4's seed-42 runs when trained the same way (same spec,
  // settings and data: checked), so they are not trained twice.
  const sameFit = (n: keyof typeof nb) =>
    num(n, "epochs") === num(5, "imdbEpochs") && num(n, "batchSize") === 512 && num(n, "validationSplit") === 0.4;
  const shared = async (
    key: string,
    n: keyof typeof nb,
    name:
      | "imdb.original"
      | "imdb.tiny"
      | "imdb.smaller"
      | "imdb.l2"
      | "imdb.l1"
      | "imdb.l1l2"
      | "imdb.dropout"
      | "imdb.l2dropout",
  ): Promise<Run> => {
    const g = runs[key];
    const i = g.seeds.indexOf(seed5);
    if (i >= 0 && sameFit(n) && JSON.stringify(g.seedRuns[i].spec) === JSON.stringify(getVariant(name)))
      return g.seedRuns[i];
    console.warn(`claims: notebook 5's ${name} trains again: notebook ${n} trains it otherwise`);
    return train(getVariant(name), imdbX, imdbY, imdbFit5);
  };
  const candidates = await Promise.all(
    (
      [
        ["original", 3],
        ["tiny", 3],
        ["smaller", 3],
        ["l2", 4],
        ["l1", 4],
        ["l1l2", 4],
        ["dropout", 4],
        ["l2dropout", 4],
      ] as const
    ).map(([k, n]) => shared(k, n, `imdb.${k}`)),
  );
  nb5.original = candidates[0];
  nb5.imdbCandidates = candidates;
  if (nb[5].params.includeLarger !== false)
    throw new Error("notebook 5 now includes imdb.larger among the candidates: add it here");

  // The final models: chosen on validation, retrained together on every row, scored once.
  const imdbChoice = selectBest(candidates);
  const mnistChoice = selectBest([nb5.small!, nb5.large!, nb5.lrHigh!, nb5.lrLow!]);
  const [finalImdb, finalMnist] = await Promise.all([
    train(specOf(imdbChoice.best.run), imdbX, imdbY, {
      ...imdbFit5,
      epochs: imdbChoice.best.epoch,
      validationSplit: 0,
    }),
    train(specOf(mnistChoice.best.run), mnist5.train.x, mnist5.train.y, {
      ...mnistFit5,
      epochs: mnistChoice.best.epoch,
      validationSplit: 0,
    }),
  ]);
  const testX = vectorizeSequences(testSequences.slice(0, num(5, "imdbTestSamples")), num(5, "numWords"));
  const imdbTest = evaluate(finalImdb, testX, Array.from(testLabels).slice(0, num(5, "imdbTestSamples")));
  const mnistTest = evaluate(finalMnist, mnist5.test.x, mnist5.test.y);
  nb5.finals = [
    {
      name: "final imdb",
      record: finalModelRecord("final imdb", imdbChoice.best, imdbTest),
      test: imdbTest,
      chosen: imdbChoice.best,
    },
    {
      name: "final mnist",
      record: finalModelRecord("final mnist", mnistChoice.best, mnistTest),
      test: mnistTest,
      chosen: mnistChoice.best,
    },
  ];
  for (const r of [finalImdb, finalMnist]) r.model.dispose();
});

afterAll(async () => {
  for (const g of Object.values(extra)) g.seedRuns.forEach((r) => r.model.dispose());
  for (const r of [more.stuck, more.stuckWider, more.stuckSlower])
    if (r && !everySeed("tiny").some((t) => t.run === r)) r.model.dispose();
  for (const [k, byseed] of Object.entries(more.nb5Extra ?? {}))
    if (k !== "original") for (const r of Object.values(byseed)) r.model.dispose();
  for (const g of Object.values(runs)) g.seedRuns.forEach((r) => r.model.dispose());
  for (const g of [nb5.noise, nb5.zeros]) g?.seedRuns.forEach((r) => r.model.dispose());
  for (const r of [nb5.shuffled, nb5.lrHigh, nb5.lrLow, nb5.stopped, nb5.small, nb5.large]) r?.model.dispose();
  for (const r of nb5.imdbCandidates ?? [])
    if (!Object.values(runs).some((g) => g.seedRuns.includes(r))) r.model.dispose();
  await closePool();
});

describe("notebook 1: underfitting on MNIST", () => {
  it("the small model's validation accuracy levels off in the low 90s, on every seed tried", () => {
    says(1, "validation accuracy levels off in the low 90s");
    says(1, "every seed tells the same story");
    expect(everySeed("small").length).toBe(num(1, "seeds") + EXTRA_SEEDS.cheap.length);
    expect(
      failingSeeds("small", (s) => {
        const acc = last(atSeed("small", s).history.history.val_accuracy);
        return acc > 0.91 && acc < 0.945;
      }),
    ).toEqual([]);
    // "then barely moves": over the last 10 epochs validation loss changes by under 3%.
    const vl = runs.small.history.history.val_loss!;
    expect(Math.abs(vl[vl.length - 1] - vl[vl.length - 11]) / vl[vl.length - 1]).toBeLessThan(0.03);
  });

  it("training and validation loss end close together on every seed: the diagnosis says underfitting", () => {
    says(1, "the training loss (solid) and the validation loss (dashed) end close together");
    expect(
      failingSeeds("small", (s) => {
        const h = atSeed("small", s).history.history;
        return (last(h.val_loss) - last(h.loss)) / last(h.val_loss) < 0.15;
      }),
    ).toEqual([]);
    expect(d("small").verdict).toBe("underfitting");
  });

  it("the training loss starts above the validation loss, on every seed", () => {
    says(1, "Why does the training loss start *above* the validation loss?");
    expect(
      failingSeeds(
        "small",
        (s) => atSeed("small", s).history.history.loss[0] > atSeed("small", s).history.history.val_loss![0],
      ),
    ).toEqual([]);
  });

  it("why: the epoch's mean training loss is above the end-of-epoch score (far in epoch 1, a few thousandths later), and the last 12,000 images are easier", () => {
    says(
      1,
      "Scored at the end of the epoch, the training images' loss is lower than that average: by far in the first epoch, by a few thousandths later.",
    );
    says(
      1,
      "the last 12,000 images, which `validationSplit` takes for validation, are easier than the images before them",
    );
    const [first, fifth] = more.epochEnd!;
    expect(first.mean - first.end).toBeGreaterThan(0.1);
    expect(fifth.mean - fifth.end).toBeGreaterThan(0.001);
    expect(fifth.mean - fifth.end).toBeLessThan(0.01);
    // Measured at seed 42: 0.266 on the last 12,000 against 0.310 on the 12,000 before them.
    expect(more.heldOut!.last.loss).toBeLessThan(more.heldOut!.before.loss - 0.02);
    // Averaging alone does not explain the gap at epoch 5: the validation images' part is at least as large.
    const h = runs.small.seedRuns[0].history.history;
    const gap5 = h.loss[4] - h.val_loss![4];
    expect(gap5).toBeGreaterThan(fifth.mean - fifth.end);
  });

  it("the longer runs repeat the first runs for the first epochs, then add only a fraction of a point, on every seed tried", () => {
    says(
      1,
      "for their first epochs the longer runs *are* the runs of the cell above, so the two curves coincide there",
    );
    says(1, "The extra epochs add only a fraction of a point of validation accuracy");
    for (const { seed, run } of everySeed("smallLonger")) {
      const short = atSeed("small", seed);
      const n = short.history.epoch.length;
      expect(run.history.history.val_loss!.slice(0, n)).toEqual(short.history.history.val_loss);
      const gain = ds(run).maxValAccuracy - ds(short).maxValAccuracy;
      expect(gain).toBeGreaterThanOrEqual(0);
      expect(gain).toBeLessThan(0.01);
    }
    const gain = d("smallLonger").maxValAccuracy - d("small").maxValAccuracy;
    expect(gain).toBeLessThan(0.01);
  });
});

describe("notebook 2: more capacity on MNIST", () => {
  it("validation accuracy climbs well above the small model's, then validation loss rises well before the last epoch, on every seed tried", () => {
    says(2, "validation accuracy climbs well above the small model's low 90s");
    says(2, "validation loss reaches its minimum well before the last epoch and then *rises again*");
    expect(everySeed("large").length).toBe(num(2, "seeds") + EXTRA_SEEDS.big.length);
    expect(
      failingSeeds("large", (s) => {
        const l = ds(atSeed("large", s));
        return (
          l.maxValAccuracy - ds(atSeed("small", s)).maxValAccuracy > 0.03 &&
          l.bestEpoch <= 10 &&
          l.verdict === "overfitting"
        );
      }),
    ).toEqual([]);
    expect(d("large").verdict).toBe("overfitting");
  });

  it("the gap is much wider at the end than at the best epoch, on every seed tried", () => {
    says(2, "the shaded gap between them is much wider at the end than at the marked best epoch");
    says(
      2,
      "the next figure shows the training loss falling on while the validation loss climbs, so the two pull apart",
    );
    expect(
      failingSeeds("large", (s) => {
        const r = atSeed("large", s);
        const h = r.history.history;
        const gap = (i: number) => h.val_loss![i] - h.loss[i];
        return gap(h.loss.length - 1) > 2 * gap(ds(r).bestEpoch - 1);
      }),
    ).toEqual([]);
  });

  it("the small model's curves end close at a high loss; the large model's reach a lower loss", () => {
    says(2, "the large model's reach a much lower loss and then pull apart (overfitting)");
    expect(failingSeeds("large", (s) => ds(atSeed("large", s)).minValLoss < ds(atSeed("small", s)).minValLoss)).toEqual(
      [],
    );
  });
});

describe("notebook 3: capacity on IMDB", () => {
  it("multi-hot rows are almost all zeros", () => {
    says(3, "Almost every entry is 0");
    const x = imdbX as { ids: Int32Array[]; rows: number; cols: number };
    const share = x.ids.reduce((s, r) => s + r.length, 0) / x.rows / x.cols;
    expect(share).toBeLessThan(0.02);
  });

  it("the most frequent word has id 4 (index_from=3) and id 3 is never used", () => {
    says(3, 'the most frequent word ("the") is 4 and id 3 is never used');
    const x = imdbX as { ids: Int32Array[] };
    let threes = 0;
    const counts = new Map<number, number>();
    for (const row of x.ids)
      for (const id of row) {
        if (id === 3) threes++;
        if (id >= 3) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    expect(threes).toBe(0);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    expect(top).toBe(4);
  });

  it("the original overfits early on every seed tried; validation accuracy peaks and slips back", () => {
    says(3, "the validation loss is lowest after a few epochs and climbs steadily after that, every seed alike");
    says(3, "validation accuracy peaks around the same epoch and then slips back");
    expect(everySeed("original").length).toBe(num(3, "seeds") + EXTRA_SEEDS.cheap.length);
    expect(
      failingSeeds("original", (s) => {
        const r = atSeed("original", s);
        const dr = ds(r);
        return (
          dr.verdict === "overfitting" && dr.bestEpoch <= 6 && last(r.history.history.val_accuracy) < dr.maxValAccuracy
        );
      }),
    ).toEqual([]);
  });

  /** The four-unit model's claims at one seed: a minimum as low as the original's, a clear gap, a later minimum, a smaller rise. */
  const tinyFits = (s: number): boolean => {
    const tiny = ds(atSeed("tiny", s));
    const original = ds(atSeed("original", s));
    return (
      tiny.verdict !== "underfitting" &&
      tiny.minValLoss < original.minValLoss + 0.01 &&
      tiny.bestEpoch > original.bestEpoch &&
      tiny.rise < original.rise &&
      last(atSeed("tiny", s).history.history.accuracy) - tiny.maxValAccuracy > 0.04
    );
  };

  it("in most seeds (all but one of the ten extra ones) the four-unit model does not underfit; at the defaults it does not", () => {
    says(3, "in most seeds the four-unit model does **not** underfit");
    says(3, "Its lowest validation loss is then as low as the original's");
    says(3, "after its minimum it overfits too — later and more mildly than the original");
    says(3, "over the ten seeds the claims test tries besides the defaults, one gets stuck");
    expect(EXTRA_SEEDS.cheap.length).toBe(10);
    expect(failingSeeds("tiny", (s) => !runs.tiny.seeds.includes(s) || tinyFits(s))).toEqual([]);
    const failing = failingSeeds("tiny", tinyFits);
    expect(failing).toEqual([num(3, "stuckSeed")]);
    // The mean of the defaults too (what the figure draws).
    expect(d("tiny").minValLoss).toBeLessThan(d("original").minValLoss + 0.01);
  });

  it("the stuck seed: training loss stays high, validation loss still falling at the end, units silent on the positive reviews but none dead", () => {
    says(
      3,
      "its training loss stays high, far above its siblings', and its validation loss is still falling slowly at the last epoch, well above theirs",
    );
    says(
      3,
      "In the stuck run three of the four units have come to fire on negative reviews and stay silent on almost every positive one, and the fourth is silent on almost every review",
    );
    says(3, "It still classifies about as many training reviews correctly as its siblings");
    says(3, "No unit is dead on *every* review");
    const stuck = more.stuck!;
    const h = stuck.history.history;
    const sd = ds(stuck);
    const siblings = runs.tiny.seedRuns;
    for (const r of siblings) expect(last(h.loss)).toBeGreaterThan(2 * last(r.history.history.loss));
    expect(sd.bestEpoch).toBe(h.loss.length);
    expect(sd.minValLoss).toBeGreaterThan(d("tiny").minValLoss + 0.05);
    expect(seedSpreadLine([runs.tiny, stuck])).toMatch(new RegExp(`Stuck: seed ${num(3, "stuckSeed")},`));
    expect(seedSpreadLine(runs.tiny)).toMatch(/No seed is stuck/);
    const [count] = deadUnits(stuck, imdbX, { labels: imdbY });
    expect(count.dead).toBe(0);
    for (const share of count.zeroShareByLabel![1]) expect(share).toBeGreaterThan(0.9);
    for (const share of count
      .zeroShareByLabel![0].slice()
      .sort((a, b) => a - b)
      .slice(0, 3))
      expect(share).toBeLessThan(0.1);
    expect(Math.max(...count.zeroShareByLabel![0])).toBeGreaterThan(0.9);
    const siblingAccuracy = siblings.reduce((sum, r) => sum + last(r.history.history.accuracy), 0) / siblings.length;
    expect(Math.abs(last(h.accuracy) - siblingAccuracy)).toBeLessThan(0.01);
    // A seed that fits: for each kind of review, some unit fires on most of them.
    for (const c of deadUnits(runs.tiny, imdbX, { labels: imdbY }))
      for (const label of [0, 1]) expect(Math.min(...c.zeroShareByLabel![label])).toBeLessThan(0.2);
  });

  it("what helps the stuck seed: 8 units fit as the other seeds do; a learning rate of 0.0001 stays stuck", () => {
    says(3, "the claims test trains this seed with 8 units: it fits as the others do");
    says(3, "the claims test trains it at 0.0001 and it stays stuck the same way, only slower");
    says(3, "the original's 16 units got stuck on none of the thirteen seeds the claims test tries");
    const wider = ds(more.stuckWider!);
    expect(wider.minValLoss).toBeLessThan(d("tiny").minValLoss + 0.01);
    expect(last(more.stuckWider!.history.history.loss)).toBeLessThan(
      1.5 * Math.max(...runs.tiny.seedRuns.map((r) => last(r.history.history.loss))),
    );
    const slower = more.stuckSlower!.history.history;
    expect(last(slower.loss)).toBeGreaterThan(last(more.stuck!.history.history.loss));
    expect(ds(more.stuckSlower!).minValLoss).toBeGreaterThan(ds(more.stuck!).minValLoss);
    const [c] = deadUnits(more.stuckSlower!, imdbX, { labels: imdbY });
    expect(Math.min(...c.zeroShareByLabel![1])).toBeGreaterThan(0.5);
    expect(everySeed("original").length).toBe(13);
    expect(seedSpreadLine([runs.original, extra.original])).toMatch(/No seed is stuck/);
  });

  it("the smaller network's best epoch comes later and it rises more slowly (book figure 5.17), on every seed tried", () => {
    says(
      3,
      "the smaller network reaches its best epoch later than the original, and its validation loss rises more slowly",
    );
    expect(
      failingSeeds(
        "smaller",
        (s) =>
          ds(atSeed("smaller", s)).bestEpoch > ds(atSeed("original", s)).bestEpoch &&
          ds(atSeed("smaller", s)).rise < ds(atSeed("original", s)).rise,
      ),
    ).toEqual([]);
  });

  it("the larger network's best epoch comes no later than the original's; its validation loss climbs far higher (5.18), on every seed tried", () => {
    says(3, "its best epoch comes no later than the original's, and its validation loss climbs far higher by the end");
    says(3, "The claims test checks these sentences on two more seeds");
    expect(everySeed("larger").length).toBe(num(3, "largerSeeds") + EXTRA_SEEDS.big.length);
    expect(
      failingSeeds("larger", (s) => {
        const L = atSeed("larger", s);
        return (
          ds(L).bestEpoch <= ds(atSeed("original", s)).bestEpoch &&
          last(L.history.history.val_loss) > 1.2 * last(atSeed("original", s).history.history.val_loss)
        );
      }),
    ).toEqual([]);
  });

  it("within ten epochs its training loss falls to near zero, far below the original's, and ends far below it, not smoothly, on every seed tried", () => {
    says(3, "its *training* loss falls toward zero much faster than the original's");
    says(3, "the training loss can jump back up for an epoch now and then (the line above says whether it did here)");
    // "Much faster": near zero (< 0.03) within ten epochs, under a third of the original's lowest in
    // those epochs, and a tenth of the original's at the end. Measured at seed 42, ten-epoch lows
    // over the original's: 0.17 on wasm, 0.27 on native TensorFlow (the drop lands on another epoch
    // there); last epochs 0.0003 against 0.0175 on both.
    expect(
      failingSeeds("larger", (s) => {
        const loss = atSeed("larger", s).history.history.loss;
        const originalLoss = atSeed("original", s).history.history.loss;
        const low = Math.min(...loss.slice(0, 10));
        return (
          low < 0.03 &&
          low < Math.min(...originalLoss.slice(0, 10)) / 3 &&
          last(loss) < 0.1 * last(originalLoss) &&
          loss.some((v, i) => i > 0 && v > 2 * loss[i - 1])
        );
      }),
    ).toEqual([]);
  });

  it("its validation loss climbs far above its minimum while validation accuracy barely moves, on every seed tried", () => {
    says(3, "Its validation loss climbs far above its minimum, yet its validation *accuracy* barely moves");
    expect(
      failingSeeds("larger", (s) => {
        const r = atSeed("larger", s);
        const g = ds(r);
        const h = r.history.history;
        return (
          last(h.val_loss) / g.minValLoss > 1.8 &&
          Math.abs(last(h.val_accuracy) - h.val_accuracy![g.bestEpoch - 1]) < 0.03
        );
      }),
    ).toEqual([]);
  });

  it("sizes at a glance: the 512-unit network turns up first and climbs furthest, the original next, the four-unit ones last, on every seed tried", () => {
    says(
      3,
      "the 512-unit network turns up first and climbs furthest, the original next; the two four-unit networks turn up last",
    );
    says(3, "the claims test finds the same order on two other seeds");
    const order = (s: number, withLarger: boolean): boolean => {
      const [original, tiny, smaller] = ["original", "tiny", "smaller"].map((k) => ds(atSeed(k, s)));
      const fourUnits =
        original.bestEpoch < Math.min(tiny.bestEpoch, smaller.bestEpoch) &&
        original.rise > Math.max(tiny.rise, smaller.rise);
      if (!withLarger) return fourUnits;
      const larger = ds(atSeed("larger", s));
      return fourUnits && larger.bestEpoch <= original.bestEpoch && larger.rise > original.rise;
    };
    expect(failingSeeds("larger", (s) => order(s, true))).toEqual([]);
    expect(failingSeeds("original", (s) => order(s, false))).toEqual([]);
  });
});

describe("notebook 4: fixing overfitting", () => {
  it("L2 still rises after its minimum, but far less than the original (book figure 5.19), on every seed tried", () => {
    says(
      4,
      "with the penalty the validation cross-entropy still rises after its minimum, but far less than the original's",
    );
    expect(
      failingSeeds(
        "l2",
        (s) => ds(atSeed("l2", s)).rise > 0.05 && ds(atSeed("l2", s)).rise < ds(atSeed("original", s)).rise / 2,
      ),
    ).toEqual([]);
    expect(compareLine(runs.l2, runs.original)).toMatch(
      new RegExp(`rises less after its minimum in all ${num(4, "seeds")}\\b`),
    );
  });

  it("every penalty ends with a lower validation cross-entropy than the original; L1 and L1+L2 barely rise, but L1's minimum is higher than L2's, on every seed tried", () => {
    says(4, "every penalty ends with a lower validation cross-entropy than the original");
    says(4, "L1 and L1+L2 barely rise after their minimum, if at all (far less than L2 and the original)");
    says(4, "L1's minimum is higher than L2's");
    for (const k of ["l2", "l1", "l1l2"])
      expect(failingSeeds(k, (s) => ds(atSeed(k, s)).endValLoss < ds(atSeed("original", s)).endValLoss)).toEqual([]);
    for (const k of ["l1", "l1l2"]) {
      expect(
        failingSeeds(k, (s) => {
          const rise = ds(atSeed(k, s)).rise;
          return rise < 0.05 && rise < ds(atSeed("l2", s)).rise / 2 && rise < ds(atSeed("original", s)).rise / 4;
        }),
      ).toEqual([]);
    }
    expect(failingSeeds("l1", (s) => ds(atSeed("l1", s)).minValLoss > ds(atSeed("l2", s)).minValLoss)).toEqual([]);
  });

  it("L1 piles most first-layer weights near zero (within ±0.001), but not exactly at it", () => {
    says(4, "L1 piles most of them *near* zero — within ±0.001");
    says(4, "but not exactly at it");
    says(4, "a word drops out only when all 16 of its weights are near zero, and the labels count single weights");
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

  it("dropout keeps the training loss clearly higher than the original's, on every seed tried", () => {
    says(4, "the dropout model's training loss stays clearly *higher* than the original's");
    says(4, "that is why the runs of this notebook have three seeds each");
    expect(num(4, "seeds")).toBe(3);
    expect(
      failingSeeds(
        "dropout",
        (s) => last(atSeed("dropout", s).history.history.loss) > 2 * last(atSeed("original", s).history.history.loss),
      ),
    ).toEqual([]);
  });

  it("L2 + dropout uses L2 at 0.0001, twenty times weaker; it ends far above L2(0.002), close to dropout, though its minimum can be lower than L2's", () => {
    says(4, "L2 at **0.0001**, twenty times weaker than the 0.002 of the `l2` run above");
    says(
      4,
      "the combined model's curve stays close to dropout's, and far above L2(0.002)'s at the end, though its lowest point can be lower than L2's",
    );
    const spec = getVariant("imdb.l2dropout");
    expect(spec.hidden.map((l) => l.l2)).toEqual([0.0001, 0.0001]);
    expect(num(4, "l2Rate") / 0.0001).toBeCloseTo(20, 6);
    expect(
      failingSeeds("l2dropout", (s) => {
        const e = ds(atSeed("l2dropout", s)).endValLoss;
        return e > ds(atSeed("l2", s)).endValLoss + 0.05 && Math.abs(e - ds(atSeed("dropout", s)).endValLoss) < 0.1;
      }),
    ).toEqual([]);
    expect(
      everySeed("l2dropout").filter(
        ({ seed }) => ds(atSeed("l2dropout", seed)).minValLoss < ds(atSeed("l2", seed)).minValLoss,
      ).length,
    ).toBeGreaterThan(0);
  });

  it("the closing table: MNIST small underfits, large overfits, the biggest IMDB net overfits soonest and most, every weight penalty ends with a smaller gap", () => {
    says(
      4,
      "the one-layer MNIST model underfits; more capacity overfits; on IMDB the biggest network (one seed by default) overfits soonest and most, and every weight penalty (L2, L1, L1+L2) ends with a smaller gap between training and validation cross-entropy than the original",
    );
    expect(d("small").verdict).toBe("underfitting");
    expect(d("large").verdict).toBe("overfitting");
    for (const k of ["tiny", "original", "smaller"])
      expect(failingSeeds("larger", (s) => ds(atSeed("larger", s)).bestEpoch <= ds(atSeed(k, s)).bestEpoch)).toEqual(
        [],
      );
    for (const k of ["l2", "l1", "l1l2"])
      expect(failingSeeds(k, (s) => ds(atSeed(k, s)).finalGap < ds(atSeed("original", s)).finalGap)).toEqual([]);
  });

  it("L1 and L1+L2 at 0.001 are over-regularized in all but one of the thirteen seeds tried", () => {
    says(4, "which the diagnosis reads as *over-regularized*");
    says(
      4,
      "in most seeds; on one of the thirteen the claims test tries, their curves sit just on the other side of its threshold",
    );
    const overRegularized = (k: string, s: number): boolean =>
      ds(atSeed(k, s)).verdict === "underfitting" && ds(atSeed(k, s)).cause === "over-regularized";
    expect(everySeed("l1").length).toBe(13);
    const off = everySeed("l1").filter(({ seed }) => !overRegularized("l1", seed) || !overRegularized("l1l2", seed));
    expect(off.length).toBe(1);
    for (const k of ["l1", "l1l2"]) {
      expect(d(k).verdict).toBe("underfitting");
      expect(d(k).cause).toBe("over-regularized");
    }
  });
});

describe("notebook 5: noise, memorization, the learning rate, early stopping, the test set", () => {
  const lastOf = (xs: number[] | undefined): number => xs![xs!.length - 1];
  /** Notebook 5's run of one kind at every seed: the notebook's (its defaults) and the extra ones. */
  const nb5All = (kind: "shuffled" | "lrHigh" | "lrLow" | "stopped"): { seed: number; run: Run }[] => [
    { seed: num(5, "seed"), run: nb5[kind]! },
    ...Object.entries(more.nb5Extra![kind]).map(([s, run]) => ({ seed: Number(s), run })),
  ];
  const noisePairs = (): [Run, Run][] => [
    ...nb5.noise!.seedRuns.map((r, i): [Run, Run] => [r, nb5.zeros!.seedRuns[i]]),
    ...EXTRA_SEEDS.nb5.map((s): [Run, Run] => [more.nb5Extra!.noise[s], more.nb5Extra!.zeros[s]]),
  ];

  it("noise channels end below zero channels in validation and in training accuracy, on every seed tried; whether the gap is wider depends on the seed", () => {
    says(5, "the model with noise channels ends lower (the line above counts in how many seeds)");
    says(5, "the second line shows it lower on its *training* images too");
    says(5, "Whether it also overfits more (a wider gap between training and validation) depends on the seed here");
    const pairs = noisePairs();
    expect(pairs.length).toBe(num(5, "seeds") + EXTRA_SEEDS.nb5.length);
    for (const [noise, zeros] of pairs) {
      expect(lastOf(noise.history.history.val_accuracy)).toBeLessThan(lastOf(zeros.history.history.val_accuracy));
      expect(lastOf(noise.history.history.accuracy)).toBeLessThan(lastOf(zeros.history.history.accuracy));
    }
    // The table's final gap: validation minus training cross-entropy at the last epoch.
    const gap = (r: Run) => lastOf(r.history.history.val_loss) - lastOf(r.history.history.loss);
    const wider = pairs.filter(([n, z]) => gap(n) > gap(z)).length;
    expect(wider).toBeGreaterThan(0);
    expect(wider).toBeLessThan(pairs.length);
  });

  it("shuffled labels: training accuracy climbs above 80% while validation accuracy stays near chance, on every seed tried; 407,050 parameters for 800 images", () => {
    says(5, "the training accuracy climbs over the epochs while the validation accuracy stays near chance");
    says(5, "the network has enough parameters (407,050 for the defaults' 800 training images) to do it");
    for (const { run } of nb5All("shuffled")) {
      const h = run.history;
      expect(lastOf(h.history.accuracy)).toBeGreaterThan(0.8);
      expect(lastOf(h.history.accuracy)).toBeGreaterThan(h.history.accuracy[0] + 0.5);
      expect(Math.max(...h.history.val_accuracy!)).toBeLessThan(0.25);
    }
    expect(countParams(nb5.shuffled!.spec, 784)).toBe(407050);
    expect(nb5.shuffled!.history.params.samples).toBe(800);
  });

  it("RMSprop at 1.0: the training loss jumps into the thousands, far above 0.01's, and its training accuracy ends below; 0.01 fits its training images, on every seed tried", () => {
    says(5, "the training loss jumps to thousands and more");
    says(5, "the training accuracy does not climb steadily as it should");
    says(5, "it ends below the other run's, on the training images too, so this is not overfitting");
    says(5, "At 0.01 the same network fits its training images");
    const lows = nb5All("lrLow");
    for (const [i, { run: highRun }] of nb5All("lrHigh").entries()) {
      const high = highRun.history.history;
      const low = lows[i].run.history.history;
      expect(Math.max(...high.loss)).toBeGreaterThan(1000);
      expect(high.accuracy.some((v, k) => k > 0 && v < high.accuracy[k - 1] - 0.05)).toBe(true);
      expect(Math.max(...high.loss)).toBeGreaterThan(100 * Math.max(...low.loss));
      expect(lastOf(high.accuracy)).toBeLessThan(lastOf(low.accuracy));
      expect(lastOf(low.accuracy)).toBeGreaterThan(0.95);
    }
    expect(diagnose(nb5.lrHigh!).verdict).toBe("diverged");
  });

  it("early stopping: the stopped run is the full run up to where it stopped, patience epochs past the best one, and keeps the best epoch, on every seed tried", () => {
    says(5, "with the same seed the stopped run *is* the full run up to where it stopped (the curves coincide)");
    says(5, "It trains only `patience` epochs past the best one, then hands back the model of the best epoch");
    says(
      5,
      "the stop comes `patience` epochs after the kept epoch, the last one with a new low, and the model handed back is that epoch's, not the last one trained",
    );
    says(5, "The grey curve shows what the remaining epochs would have cost");
    const fulls: Record<number, Run> = { [num(5, "seed")]: nb5.original!, ...more.nb5Extra!.original };
    for (const { seed, run: stopped } of nb5All("stopped")) {
      const full = fulls[seed];
      const n = stopped.history.epoch.length;
      expect(stopped.history.history.val_loss).toEqual(full.history.history.val_loss!.slice(0, n));
      const p = earlyStoppingPoints(stopped);
      expect(p.stopped).toBe(true);
      expect(p.kept).toBe(p.best);
      expect(p.stoppedAt).toBe(p.kept + num(5, "patience"));
      expect(lastOf(full.history.history.val_loss)).toBeGreaterThan(p.bestValue);
    }
    expect(diagnose(nb5.stopped!).verdict).toBe("good fit");
  });

  it("the ranking's tie band is no wider than one configuration's seeds commonly spread", () => {
    says(
      5,
      "The ranking's last line names the candidates within `seedNoise` of the best: among those, the choice is within seed-to-seed noise",
    );
    const spreads = ["original", "tiny", "smaller", "l2", "l1", "l1l2", "dropout", "l2dropout"].map((k) => {
      const mins = everySeed(k).map(({ run }) => ds(run).minValLoss);
      return Math.max(...mins) - Math.min(...mins);
    });
    spreads.sort((a, b) => a - b);
    const median = (spreads[3] + spreads[4]) / 2;
    expect(num(5, "seedNoise")).toBeLessThanOrEqual(median);
    const line = rankingLine(selectBest(nb5.imdbCandidates!), { tie: num(5, "seedNoise") });
    expect(line.split("\n").pop()).toMatch(
      /^Within the tie band \(0\.005\) of \w+: |leads the next candidate by more than the tie band/,
    );
  });

  it("the final models: test accuracy within 3 points of the validation accuracy that chose them, above 85%", () => {
    says(5, "the test accuracy is close to the validation accuracy, but it is the honest one");
    for (const r of testVsValidation(nb5.finals!.map((f) => f.record))) {
      expect(Math.abs(r.test - r.validation)).toBeLessThanOrEqual(0.03);
      expect(r.test).toBeGreaterThan(0.85);
    }
  });

  it("each final model was retrained for the epoch at which the configuration it was chosen from had its lowest validation cross-entropy", () => {
    says(
      5,
      "Each was retrained for the number of epochs at which the configuration it was chosen from had its lowest validation cross-entropy",
    );
    for (const f of nb5.finals!) {
      const chosen = f.chosen;
      const series = chosen.run.history.history.val_crossentropy ?? chosen.run.history.history.val_loss!;
      expect(f.record.test!.epochs).toBe(chosen.epoch);
      expect(Math.min(...series.filter(Number.isFinite))).toBe(series[chosen.epoch - 1]);
    }
  });

  it("the same MNIST model scores lower on notebook 5's 3,000 images than on notebook 1's 60,000", () => {
    says(5, "the same model scores lower on 3,000 images than on 60,000");
    expect(num(5, "mnistSamples")).toBe(3000);
    expect(ds(nb5.small!).maxValAccuracy).toBeLessThan(d("small").maxValAccuracy - 0.01);
  });
});
