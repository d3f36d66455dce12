/**
 * Every model of the lesson from one spec type. This module describes and builds models; it never
 * trains (see train.ts).
 *
 * A ModelSpec is plain data (it goes into cache keys and run records): hidden Dense layers with an
 * optional L1/L2 penalty on the kernel and an optional Dropout after the layer, an output layer, a
 * loss and an optimizer, as the article's `keras.Sequential([...])` + `compile(...)` blocks say.
 */
import * as tf from "@tensorflow/tfjs";
import { fail as failCheck, finiteNumber, showValue } from "../check";
import { createRng, glorotUniform } from "../system/random";

export type Activation = "relu" | "sigmoid" | "softmax" | "linear" | "tanh";

/** One hidden `Dense(units, activation, kernel_regularizer=…)`, optionally followed by `Dropout(dropout)`. */
export interface LayerSpec {
  units: number;
  /** Default "relu". */
  activation?: Activation;
  /** L1 penalty factor on the kernel: adds l1 · Σ|W| to the loss (Keras `regularizers.l1`). */
  l1?: number;
  /** L2 penalty factor on the kernel: adds l2 · Σ W² to the loss (Keras `regularizers.l2`). */
  l2?: number;
  /** Dropout rate after this layer, in [0, 1); 0 or absent means no Dropout layer. */
  dropout?: number;
}

export type Loss = "sparse_categorical_crossentropy" | "binary_crossentropy";

export interface OptimizerSpec {
  name: "rmsprop";
  /** Default 0.001 (Keras). */
  learningRate?: number;
  /** Default 0.9 (Keras). */
  rho?: number;
  /** Default 1e-7 (Keras; inside the square root as in Keras and tfjs). */
  epsilon?: number;
}

export interface ModelSpec {
  /** A short name for legends and tables, e.g. "original". */
  name?: string;
  /** The input width; absent means "the width of the data it is trained on". */
  inputDim?: number;
  hidden: LayerSpec[];
  /** softmax with sparse_categorical_crossentropy (classes), sigmoid with binary_crossentropy (units 1). */
  output: { units: number; activation: "softmax" | "sigmoid" };
  loss: Loss;
  /** Default rmsprop with Keras's defaults. */
  optimizer?: OptimizerSpec;
}

const mnist = (name: string, hidden: LayerSpec[]): ModelSpec => ({
  name,
  hidden,
  output: { units: 10, activation: "softmax" },
  loss: "sparse_categorical_crossentropy",
  optimizer: { name: "rmsprop" },
});

const imdb = (name: string, hidden: LayerSpec[]): ModelSpec => ({
  name,
  hidden,
  output: { units: 1, activation: "sigmoid" },
  loss: "binary_crossentropy",
  optimizer: { name: "rmsprop" },
});

const relu = (units: number, extra: Omit<LayerSpec, "units"> = {}): LayerSpec => ({
  units,
  activation: "relu",
  ...extra,
});

