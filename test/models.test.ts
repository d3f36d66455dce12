import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";
import {
  buildModel,
  countParams,
  getVariant,
  ModelSpec,
  specFromModel,
  summary,
  VARIANT_NAMES,
  variant,
  VariantName,
  variants,
  withChanges,
} from "../lib/lesson/models";

beforeAll(async () => {
  await initBackend({ report: false });
});

describe("the variant catalog", () => {
  // Keras's model.count_params() for the article's models (MNIST 784 pixels, IMDB 10,000 words).
  it.each<[VariantName, number, number]>([
    ["mnist.small", 784, 7_850],
    ["mnist.large", 784, 118_282],
    ["mnist.dense512", 784, 407_050],
    ["mnist.dense512", 1_568, 808_458],
    ["imdb.tiny", 10_000, 40_009],
    ["imdb.original", 10_000, 160_305],
    ["imdb.smaller", 10_000, 40_029],
    ["imdb.larger", 10_000, 5_383_681],
    ["imdb.l2", 10_000, 160_305],
    ["imdb.l1", 10_000, 160_305],
    ["imdb.l1l2", 10_000, 160_305],
    ["imdb.dropout", 10_000, 160_305],
    ["imdb.l2dropout", 10_000, 160_305],
  ])("%s on %i inputs has %i parameters, in the spec and in the built model", (name, inputDim, expected) => {
    expect(countParams(getVariant(name), inputDim)).toBe(expected);
    const model = buildModel(getVariant(name), inputDim, { seed: 0 });
    expect(model.countParams()).toBe(expected);
    expect(summary(model)).toContain(`Total params: ${expected.toLocaleString("en-US")}`);
    model.dispose();
  });

  it("lists every variant by its dotted name", () => {
    expect(VARIANT_NAMES).toEqual([
      "mnist.small",
      "mnist.large",
      "mnist.dense512",
      "imdb.tiny",
      "imdb.original",
      "imdb.smaller",
      "imdb.larger",
      "imdb.l2",
      "imdb.l1",
      "imdb.l1l2",
      "imdb.dropout",
      "imdb.l2dropout",
    ]);
    expect(getVariant("imdb.l2")).toBe(variants.imdb.l2);
  });

  it("rejects unknown names at compile time and at run time", () => {
    // @ts-expect-error "imdb.huge" is not a VariantName
    expect(() => getVariant("imdb.huge")).toThrow(/Unknown variant "imdb.huge".*imdb.original/);
  });

  it.each([
    "imdb.__proto__",
    "imdb.toString",
    "imdb.constructor",
    "__proto__.original",
    "toString.x",
    "imdb.hasOwnProperty",
    "imdb.original.x",
    "imdb",
    "",
  ])("does not read object prototypes: %p is an unknown variant, listing the names", (name) => {
    const known = /Known variants: mnist\.small, mnist\.large, .*imdb\.original/;
    expect(() => getVariant(name as never)).toThrow(
      new RegExp(`Unknown variant ${JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.`),
    );
    expect(() => getVariant(name as never)).toThrow(known);
    expect(() => variant(name as never)).toThrow(known);
  });

  it("names a non-string variant as written", () => {
    expect(() => getVariant(NaN as never)).toThrow(/Unknown variant NaN\./);
    expect(() => getVariant(undefined as never)).toThrow(/Unknown variant undefined\./);
  });

  it("holds the article's hyperparameters", () => {
    expect(variants.imdb.l2.hidden.map((l) => l.l2)).toEqual([0.002, 0.002]);
    expect(variants.imdb.l1.hidden.map((l) => l.l1)).toEqual([0.001, 0.001]);
    expect(variants.imdb.l1l2.hidden.map((l) => [l.l1, l.l2])).toEqual([
      [0.001, 0.001],
      [0.001, 0.001],
    ]);
    expect(variants.imdb.dropout.hidden.map((l) => l.dropout)).toEqual([0.5, 0.5]);
    expect(variants.mnist.large.loss).toBe("sparse_categorical_crossentropy");
    expect(variants.imdb.original.output).toEqual({ units: 1, activation: "sigmoid" });
  });

  it("is frozen, so a notebook cannot change a shared spec by accident", () => {
    expect(() => {
      (variants.imdb.original.hidden[0] as { units: number }).units = 3;
    }).toThrow(TypeError);
    expect(variants.imdb.original.hidden[0].units).toBe(16);
  });
});

