/**
 * The training-time computation of a Sequential of Dense (+ Dropout) layers, written directly on
 * the model's own weight variables: forward pass, Keras's losses and penalties, the gradients of a
 * batch or of a part of it, and evaluation (training/steps.ts turns gradients into optimizer
 * steps). Working on the variables (rather than calling `model.fit`) lets the first layer take
 * sparse input and lets batches come from JavaScript; the model is updated in place.
 */
import * as tf from "@tensorflow/tfjs";
import type { Activation, Loss } from "../lesson/models";
import { InputBatch } from "./batches";
import { sparseMatMul } from "./sparseMatMul";

/** One Dense layer's variables and settings. kernel [in, units], bias [units]. */
export interface DenseParams {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
  activation: Activation;
  l1: number;
  l2: number;
  /** Dropout rate applied after this layer during training (0: none). */
  dropout: number;
}

/**
 * Labels of one batch, uploaded: binary → [rows, 1] of 0/1; categorical → one-hot [rows, classes].
 * `values` keeps the plain labels for accuracy.
 */
export interface LabelBatch {
  target: tf.Tensor2D;
  values: Float32Array;
}

export function uploadLabels(
  labels: Float32Array,
  loss: Loss,
  classes: number,
  start: number,
  end: number,
  order?: Int32Array,
): LabelBatch {
  const n = end - start;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = labels[order ? order[start + i] : start + i];
  if (loss === "binary_crossentropy") return { target: tf.tensor2d(values, [n, 1]), values };
  const oneHot = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) oneHot[i * classes + values[i]] = 1;
  return { target: tf.tensor2d(oneHot, [n, classes]), values };
}

function activate(z: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case "relu":
      return tf.relu(z);
    case "sigmoid":
      return tf.sigmoid(z);
    case "tanh":
      return tf.tanh(z);
    case "softmax":
      return tf.softmax(z);
    case "linear":
      return z;
  }
}

export interface ForwardOptions {
  training: boolean;
  /** A fresh seed for each dropout mask (training only). */
  nextSeed?: () => number;
}

/**
 * The network's output before the final activation (logits), [rows, outputUnits]. Keras computes
 * its cross-entropies from these too (it reads the logits under a final sigmoid/softmax), which is
 * numerically stable where the probabilities round to 0 or 1.
 */
export function forwardLogits(layers: DenseParams[], input: InputBatch, options: ForwardOptions): tf.Tensor2D {
  let h: tf.Tensor2D | undefined;
  const last = layers.length - 1;
  layers.forEach((layer, i) => {
    const isOutput = i === last;
    const activation = isOutput ? "linear" : layer.activation;
    let z: tf.Tensor2D;
    if (i === 0 && input.kind === "sparse") {
      z = activate(tf.add(sparseMatMul(input.x, layer.kernel), layer.bias), activation);
    } else {
      const a = i === 0 ? (input.x as tf.Tensor2D) : h!;
      // Fused matMul + bias (+ relu) is one kernel forward, but its gradient always computes the
      // input's gradient too (and supports linear/relu only): not for the first layer, whose input
      // needs none (the tape prunes it for a plain matMul), e.g. 128 × 128 × 784 MACs per MNIST step.
      z =
        i > 0 && (activation === "relu" || activation === "linear")
          ? (tf.fused.matMul({ a, b: layer.kernel, bias: layer.bias, activation }) as tf.Tensor2D)
          : activate(tf.add(tf.matMul(a, layer.kernel), layer.bias), activation);
    }
    if (!isOutput && options.training && layer.dropout > 0) {
      // Inverted dropout as Keras: keep with probability 1 - rate, scale kept values by 1 / (1 - rate).
      z = tf.dropout(z, layer.dropout, undefined, options.nextSeed ? options.nextSeed() : undefined) as tf.Tensor2D;
    }
    h = z;
  });
  return h!;
}

