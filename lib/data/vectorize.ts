/**
 * Turns loaded data into feature matrices: the article's multi-hot `vectorize_sequences` (in its
 * compact form, plus the dense form on request) and flattened, scaled images.
 */
import type { DenseMatrix, Features, MultiHotMatrix } from "../types";
import type { MnistSplit } from "./mnist";
import { finiteNumber, integerIn, showValue } from "../check";

/**
 * The widest multi-hot matrix: IMDB has 88,584 distinct words; 10 M columns already make a first
 * Dense(16) layer of 640 MB, and far larger sizes fail inside the typed-array allocation with
 * "Invalid typed array length", which names nothing.
 */
export const MAX_DIMENSION = 10_000_000;

/**
 * The article's `vectorize_sequences(sequences, dimension)`, compactly: row i holds the sorted unique
 * ids of sequences[i] (the columns set to 1). Shape [sequences.length, dimension] when densified.
 * Throws when an id is not an integer in [0, dimension), naming the row, position and value
 * (numpy would wrap negative ids or fail on large ones).
 */
export function vectorizeSequences(sequences: ArrayLike<number>[], dimension = 10000): MultiHotMatrix {
  integerIn(
    "vectorizeSequences",
    "dimension",
    dimension,
    1,
    MAX_DIMENSION,
    "the vocabulary size, e.g. 10000; Dense(16) on 10,000,000 inputs already holds 640 MB of weights",
  );
  const seen = new Uint8Array(dimension);
  const ids = sequences.map((sequence, row) => {
    const unique: number[] = [];
    for (let j = 0; j < sequence.length; j++) {
      const id = sequence[j];
      if (!Number.isInteger(id) || id < 0 || id >= dimension) {
        throw new Error(
          `vectorizeSequences: row ${row}, position ${j} holds id ${showValue(id)}, outside 0..${dimension - 1}: ` +
            `load the data with numWords <= ${dimension} (e.g. imdb.loadData({ numWords: ${dimension} })) or raise dimension.`,
        );
      }
      if (!seen[id]) {
        seen[id] = 1;
        unique.push(id);
      }
    }
    for (const id of unique) seen[id] = 0;
    return Int32Array.from(unique).sort();
  });
  return { kind: "multihot", rows: sequences.length, cols: dimension, ids };
}

/** The dense 0/1 matrix [rows, cols] of a multi-hot matrix, as the article builds it; dense input is returned as is. */
export function toDenseMatrix(matrix: Features): DenseMatrix {
  if (matrix.kind === "dense") return matrix;
  const data = new Float32Array(matrix.rows * matrix.cols);
  matrix.ids.forEach((row, i) => {
    for (const id of row) data[i * matrix.cols + id] = 1;
  });
  return { kind: "dense", rows: matrix.rows, cols: matrix.cols, data };
}

/**
 * Images [count, rows, cols] as the dense matrix [count, rows × cols] divided by `scale`: the article's
 * `reshape((60000, 28 * 28)).astype("float32") / 255`. Pixels 0..255 become 0..1 with the default scale.
 */
export function flattenImages(split: Pick<MnistSplit, "images" | "count" | "rows" | "cols">, scale = 255): DenseMatrix {
  finiteNumber(
    "flattenImages",
    "scale",
    scale,
    (v) => v > 0,
    "it must be a positive number (255 maps pixels to [0, 1])",
  );
  const cols = split.rows * split.cols;
  if (split.images.length !== split.count * cols) {
    throw new Error(
      `flattenImages: ${split.images.length} pixels do not make ${split.count} images of ${split.rows} × ${split.cols}.`,
    );
  }
  const data = new Float32Array(split.images.length);
  for (let i = 0; i < data.length; i++) data[i] = split.images[i] / scale;
  return { kind: "dense", rows: split.count, cols, data };
}
