/**
 * The first Dense layer on sparse input, without building the dense input matrix.
 *
 * For a multi-hot row (a set of column ids), x·W is the sum of W's rows at those ids; for a sparse
 * row with values it is the values-weighted sum. Forward and backward are both segment sums, which
 * every backend has (`SparseSegmentSum`), whereas `tf.gather`'s own gradient needs
 * `UnsortedSegmentSum`, missing on wasm. Hence a `tf.customGrad` with a hand-written gradient:
 *   forward   out[r]   = Σ_{k in row r} v_k · W[id_k]                 shape [rows, units]
 *   backward  dW[id]   = Σ_{k with id_k = id} v_k · dy[row_k]         shape [inputDim, units]
 * Numerically this is Dense on the dense input (same products, summed in column order).
 */
import * as tf from "@tensorflow/tfjs";

/** One batch of sparse rows, laid out twice: by row (forward) and by column id (backward). */
export interface SparseRows {
  /** Rows in the batch. */
  rows: number;
  /** The dense width (the kernel's first dimension). */
  cols: number;
  /** Column ids of the non-zeros, row by row (ascending rows). */
  ids: Int32Array;
  /** rowOf[k] = the batch row of non-zero k; non-decreasing. */
  rowOf: Int32Array;
  /** The non-zero values, or undefined when all are 1 (multi-hot). */
  values?: Float32Array;
}

/** Device tensors for one SparseRows batch. Dispose with `disposeSparseTensors`. */
export interface SparseTensors {
  rows: number;
  cols: number;
  /** [nnz] int32: column ids in row order. */
  ids: tf.Tensor1D;
  /** [nnz] int32: batch row of each non-zero (non-decreasing). */
  rowOf: tf.Tensor1D;
  /** [nnz, 1] float32 values, when not multi-hot. */
  values?: tf.Tensor2D;
  /** [nnz + 1] int32: positions into [dy; 0] ordered by column id (+ one pointer to the zero row). */
  gradRows: tf.Tensor1D;
  /** [nnz + 1] int32: the column id of each, non-decreasing, ending with cols - 1. */
  gradIds: tf.Tensor1D;
  /** [nnz + 1, 1] float32 values in the backward order (last 0), when not multi-hot. */
  gradValues?: tf.Tensor2D;
}

/**
 * Uploads a batch, adding the backward (column-sorted) order by a counting sort: O(nnz + cols).
 * The backward lists end with one extra entry pointing at an appended zero row of dy with id
 * cols - 1, so the segment sum always yields exactly `cols` rows (segment sums size their output by
 * the last id) without padding a [cols, units] matrix.
 */
export function uploadSparseRows(batch: SparseRows): SparseTensors {
  const { ids, rowOf, values, rows, cols } = batch;
  const nnz = ids.length;
  const start = new Int32Array(cols + 1);
  for (let k = 0; k < nnz; k++) start[ids[k] + 1]++;
  for (let c = 0; c < cols; c++) start[c + 1] += start[c];
  const gradRows = new Int32Array(nnz + 1);
  const gradIds = new Int32Array(nnz + 1);
  const gradValues = values ? new Float32Array(nnz + 1) : undefined;
  const fill = start.slice(0, cols);
  for (let k = 0; k < nnz; k++) {
    const pos = fill[ids[k]]++;
    gradRows[pos] = rowOf[k];
    gradIds[pos] = ids[k];
    if (gradValues && values) gradValues[pos] = values[k];
  }
  gradRows[nnz] = rows; // the appended zero row of dy
  gradIds[nnz] = cols - 1;
  return {
    rows,
    cols,
    ids: tf.tensor1d(ids, "int32"),
    rowOf: tf.tensor1d(rowOf, "int32"),
    values: values ? tf.tensor2d(values, [nnz, 1]) : undefined,
    gradRows: tf.tensor1d(gradRows, "int32"),
    gradIds: tf.tensor1d(gradIds, "int32"),
    gradValues: gradValues ? tf.tensor2d(gradValues, [nnz + 1, 1]) : undefined,
  };
}

export function disposeSparseTensors(t: SparseTensors): void {
  tf.dispose([t.ids, t.rowOf, t.gradRows, t.gradIds]);
  if (t.values) t.values.dispose();
  if (t.gradValues) t.gradValues.dispose();
}

/** Appends zero rows so a segment sum that ended early (trailing empty rows) has `rows` rows. */
function padRows(x: tf.Tensor2D, rows: number): tf.Tensor2D {
  const have = x.shape[0];
  return have === rows
    ? x
    : tf.pad(x, [
        [0, rows - have],
        [0, 0],
      ]);
}

/**
 * x·kernel for sparse x, with the gradient with respect to the kernel.
 * @param x the batch (see uploadSparseRows); its tensors are constants (no gradient).
 * @param kernel [cols, units]
 * @returns [rows, units]
 */
export function sparseMatMul(x: SparseTensors, kernel: tf.Tensor2D): tf.Tensor2D {
  if (kernel.shape[0] !== x.cols) {
    throw new Error(`sparseMatMul: the kernel has ${kernel.shape[0]} rows but the input is ${x.cols} wide.`);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const w2 = args[0] as tf.Tensor2D;
    const value = tf.tidy(() => {
      if (x.ids.shape[0] === 0) return tf.zeros([x.rows, w2.shape[1]]) as tf.Tensor2D;
      let summed: tf.Tensor2D;
      if (x.values) {
        const picked = tf.mul(tf.gather(w2, x.ids), x.values);
        summed = tf.sparse.sparseSegmentSum(picked, tf.range(0, x.ids.shape[0], 1, "int32"), x.rowOf) as tf.Tensor2D;
      } else {
        summed = tf.sparse.sparseSegmentSum(w2, x.ids, x.rowOf) as tf.Tensor2D;
      }
      return padRows(summed, x.rows);
    });
    const gradFunc = (dy: tf.Tensor2D): tf.Tensor =>
      tf.tidy(() => {
        const dyWithZero = tf.concat([dy, tf.zeros([1, dy.shape[1]])], 0);
        if (x.gradValues) {
          const picked = tf.mul(tf.gather(dyWithZero, x.gradRows), x.gradValues);
          return tf.sparse.sparseSegmentSum(picked, tf.range(0, x.gradRows.shape[0], 1, "int32"), x.gradIds);
        }
        return tf.sparse.sparseSegmentSum(dyWithZero, x.gradRows, x.gradIds);
      });
    return { value, gradFunc };
  });
  return op(kernel) as tf.Tensor2D;
}