/** Mean cross-entropy of a batch from logits (a scalar), as Keras's loss for a sigmoid/softmax output. */
export function crossEntropy(logits: tf.Tensor2D, target: tf.Tensor2D, loss: Loss): tf.Scalar {
  if (loss === "binary_crossentropy") {
    // max(z, 0) − z·y + log(1 + e^(−|z|)): TensorFlow's sigmoid_cross_entropy_with_logits.
    const z = logits;
    return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, target)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar;
  }
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** Σ over layers of l1·Σ|W| + l2·ΣW² (Keras's kernel_regularizer terms), or undefined when none. */
export function penalty(layers: DenseParams[]): tf.Scalar | undefined {
  let total: tf.Scalar | undefined;
  for (const layer of layers) {
    const terms: tf.Scalar[] = [];
    if (layer.l1 > 0) terms.push(tf.mul(layer.l1, tf.sum(tf.abs(layer.kernel))));
    if (layer.l2 > 0) terms.push(tf.mul(layer.l2, tf.sum(tf.square(layer.kernel))));
    for (const term of terms) total = total ? (tf.add(total, term) as tf.Scalar) : term;
  }
  return total;
}

/** Correct predictions among `rows` logits: sigmoid > 0.5 (z > 0) or the arg-max class, as Keras's accuracy. */
export function countCorrect(logits: Float32Array, labels: Float32Array, loss: Loss, classes: number): number {
  let correct = 0;
  if (loss === "binary_crossentropy") {
    for (let i = 0; i < labels.length; i++) if ((logits[i] > 0 ? 1 : 0) === labels[i]) correct++;
    return correct;
  }
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    const base = i * classes;
    for (let c = 1; c < classes; c++) if (logits[base + c] > logits[base + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}

/** The trainable variables in `model.getWeights()` order: kernel, bias per layer. */
export function variablesOf(layers: DenseParams[]): tf.Variable[] {
  return layers.flatMap((l) => [l.kernel as tf.Variable, l.bias as tf.Variable]);
}

export interface EvalSums {
  rows: number;
  /** Σ over rows of the cross-entropy. */
  crossentropySum: number;
  correct: number;
}

/** Cross-entropy sum and correct count of one batch, without dropout and without gradients. */
export function evaluateBatch(layers: DenseParams[], input: InputBatch, labels: LabelBatch, loss: Loss): EvalSums {
  const classes = layers[layers.length - 1].kernel.shape[1];
  return tf.tidy(() => {
    const z = forwardLogits(layers, input, { training: false });
    const ce = crossEntropy(z, labels.target, loss).dataSync()[0];
    return {
      rows: input.rows,
      crossentropySum: ce * input.rows,
      correct: countCorrect(z.dataSync() as Float32Array, labels.values, loss, classes),
    };
  });
}

/** The current penalty value (0 without regularization). */
export function penaltyValue(layers: DenseParams[]): number {
  return tf.tidy(() => {
    const p = penalty(layers);
    return p ? p.dataSync()[0] : 0;
  });
}

/** How a part of a batch counts in the batch's gradient. */
export interface PartShare {
  /** The part's mean cross-entropy is multiplied by this: its share of the batch's rows (1: the whole batch). */
  weight: number;
  /** Whether the L1/L2 penalty is in this part's gradient (exactly one part of a batch carries it). */
  penalty: boolean;
}

export interface PartGradients {
  /** d(weight · mean cross-entropy [+ penalty])/dW per variable, in `variablesOf` order. Dispose them. */
  grads: tf.Tensor[];
  /** The differentiated value (float32): weight · mean cross-entropy [+ penalty]; a whole batch's Keras loss. */
  objective: number;
  /** The part's mean cross-entropy (float32). */
  crossentropy: number;
  correct: number;
  /** The penalty at the current weights (0 without regularization, or when this part does not carry it). */
  penalty: number;
}

/**
 * The gradients of a batch, or of one part of it, not applied: the one computation of training.
 * A step of one part applies them as they are (share { weight: 1, penalty: true }); a step of two
 * parts (training/steps.ts) sums the parts' gradients, the first weighted by its share of the
 * rows and carrying the penalty, the second by its share alone, so their sum is the whole batch's.
 */
export function partGradients(
  layers: DenseParams[],
  input: InputBatch,
  labels: LabelBatch,
  loss: Loss,
  nextSeed: () => number,
  share: PartShare,
): PartGradients {
  const classes = layers[layers.length - 1].kernel.shape[1];
  let logits: tf.Tensor2D | undefined;
  let ce: tf.Scalar | undefined;
  let pen: tf.Scalar | undefined;
  const variables = variablesOf(layers);
  const { value, grads } = tf.variableGrads(() => {
    const z = forwardLogits(layers, input, { training: true, nextSeed });
    const plain = crossEntropy(z, labels.target, loss);
    const extra = share.penalty ? penalty(layers) : undefined;
    logits = tf.keep(z);
    ce = tf.keep(plain);
    if (extra) pen = tf.keep(extra);
    // No multiply for a whole batch: one kernel fewer forward and backward (small IMDB steps are
    // dispatch-bound), and its numbers stay those of the step before parts existed.
    const weighted = share.weight === 1 ? plain : (tf.mul(plain, share.weight) as tf.Scalar);
    return extra ? (tf.add(weighted, extra) as tf.Scalar) : weighted;
  }, variables);
  const result: PartGradients = {
    grads: variables.map((v) => grads[v.name]),
    objective: value.dataSync()[0],
    crossentropy: ce!.dataSync()[0],
    correct: countCorrect(logits!.dataSync() as Float32Array, labels.values, loss, classes),
    penalty: pen ? pen.dataSync()[0] : 0,
  };
  tf.dispose([value, logits!, ce!, ...(pen ? [pen] : [])]);
  return result;
}
