/**
 * Native TensorFlow (tfjs-node built by scripts/native/build-tfjs-node.sh) gives the lesson's numbers:
 * every variant of the lesson, trained 20 epochs on native TensorFlow, matches the same run (same
 * seed) on WebAssembly within 1e-4 relative at every epoch (an accuracy: within one sample), on
 * small real data; the shuffled-labels run, which fits noise, within 1e-3 and 4 samples. Not to the bit: the
 * two backends sum their matrix products in different orders (oneDNN against XNNPACK), and RMSprop
 * runs as tensor ops there (float32) against a JavaScript loop here.
 *
 * Skipped, saying why, where tfjs-node does not load, unless FITLAB_REQUIRE_NATIVE=1 (CI sets it:
 * there a native build that does not load fails this file).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";
import { loadMnistFeatures, shuffledLabels, withExtraColumns } from "../lib/data/chapter5";
import { vectorizeSequences } from "../lib/data/vectorize";
import { loadData as loadImdb } from "../lib/data/imdb";
import { variant, variants, type ModelSpec } from "../lib/lesson/models";
import { dispose, train, type Run, type TrainOptions } from "../lib/runs/train";
import { closePool } from "../lib/training/pool";
import type { Features } from "../lib/types";

function whyNoNative(): string | undefined {
  try {
    require("@tensorflow/tfjs-node");
    return tf.findBackendFactory("tensorflow") ? undefined : "tfjs-node loaded but registered no backend";
  } catch (err) {
    return (err as Error).message.split("\n")[0];
  }
}
const notLoaded = whyNoNative();
if (notLoaded && process.env.FITLAB_REQUIRE_NATIVE === "1") {
  throw new Error(
    `FITLAB_REQUIRE_NATIVE=1 but @tensorflow/tfjs-node does not load: ${notLoaded}. Run scripts/native/build-tfjs-node.sh.`,
  );
}
if (notLoaded)
  console.warn(
    `test/native.test.ts skipped: @tensorflow/tfjs-node does not load (${notLoaded}); scripts/native/build-tfjs-node.sh builds it.`,
  );
const describeNative = notLoaded ? describe.skip : describe;

const EPOCHS = 20;
const TOLERANCE = 1e-4;

interface Data {
  x: Features;
  y: ArrayLike<number>;
}
let mnist: Data;
let noise: Data;
let imdb: Data;

const saved = process.env.FITLAB_BACKEND;
beforeAll(async () => {
  delete process.env.FITLAB_BACKEND; // each run below names its backend
  const m = loadMnistFeatures({ trainSamples: 600, testSamples: 1 }).train;
  mnist = { x: m.x, y: m.y };
  noise = { x: withExtraColumns(m.x, "noise", { seed: 1 }), y: m.y };
  const [[sequences, labels]] = await loadImdb({ numWords: 10000, log: () => undefined });
  const rows = 500;
  imdb = { x: vectorizeSequences(sequences.slice(0, rows), 10000), y: Array.from(labels).slice(0, rows) };
});
afterAll(async () => {
  await closePool();
  if (saved === undefined) delete process.env.FITLAB_BACKEND;
  else process.env.FITLAB_BACKEND = saved;
  await initBackend({ report: false });
});

async function trainOn(
  backend: "wasm" | "tensorflow",
  spec: ModelSpec,
  data: Data,
  options: TrainOptions,
): Promise<Run> {
  await initBackend({ backend, report: false });
  const run = await train(spec, data.x, data.y, {
    epochs: EPOCHS,
    seed: 5,
    cache: false,
    verbose: 0,
    thread: "thread",
    ...options,
  });
  expect(run.backend).toBe(backend);
  return run;
}

/**
 * The worst disagreement over every metric at every epoch, as a fraction of what is allowed: losses
 * within 1e-4 relative; an accuracy within one sample (a prediction on the 0.5 / argmax boundary may
 * fall either side under a 1e-7 difference, which moves the accuracy by 1/samples, e.g. on shuffled
 * labels where many predictions sit near chance).
 */