describe("variant(name, changes) and withChanges", () => {
  it("applies a reader's edits to a copy and leaves the catalog alone", () => {
    const spec = variant("imdb.l2", { l2: 0.01, units: 8, name: "l2-strong", learningRate: 0.01 });
    expect(spec.hidden.map((l) => [l.units, l.l2])).toEqual([
      [8, 0.01],
      [8, 0.01],
    ]);
    expect(spec.name).toBe("l2-strong");
    expect(spec.optimizer).toEqual({ name: "rmsprop", learningRate: 0.01 });
    expect(variants.imdb.l2.hidden[0]).toEqual({ units: 16, activation: "relu", l2: 0.002 });
  });

  it("takes one unit count per hidden layer", () => {
    expect(withChanges(variants.mnist.large, { units: [64, 32] }).hidden.map((l) => l.units)).toEqual([64, 32]);
    expect(() => withChanges(variants.mnist.large, { units: [64] })).toThrow(
      /units has 1 entries but the model has 2 hidden layers/,
    );
  });

  it("rejects unknown changes", () => {
    expect(() => withChanges(variants.imdb.original, { unit: 3 } as never)).toThrow(/unknown change "unit"/);
  });

  it.each<[string, Parameters<typeof withChanges>[1], RegExp]>([
    ["units 0", { units: 0 }, /hidden\[0\]\.units = 0; it must be a positive integer/],
    ["units 2.5", { units: 2.5 }, /hidden\[0\]\.units = 2\.5; it must be a positive integer/],
    ["dropout 1", { dropout: 1 }, /hidden\[0\]\.dropout = 1; it must be in \[0, 1\)/],
    ["dropout -0.1", { dropout: -0.1 }, /hidden\[0\]\.dropout = -0\.1; it must be in \[0, 1\)/],
    ["l1 -1", { l1: -1 }, /hidden\[0\]\.l1 = -1; it must be a number ≥ 0/],
    ["l2 NaN", { l2: NaN }, /hidden\[0\]\.l2 = NaN; it must be a number ≥ 0/],
    ["l1 Infinity", { l1: Infinity }, /hidden\[0\]\.l1 = Infinity; it must be a number ≥ 0/],
    ["learningRate 1e400", { learningRate: 1e400 }, /optimizer\.learningRate = Infinity; it must be a number > 0/],
    ["units NaN", { units: NaN }, /hidden\[0\]\.units = NaN; it must be a positive integer/],
    ["learningRate 0", { learningRate: 0 }, /optimizer\.learningRate = 0; it must be a number > 0/],
    ["activation", { activation: "gelu" as never }, /hidden\[0\]\.activation = "gelu"; allowed: relu, sigmoid/],
    ["inputDim", { inputDim: -3 }, /inputDim = -3; it must be a positive integer/],
  ])("fails naming the field, value and allowed range: %s", (_label, changes, message) => {
    expect(() => variant("imdb.original", changes)).toThrow(message);
  });

  it.each<[string, ModelSpec, RegExp]>([
    [
      "binary loss with softmax",
      { ...variants.imdb.original, output: { units: 1, activation: "softmax" } },
      /output\.activation = "softmax"; binary_crossentropy needs "sigmoid"/,
    ],
    [
      "binary loss with 2 units",
      { ...variants.imdb.original, output: { units: 2, activation: "sigmoid" } },
      /output\.units = 2; binary_crossentropy needs 1 output unit/,
    ],
    ["unknown loss", { ...variants.imdb.original, loss: "mse" as never }, /loss = "mse"; allowed/],
    [
      "unknown optimizer",
      { ...variants.imdb.original, optimizer: { name: "adam" as never } },
      /optimizer\.name = "adam"/,
    ],
  ])("rejects an inconsistent spec: %s", (_label, spec, message) => {
    expect(() => countParams(spec, 10)).toThrow(message);
    expect(() => buildModel(spec, 10)).toThrow(message);
  });
});

