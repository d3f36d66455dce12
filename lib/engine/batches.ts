/**
 * Builds training and evaluation batches in JavaScript from plain feature rows.
 *
 * Why not slice a device tensor: on wasm, `gather`/`slice` of 512 rows out of a 25,000 × 10,000
 * tensor costs 150–190 ms per batch, and the dense IMDB tensor alone is 1 GB. Copying the chosen
 * rows (dense) or listing their ids (sparse) in JavaScript and uploading just the batch is far
 * cheaper and keeps memory to the plain arrays.
 */
import * as tf from "@tensorflow/tfjs";
import type { DenseMatrix, Features, MultiHotMatrix } from "../types";
import { disposeSparseTensors, SparseRows, SparseTensors, uploadSparseRows } from "./sparseMatMul";
import { tensorFilled } from "./wasmHeap";

/** One uploaded input batch: a dense [rows, cols] tensor or sparse rows for `sparseMatMul`. */
export type InputBatch =
  { kind: "dense"; rows: number; x: tf.Tensor2D } | { kind: "sparse"; rows: number; x: SparseTensors };

export function disposeInputBatch(batch: InputBatch): void {
  if (batch.kind === "dense") batch.x.dispose();
  else disposeSparseTensors(batch.x);
}

/** How dense rows are fed to the first layer. */
export type DenseMode = "dense" | "sparse";

/** Makes batches of selected rows of one feature matrix. */
export interface BatchMaker {
  rows: number;
  cols: number;
  /** Uploads rows order[start], …, order[end - 1] (or start … end - 1 when order is omitted). */
  make(start: number, end: number, order?: Int32Array): InputBatch;
}

/** Compressed sparse rows of a dense matrix: the non-zeros of each row, for the sparse path. */
interface Csr {
  rowStart: Int32Array;
  ids: Int32Array;
  values: Float32Array;
}

function toCsr(m: DenseMatrix): Csr {
  const { rows, cols, data } = m;
  let nnz = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
  const rowStart = new Int32Array(rows + 1);
  const ids = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = k;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[base + c];
      if (v !== 0) {
        ids[k] = c;
        values[k++] = v;
      }
    }
  }
  rowStart[rows] = k;
  return { rowStart, ids, values };
}

const rowAt = (order: Int32Array | undefined, i: number): number => (order ? order[i] : i);

function denseMaker(m: DenseMatrix): BatchMaker {
  const { rows, cols, data } = m;
  return {
    rows,
    cols,
    make(start, end, order) {
      const n = end - start;
      if (!order) {
        // Contiguous rows: a view, no copy (tensor2d copies it into the backend anyway).
        return { kind: "dense", rows: n, x: tf.tensor2d(data.subarray(start * cols, end * cols), [n, cols]) };
      }
      // The rows straight into the batch tensor's memory (no array in between: for mnist.small that
      // copy and its garbage were 1.5 s of a 7.8 s run, measured).
      const x = tensorFilled([n, cols], "float32", (out) => {
        for (let i = 0; i < n; i++) {
          const r = order[start + i];
          out.set(data.subarray(r * cols, (r + 1) * cols), i * cols);
        }
      }) as tf.Tensor2D;
      return { kind: "dense", rows: n, x };
    },
  };
}

/** One row's non-zeros: column ids, and their values (absent: all 1, as in multi-hot rows). */
interface RowEntries {
  ids: Int32Array;
  values?: Float32Array;
}

/** Batches of sparse rows (ids, owning row, optional values), copied in the order asked for. */
function sparseMaker(rows: number, cols: number, weighted: boolean, row: (r: number) => RowEntries): BatchMaker {
  return {
    rows,
    cols,
    make(start, end, order) {
      const n = end - start;
      const entries: RowEntries[] = [];
      let nnz = 0;
      for (let i = start; i < end; i++) {
        const e = row(rowAt(order, i));
        entries.push(e);
        nnz += e.ids.length;
      }
      const batch: SparseRows = { rows: n, cols, ids: new Int32Array(nnz), rowOf: new Int32Array(nnz) };
      if (weighted) batch.values = new Float32Array(nnz);
      let k = 0;
      entries.forEach((e, i) => {
        batch.ids.set(e.ids, k);
        if (batch.values && e.values) batch.values.set(e.values, k);
        batch.rowOf.fill(i, k, k + e.ids.length);
        k += e.ids.length;
      });
      return { kind: "sparse", rows: n, x: uploadSparseRows(batch) };
    },
  };
}

/** Dense rows through the sparse layer: only their non-zero pixels, weighted by value. */
function csrMaker(m: DenseMatrix): BatchMaker {
  const csr = toCsr(m);
  return sparseMaker(m.rows, m.cols, true, (r) => {
    const from = csr.rowStart[r];
    const to = csr.rowStart[r + 1];
    return { ids: csr.ids.subarray(from, to), values: csr.values.subarray(from, to) };
  });
}

function multiHotMaker(m: MultiHotMatrix): BatchMaker {
  return sparseMaker(m.rows, m.cols, false, (r) => ({ ids: m.ids[r] }));
}

/**
 * A batch maker for `x`. Multi-hot rows always take the sparse path; dense rows take `denseMode`
 * ("dense": copied rows and a matMul; "sparse": their non-zeros through the same sparse layer).
 */
export function batchMaker(x: Features, denseMode: DenseMode = "dense"): BatchMaker {
  if (x.kind === "multihot") return multiHotMaker(x);
  return denseMode === "sparse" ? csrMaker(x) : denseMaker(x);
}

/** The rows [start, end) of a feature matrix, as plain data (for the validation split). */
export function sliceRows(x: Features, start: number, end: number): Features {
  if (x.kind === "multihot") return { kind: "multihot", rows: end - start, cols: x.cols, ids: x.ids.slice(start, end) };
  return { kind: "dense", rows: end - start, cols: x.cols, data: x.data.subarray(start * x.cols, end * x.cols) };
}