function worstDisagreement(a: Run, b: Run, tolerance: number, samplesOff: number): { ratio: number; where: string } {
  let worst = { ratio: 0, where: "" };
  for (const [metric, series] of Object.entries(a.history.history)) {
    const other = b.history.history[metric as keyof typeof b.history.history]!;
    expect(other).toHaveLength(series!.length);
    const samples = metric.startsWith("val_") ? a.history.params.validationSamples : a.history.params.samples;
    series!.forEach((v, epoch) => {
      const diff = Math.abs(v - other[epoch]);
      const ratio = metric.endsWith("accuracy")
        ? diff / (samplesOff / samples + 1e-12)
        : diff / Math.max(Math.abs(v), 1e-12) / tolerance;
      if (ratio > worst.ratio)
        worst = { ratio, where: `${metric} at epoch ${epoch + 1}: ${v} (wasm) vs ${other[epoch]} (tensorflow)` };
    });
  }
  return worst;
}

const mnistFit = { batchSize: 128, validationSplit: 0.2 };
const imdbFit = { batchSize: 512, validationSplit: 0.4 };

describeNative("native TensorFlow against WebAssembly, 20 epochs, same seed", () => {
  // [name, spec, data, options, tolerance of a loss (relative), of an accuracy (samples)]
  const cases: [string, () => ModelSpec, () => Data, TrainOptions, number?, number?][] = [
    ["mnist.small", () => variants.mnist.small, () => mnist, mnistFit],
    ["mnist.large", () => variants.mnist.large, () => mnist, mnistFit],
    ["mnist.large in two parts", () => variants.mnist.large, () => mnist, { ...mnistFit, parts: 2 }],
    ["mnist.dense512 on noise channels", () => variants.mnist.dense512, () => noise, mnistFit],
    // Fitting noise amplifies rounding: the two backends agree to 1e-7 for 14 epochs, then 4e-6,
    // 4e-5 and 3.5e-4 (val_loss, epoch 18), and the training accuracy by 2 of 480 samples at epoch
    // 20 (measured 2026-12-04). The one run of the lesson not held to 1e-4 (README, Backends).
    [
      "mnist.dense512 on shuffled labels",
      () => variants.mnist.dense512,
      () => ({ x: mnist.x, y: shuffledLabels(mnist.y, 5) }),
      mnistFit,
      1e-3,
      4,
    ],
    [
      "mnist.dense512 at learning rate 0.01",
      () => variant("mnist.dense512", { learningRate: 0.01 }),
      () => mnist,
      mnistFit,
    ],
    ...(["tiny", "original", "smaller", "larger", "l2", "l1", "l1l2", "dropout", "l2dropout"] as const).map(
      (name): [string, () => ModelSpec, () => Data, TrainOptions, number?, number?] => [
        `imdb.${name}`,
        () => variants.imdb[name],
        () => imdb,
        imdbFit,
      ],
    ),
    [
      "imdb.original with early stopping",
      () => variants.imdb.original,
      () => imdb,
      { ...imdbFit, earlyStopping: { patience: 2, restoreBestWeights: true } },
    ],
  ];

  it.each(cases)(
    "%s: every loss within 1e-4 relative (shuffled labels: 1e-3) at every epoch, every accuracy within one sample (shuffled labels: 4)",
    async (_, spec, data, options, tolerance = TOLERANCE, samplesOff = 1) => {
      const wasm = await trainOn("wasm", spec(), data(), options);
      const native = await trainOn("tensorflow", spec(), data(), options);
      expect(native.history.epoch).toEqual(wasm.history.epoch);
      expect(native.stoppedBy).toBe(wasm.stoppedBy);
      const worst = worstDisagreement(wasm, native, tolerance, samplesOff);
      if (worst.ratio > 1)
        throw new Error(
          `${worst.ratio.toFixed(1)}× what is allowed (${tolerance} relative for a loss, ${samplesOff} sample(s) for an accuracy): ${worst.where}`,
        );
      [wasm, native].forEach(dispose);
    },
  );
});