describe("buildModel", () => {
  it("seeds glorot-uniform kernels, zero biases, Keras layers, regularizers and dropout", () => {
    const before = tf.memory().numTensors;
    const spec = variants.imdb.l2dropout;
    const a = buildModel(spec, 50, { seed: 7 });
    const b = buildModel(spec, 50, { seed: 7 });
    const c = buildModel(spec, 50, { seed: 8 });
    expect(a.layers.map((l) => l.getClassName())).toEqual(["Dense", "Dropout", "Dense", "Dropout", "Dense"]);
    const [k0a, b0a] = a.getWeights();
    expect(Array.from(k0a.dataSync())).toEqual(Array.from(b.getWeights()[0].dataSync()));
    expect(Array.from(k0a.dataSync())).not.toEqual(Array.from(c.getWeights()[0].dataSync()));
    const limit = Math.sqrt(6 / (50 + 16));
    const k = Array.from(k0a.dataSync());
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(limit * 0.9);
    expect(Array.from(b0a.dataSync())).toEqual(new Array(16).fill(0));
    const config = a.layers[0].getConfig() as {
      kernelRegularizer: { className: string; config: { l1: number; l2: number } };
    };
    expect(config.kernelRegularizer.className).toBe("L1L2");
    expect(config.kernelRegularizer.config.l2).toBeCloseTo(0.0001);
    expect((a.layers[1].getConfig() as { rate: number }).rate).toBe(0.5);
    // It predicts probabilities from a dense batch [n, inputDim].
    const p = tf.tidy(() => (a.predict(tf.ones([3, 50])) as tf.Tensor).arraySync() as number[][]);
    expect(p).toHaveLength(3);
    p.forEach(([v]) => expect(v > 0 && v < 1).toBe(true));
    [a, b, c].forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it("needs an input width from the spec or the call", () => {
    expect(() => buildModel(variants.imdb.original)).toThrow(/inputDim is needed.*buildModel\(spec, 10000\)/);
    expect(countParams({ ...variants.imdb.original, inputDim: 10000 })).toBe(160_305);
  });

  it("round-trips through specFromModel", () => {
    const model = buildModel(variants.imdb.l1l2, 30, { seed: 1 });
    const spec = specFromModel(model);
    expect(spec.hidden).toEqual([
      { units: 16, activation: "relu", l1: 0.001, l2: 0.001 },
      { units: 16, activation: "relu", l1: 0.001, l2: 0.001 },
    ]);
    expect(spec.inputDim).toBe(30);
    expect(spec.loss).toBe("binary_crossentropy");
    model.dispose();
  });

  it("keeps the rmsprop settings a hand-built model was compiled with", () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [5], activation: "relu" }),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    model.compile({ optimizer: tf.train.rmsprop(0.01, 0.8, 0, 1e-6), loss: "binaryCrossentropy" });
    expect(specFromModel(model).optimizer).toEqual({ name: "rmsprop", learningRate: 0.01, rho: 0.8, epsilon: 1e-6 });
    model.dispose();
  });

  it("refuses a model compiled with another optimizer or loss instead of silently replacing it", () => {
    const layers = (): tf.layers.Layer[] => [
      tf.layers.dense({ units: 4, inputShape: [5], activation: "relu" }),
      tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ];
    const adam = tf.sequential({ layers: layers() });
    adam.compile({ optimizer: tf.train.adam(0.01), loss: "binaryCrossentropy" });
    expect(() => specFromModel(adam)).toThrow(/compiled with Adam; .*plain rmsprop/);
    const mse = tf.sequential({ layers: layers() });
    mse.compile({ optimizer: "rmsprop", loss: "meanSquaredError" });
    expect(() => specFromModel(mse)).toThrow(/compiled with loss "meanSquaredError".*binary_crossentropy/);
    [adam, mse].forEach((m) => m.dispose());
  });

  it("refuses layers it cannot train, naming them", () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [5] }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    expect(() => specFromModel(model)).toThrow(/Layer 1 .* is a BatchNormalization; .*Dense and Dropout layers only/);
    model.dispose();
  });
});

describe("summary", () => {
  it("prints a Keras-style table for a spec", () => {
    const text = summary(variants.imdb.dropout, 10000);
    expect(text).toContain('Model: "dropout"');
    expect(text).toMatch(/ dense \(Dense\) +\(None, 16\) +160016/);
    expect(text).toMatch(/ dropout \(Dropout\) +\(None, 16\) +0/);
    expect(text).toMatch(/ dense_1 \(Dense\) +\(None, 16\) +272/);
    expect(text).toMatch(/ dropout_1 \(Dropout\) +\(None, 16\) +0/);
    expect(text).toMatch(/ dense_2 \(Dense\) +\(None, 1\) +17/);
    expect(text).toContain("Total params: 160,305");
    expect(text).toContain("Trainable params: 160,305");
    expect(text).toContain("Non-trainable params: 0");
  });
});