/** Deep-freezes a catalog entry so a notebook cannot edit the shared spec by accident (use `variant(name, changes)`). */
function freeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) freeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Every model of the article (and the TensorFlow tutorial's combined L2 + dropout), by dataset.
 * Frozen: derive edited copies with `variant(name, changes)` or `withChanges(spec, changes)`.
 */
export const variants = freeze({
  mnist: {
    /** Dense(10, softmax): 7,850 parameters, underfits. */
    small: mnist("small", []),
    /** Dense(128, relu) ×2 + Dense(10, softmax): 118,282 parameters. */
    large: mnist("large", [relu(128), relu(128)]),
    /**
     * Dense(512, relu) + Dense(10, softmax): the book's chapter-5 MNIST model (noise channels, shuffled
     * labels, learning rate). 407,050 parameters on 784 pixels; 808,458 on 784 + 784 extra channels.
     */
    dense512: mnist("dense512", [relu(512)]),
  },
  imdb: {
    /** Dense(4, relu) + Dense(1, sigmoid): 40,009 parameters, the article's "small model". */
    tiny: imdb("tiny", [relu(4)]),
    /** Dense(16, relu) ×2 + Dense(1, sigmoid): 160,305 parameters; overfits after ~4 epochs. */
    original: imdb("original", [relu(16), relu(16)]),
    /** Dense(4, relu) ×2: 40,029 parameters; lower capacity, overfits later. */
    smaller: imdb("smaller", [relu(4), relu(4)]),
    /** Dense(512, relu) ×2: 5,383,681 parameters; overfits almost at once. */
    larger: imdb("larger", [relu(512), relu(512)]),
    /** original with L2(0.002) on both hidden kernels. */
    l2: imdb("l2", [relu(16, { l2: 0.002 }), relu(16, { l2: 0.002 })]),
    /** original with L1(0.001) on both hidden kernels. */
    l1: imdb("l1", [relu(16, { l1: 0.001 }), relu(16, { l1: 0.001 })]),
    /** original with L1L2(l1=0.001, l2=0.001) on both hidden kernels. */
    l1l2: imdb("l1l2", [relu(16, { l1: 0.001, l2: 0.001 }), relu(16, { l1: 0.001, l2: 0.001 })]),
    /** original with Dropout(0.5) after each hidden layer. */
    dropout: imdb("dropout", [relu(16, { dropout: 0.5 }), relu(16, { dropout: 0.5 })]),
    /**
     * L2 and dropout together, as the TensorFlow "Overfit and underfit" tutorial's `combined_model`
     * (L2(0.0001) on every hidden kernel, Dropout(0.5) after each), on the original 16-16 network.
     */
    l2dropout: imdb("l2dropout", [relu(16, { l2: 0.0001, dropout: 0.5 }), relu(16, { l2: 0.0001, dropout: 0.5 })]),
  },
} satisfies Record<string, Record<string, ModelSpec>>);

type Catalog = typeof variants;

/** "mnist.small" | "mnist.large" | "imdb.tiny" | …: a typo fails to compile. */
export type VariantName = {
  [G in keyof Catalog]: `${G & string}.${keyof Catalog[G] & string}`;
}[keyof Catalog];

/** Every variant name, in catalog order. */
export const VARIANT_NAMES: readonly VariantName[] = Object.entries(variants).flatMap(([group, members]) =>
  Object.keys(members).map((member) => `${group}.${member}` as VariantName),
);

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** The catalog spec for `name` (frozen). */
export function getVariant(name: VariantName): ModelSpec {
  // Own properties only: "imdb.__proto__" or "imdb.toString" must not reach Object.prototype.
  const [group, member, ...rest] = typeof name === "string" ? name.split(".") : [];
  const catalog = variants as Record<string, Record<string, ModelSpec>>;
  const members = group !== undefined && hasOwn(catalog, group) ? catalog[group] : undefined;
  const spec =
    members && member !== undefined && rest.length === 0 && hasOwn(members, member) ? members[member] : undefined;
  if (!spec) {
    throw new Error(`Unknown variant ${showValue(name)}. Known variants: ${VARIANT_NAMES.join(", ")}.`);
  }
  return spec;
}

/**
 * Edits a notebook reader may make from a parameters cell. Hidden-layer fields apply to every
 * hidden layer; `units` may also be one number per hidden layer.
 */
export interface SpecChanges {
  name?: string;
  inputDim?: number;
  units?: number | number[];
  activation?: Activation;
  l1?: number;
  l2?: number;
  dropout?: number;
  learningRate?: number;
}

/** A validated copy of `spec` with `changes` applied; `spec` itself is never modified. */
export function withChanges(spec: ModelSpec, changes: SpecChanges = {}): ModelSpec {
  const known = new Set(["name", "inputDim", "units", "activation", "l1", "l2", "dropout", "learningRate"]);
  for (const key of Object.keys(changes)) {
    if (!known.has(key)) throw new Error(`withChanges: unknown change "${key}". Allowed: ${[...known].join(", ")}.`);
  }
  const { units } = changes;
  if (Array.isArray(units) && units.length !== spec.hidden.length) {
    throw new Error(
      `withChanges: units has ${units.length} entries but the model has ${spec.hidden.length} hidden layers; give one number per hidden layer, or a single number for all.`,
    );
  }
  const hidden = spec.hidden.map((layer, i): LayerSpec => {
    const next: LayerSpec = { ...layer };
    if (units !== undefined) next.units = Array.isArray(units) ? units[i] : units;
    if (changes.activation !== undefined) next.activation = changes.activation;
    if (changes.l1 !== undefined) next.l1 = changes.l1;
    if (changes.l2 !== undefined) next.l2 = changes.l2;
    if (changes.dropout !== undefined) next.dropout = changes.dropout;
    return next;
  });
  const next: ModelSpec = {
    ...spec,
    hidden,
    output: { ...spec.output },
    optimizer: { name: "rmsprop", ...spec.optimizer },
  };
  if (changes.name !== undefined) next.name = changes.name;
  if (changes.inputDim !== undefined) next.inputDim = changes.inputDim;
  if (changes.learningRate !== undefined) next.optimizer = { ...next.optimizer!, learningRate: changes.learningRate };
  validateSpec(next);
  return next;
}

/** `withChanges(getVariant(name), changes)`: e.g. `variant("imdb.l2", { l2: params.l2 })`. */
export function variant(name: VariantName, changes: SpecChanges = {}): ModelSpec {
  return withChanges(getVariant(name), changes);
}

// ---------------------------------------------------------------------------------------------
// Validation

const ACTIVATIONS: readonly Activation[] = ["relu", "sigmoid", "softmax", "linear", "tanh"];

function fail(field: string, value: unknown, allowed: string): never {
  failCheck("Invalid model spec", field, value, allowed);
}

function checkRate(field: string, value: unknown, allowed: string, ok: (v: number) => boolean): void {
  if (value !== undefined) finiteNumber("Invalid model spec", field, value, ok, allowed);
}

/** Throws an error naming the field, its value and the allowed range for anything a model cannot be built from. */
export function validateSpec(spec: ModelSpec): void {
  if (!spec || typeof spec !== "object") fail("spec", spec, "pass a ModelSpec such as variants.imdb.original");
  if (spec.name !== undefined && typeof spec.name !== "string") fail("name", spec.name, "it must be a string");
  if (spec.inputDim !== undefined && !(Number.isInteger(spec.inputDim) && spec.inputDim >= 1)) {
    fail(
      "inputDim",
      spec.inputDim,
      "it must be a positive integer (the number of input features), or absent to use the data's width",
    );
  }
  if (!Array.isArray(spec.hidden)) fail("hidden", spec.hidden, "it must be an array of layers (use [] for none)");
  spec.hidden.forEach((layer, i) => {
    const at = `hidden[${i}]`;
    if (!layer || typeof layer !== "object")
      fail(at, layer, "each hidden layer must be { units, activation?, l1?, l2?, dropout? }");
    if (!(Number.isInteger(layer.units) && layer.units >= 1))
      fail(`${at}.units`, layer.units, "it must be a positive integer such as 16");
    if (layer.activation !== undefined && !ACTIVATIONS.includes(layer.activation)) {
      fail(`${at}.activation`, layer.activation, `allowed: ${ACTIVATIONS.join(", ")}`);
    }
    checkRate(`${at}.l1`, layer.l1, "it must be a number ≥ 0 (e.g. 0.001; 0 means no L1 penalty)", (v) => v >= 0);
    checkRate(`${at}.l2`, layer.l2, "it must be a number ≥ 0 (e.g. 0.002; 0 means no L2 penalty)", (v) => v >= 0);
    checkRate(
      `${at}.dropout`,
      layer.dropout,
      "it must be in [0, 1) (e.g. 0.5; 0 means no dropout)",
      (v) => v >= 0 && v < 1,
    );
  });
  const out = spec.output;
  if (!out || typeof out !== "object") fail("output", out, 'it must be { units, activation: "softmax" | "sigmoid" }');
  if (!(Number.isInteger(out.units) && out.units >= 1))
    fail("output.units", out.units, "it must be a positive integer");
  if (spec.loss === "binary_crossentropy") {
    if (out.activation !== "sigmoid") fail("output.activation", out.activation, 'binary_crossentropy needs "sigmoid"');
    if (out.units !== 1) fail("output.units", out.units, "binary_crossentropy needs 1 output unit");
  } else if (spec.loss === "sparse_categorical_crossentropy") {
    if (out.activation !== "softmax")
      fail("output.activation", out.activation, 'sparse_categorical_crossentropy needs "softmax"');
    if (out.units < 2) fail("output.units", out.units, "sparse_categorical_crossentropy needs at least 2 classes");
  } else {
    fail("loss", spec.loss, 'allowed: "binary_crossentropy", "sparse_categorical_crossentropy"');
  }
  const opt = spec.optimizer;
  if (opt !== undefined) {
    if (!opt || opt.name !== "rmsprop")
      fail("optimizer.name", opt?.name, 'only "rmsprop" (the article\'s optimizer) is supported');
    checkRate(
      "optimizer.learningRate",
      opt.learningRate,
      "it must be a number > 0 (Keras default 0.001)",
      (v) => v > 0,
    );
    checkRate("optimizer.rho", opt.rho, "it must be in [0, 1) (Keras default 0.9)", (v) => v >= 0 && v < 1);
    checkRate("optimizer.epsilon", opt.epsilon, "it must be a number > 0 (Keras default 1e-7)", (v) => v > 0);
  }
}

/** Keras's rmsprop defaults filled in. */
export function optimizerSettings(spec: ModelSpec): Required<OptimizerSpec> {
  return { name: "rmsprop", learningRate: 0.001, rho: 0.9, epsilon: 1e-7, ...spec.optimizer };
}

function resolveInputDim(spec: ModelSpec, inputDim: number | undefined): number {
  const dim = inputDim ?? spec.inputDim;
  if (dim === undefined) {
    throw new Error(
      `inputDim is needed: the spec "${spec.name ?? "model"}" does not fix its input width. Pass it, e.g. buildModel(spec, 10000).`,
    );
  }
  if (!(Number.isInteger(dim) && dim >= 1))
    fail("inputDim", dim, "it must be a positive integer (the number of input features)");
  if (spec.inputDim !== undefined && inputDim !== undefined && inputDim !== spec.inputDim) {
    throw new Error(
      `inputDim = ${showValue(inputDim)} disagrees with the spec's inputDim = ${showValue(spec.inputDim)}; drop one of them.`,
    );
  }
  return dim;
}

// ---------------------------------------------------------------------------------------------
// Building, counting, summary

interface LayerRow {
  name: string;
  type: "Dense" | "Dropout";
  units: number;
  params: number;
}

/** The Keras layer list for a spec, with Keras's default names (dense, dense_1, dropout, …). */
function layerRows(spec: ModelSpec, inputDim: number): LayerRow[] {
  const rows: LayerRow[] = [];
  let dense = 0;
  let dropout = 0;
  const name = (base: string, i: number): string => (i === 0 ? base : `${base}_${i}`);
  let width = inputDim;
  for (const layer of spec.hidden) {
    rows.push({
      name: name("dense", dense++),
      type: "Dense",
      units: layer.units,
      params: width * layer.units + layer.units,
    });
    width = layer.units;
    if (layer.dropout) rows.push({ name: name("dropout", dropout++), type: "Dropout", units: width, params: 0 });
  }
  rows.push({
    name: name("dense", dense++),
    type: "Dense",
    units: spec.output.units,
    params: width * spec.output.units + spec.output.units,
  });
  return rows;
}

/** Trainable parameters, as Keras counts them (kernels + biases). imdb.original on 10,000 words: 160,305. */
export function countParams(spec: ModelSpec, inputDim?: number): number {
  validateSpec(spec);
  return layerRows(spec, resolveInputDim(spec, inputDim)).reduce((sum, row) => sum + row.params, 0);
}

export interface BuildOptions {
  /** Seeds the glorot-uniform kernels; default a random seed (fresh weights, as Keras). */
  seed?: number;
}

type Regularizer = ReturnType<typeof tf.regularizers.l1l2>;

function regularizer(layer: LayerSpec): Regularizer | undefined {
  const l1 = layer.l1 ?? 0;
  const l2 = layer.l2 ?? 0;
  if (l1 === 0 && l2 === 0) return undefined;
  return tf.regularizers.l1l2({ l1, l2 });
}

/**
 * Builds the spec as a compiled `tf.Sequential`: input [batch, inputDim] → output [batch, units]
 * (class probabilities for softmax, P(positive) for sigmoid). Kernels glorot-uniform from `seed`
 * (drawn in JavaScript, so identical on every backend), biases zero, L1/L2 as kernel regularizers,
 * Dropout layers where the spec says. Call `initBackend()` first; dispose the model when done.
 */
export function buildModel(spec: ModelSpec, inputDim?: number, options: BuildOptions = {}): tf.Sequential {
  validateSpec(spec);
  const dim = resolveInputDim(spec, inputDim);
  const rng = createRng(options.seed ?? Math.floor(Math.random() * 2 ** 31));
  const model = tf.sequential({ name: spec.name });
  const initial: Float32Array[] = [];
  let width = dim;
  const addDense = (units: number, activation: Activation, reg: Regularizer | undefined): void => {
    model.add(
      tf.layers.dense({
        units,
        activation,
        kernelInitializer: "zeros",
        biasInitializer: "zeros",
        kernelRegularizer: reg,
        ...(model.layers.length === 0 ? { inputShape: [dim] } : {}),
      }),
    );
    initial.push(glorotUniform(width, units, rng));
    width = units;
  };
  spec.hidden.forEach((layer) => {
    addDense(layer.units, layer.activation ?? "relu", regularizer(layer));
    if (layer.dropout) model.add(tf.layers.dropout({ rate: layer.dropout }));
  });
  addDense(spec.output.units, spec.output.activation, undefined);

  const dense = model.layers.filter((l) => l.getClassName() === "Dense");
  dense.forEach((layer, i) => {
    const [kernel] = layer.getWeights();
    // `write` assigns into the existing variable; the temporary is ours to free.
    const value = tf.tensor2d(initial[i], kernel.shape as [number, number]);
    layer.trainableWeights[0].write(value);
    value.dispose();
  });
  const opt = optimizerSettings(spec);
  model.compile({
    optimizer: tf.train.rmsprop(opt.learningRate, opt.rho, 0, opt.epsilon),
    loss: spec.loss === "binary_crossentropy" ? "binaryCrossentropy" : "sparseCategoricalCrossentropy",
    metrics: ["accuracy"],
  });
  return model;
}

/**
 * Reads a spec back from a Sequential of Dense (+ Dropout) layers, e.g. one a reader built by hand.
 * Throws naming the first layer that has no spec equivalent.
 */
export function specFromModel(model: tf.Sequential): ModelSpec {
  const layers = model.layers;
  const dense: { units: number; activation: string; l1: number; l2: number; dropout: number }[] = [];
  layers.forEach((layer, i) => {
    const type = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    if (type === "Dense") {
      if (config.useBias === false)
        throw new Error(`Layer ${i} ("${layer.name}") is a Dense without bias; fitlab's trainer needs biases.`);
      const reg = config.kernelRegularizer as
        { className?: string; config?: { l1?: number; l2?: number } } | null | undefined;
      if (reg && reg.className !== "L1L2") {
        throw new Error(
          `Layer ${i} ("${layer.name}") has a ${reg.className} kernel regularizer; only L1/L2 (tf.regularizers.l1, l2, l1l2) are supported.`,
        );
      }
      if (config.biasRegularizer || config.activityRegularizer) {
        throw new Error(
          `Layer ${i} ("${layer.name}") has a bias or activity regularizer; only kernel L1/L2 is supported.`,
        );
      }
      dense.push({
        units: config.units as number,
        activation: String(config.activation),
        l1: reg?.config?.l1 ?? 0,
        l2: reg?.config?.l2 ?? 0,
        dropout: 0,
      });
    } else if (type === "Dropout") {
      if (dense.length === 0)
        throw new Error(
          `Layer ${i} ("${layer.name}") is a Dropout before any Dense layer; fitlab applies dropout after a Dense layer.`,
        );
      const previous = dense[dense.length - 1];
      previous.dropout = 1 - (1 - previous.dropout) * (1 - (config.rate as number));
    } else {
      throw new Error(
        `Layer ${i} ("${layer.name}") is a ${type}; fitlab's trainer handles Sequential models of Dense and Dropout layers only.`,
      );
    }
  });
  if (dense.length === 0) throw new Error("The model has no Dense layer; add at least the output layer.");
  const last = dense[dense.length - 1];
  if (last.dropout) throw new Error("The model ends with Dropout; put the output Dense layer last.");
  if (last.activation !== "softmax" && last.activation !== "sigmoid") {
    throw new Error(
      `The output layer's activation is "${last.activation}"; fitlab trains softmax (classes) or sigmoid (binary) outputs.`,
    );
  }
  if (last.l1 || last.l2)
    throw new Error("The output layer has a kernel regularizer; fitlab's specs regularize hidden layers only.");
  const inputShape = model.inputs[0]?.shape;
  const spec: ModelSpec = {
    name: model.name,
    inputDim: typeof inputShape?.[1] === "number" ? inputShape[1] : undefined,
    hidden: dense.slice(0, -1).map((d) => {
      const layer: LayerSpec = { units: d.units, activation: d.activation as Activation };
      if (d.l1) layer.l1 = d.l1;
      if (d.l2) layer.l2 = d.l2;
      if (d.dropout) layer.dropout = d.dropout;
      return layer;
    }),
    output: { units: last.units, activation: last.activation },
    loss: last.activation === "softmax" ? "sparse_categorical_crossentropy" : "binary_crossentropy",
    optimizer: compiledOptimizer(model),
  };
  checkCompiledLoss(model, spec.loss);
  validateSpec(spec);
  return spec;
}

/**
 * The rmsprop settings a model was compiled with (Keras's defaults when it was not compiled): the
 * trainer runs rmsprop only, and must not silently replace another optimizer or learning rate.
 */
function compiledOptimizer(model: tf.Sequential): OptimizerSpec {
  const optimizer = (model as { optimizer?: tf.Optimizer }).optimizer;
  if (!optimizer) return { name: "rmsprop" };
  const className = optimizer.getClassName();
  const config = optimizer.getConfig() as {
    learningRate?: number;
    decay?: number;
    momentum?: number;
    epsilon?: number;
    centered?: boolean;
  };
  if (className !== "RMSProp" || (config.momentum ?? 0) !== 0 || config.centered) {
    throw new Error(
      `The model is compiled with ${className}${config.momentum ? ` (momentum ${config.momentum})` : ""}${config.centered ? " (centered)" : ""}; ` +
        "fitlab's trainer runs plain rmsprop, as the lesson does. Compile it with tf.train.rmsprop(learningRate, rho, 0, epsilon), or pass a spec with optimizer { learningRate, rho, epsilon }.",
    );
  }
  const spec: OptimizerSpec = { name: "rmsprop" };
  if (config.learningRate !== undefined) spec.learningRate = config.learningRate;
  if (config.decay !== undefined) spec.rho = config.decay;
  if (config.epsilon !== undefined) spec.epsilon = config.epsilon;
  return spec;
}

/** A compiled loss must be the one the output layer implies (the trainer computes that one). */
function checkCompiledLoss(model: tf.Sequential, expected: Loss): void {
  const loss = (model as { loss?: unknown }).loss;
  if (loss === undefined || loss === null) return;
  const name = typeof loss === "string" ? loss : typeof loss === "function" ? loss.name : String(loss);
  const normalized = name.replace(/_/g, "").toLowerCase();
  if (normalized !== expected.replace(/_/g, "").toLowerCase()) {
    throw new Error(
      `The model is compiled with loss "${name}", but its ${expected === "binary_crossentropy" ? "sigmoid" : "softmax"} output trains with ${expected} in fitlab. ` +
        `Compile it with loss "${expected}" (or pass a spec).`,
    );
  }
}

const pad = (text: string, width: number): string => (text.length >= width ? `${text} ` : text.padEnd(width));

/**
 * A table like Keras's `model.summary()`: layers, output shapes, parameter counts, totals.
 * Accepts a spec (with its input width) or a built tf.Sequential.
 */
export function summary(model: ModelSpec | tf.Sequential, inputDim?: number): string {
  let title: string;
  let rows: LayerRow[];
  if (model instanceof tf.Sequential) {
    title = model.name;
    rows = model.layers.map((layer) => {
      const shape = layer.outputShape as (number | null)[];
      return {
        name: layer.name,
        type: layer.getClassName() === "Dense" ? "Dense" : "Dropout",
        units: shape[shape.length - 1] as number,
        params: layer.countParams(),
      };
    });
  } else {
    validateSpec(model);
    title = model.name ?? "sequential";
    rows = layerRows(model, resolveInputDim(model, inputDim));
  }
  const total = rows.reduce((sum, r) => sum + r.params, 0);
  const line = "_".repeat(65);
  const out = [
    `Model: "${title}"`,
    line,
    " " + pad("Layer (type)", 28) + pad("Output Shape", 26) + "Param #",
    "=".repeat(65),
  ];
  rows.forEach((r, i) => {
    out.push(" " + pad(`${r.name} (${r.type})`, 28) + pad(`(None, ${r.units})`, 26) + String(r.params));
    if (i < rows.length - 1) out.push("");
  });
  out.push("=".repeat(65));
  out.push(`Total params: ${total.toLocaleString("en-US")}`);
  out.push(`Trainable params: ${total.toLocaleString("en-US")}`);
  out.push("Non-trainable params: 0");
  out.push(line);
  return out.join("\n");
}
