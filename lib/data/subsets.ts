/**
 * Fewer training rows against the same validation rows: the book's first remedy for overfitting
 * (more data) compared fairly. `validationSplit` holds out the LAST rows (as Keras), so the
 * validation rows of the full data are kept as they are and only the training rows in front of them
 * are cut. Plain data in, plain data out; nothing trains here.
 */
import { fail, integerIn } from "../check";
import { splitRows } from "../training/options";
import type { DenseMatrix, Features, MultiHotMatrix } from "../types";

export interface FixedValidation<F extends Features> {
  /** The first `trainRows` training rows, then the validation rows of the full data. */
  x: F;
  y: Float32Array;
  /** The split that holds out exactly those validation rows (pass it to train / trainSeeds). */
  validationSplit: number;
  trainRows: number;
  validationRows: number;
}

function rowsOf<F extends Features>(x: F, pick: number[]): F {
  if (x.kind === "multihot")
    return { kind: "multihot", rows: pick.length, cols: x.cols, ids: pick.map((r) => x.ids[r]) } as MultiHotMatrix as F;
  const data = new Float32Array(pick.length * x.cols);
  pick.forEach((r, i) => data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols));
  return { kind: "dense", rows: pick.length, cols: x.cols, data } as DenseMatrix as F;
}

/**
 * The data `x`, `y` (split by `validationSplit` as train would) cut to its first `trainRows`
 * training rows, with the same validation rows. With every training row it returns `x` itself and
 * the same split, so the run is the one already trained (and cached).
 *
 * e.g. 25,000 IMDB reviews at 0.4 → 15,000 training + 10,000 validation; `trainRows` 5,000 gives
 * 15,000 rows whose split (2/3) holds out the same 10,000.
 */
export function withFixedValidation<F extends Features>(
  x: F,
  y: ArrayLike<number>,
  trainRows: number,
  validationSplit: number,
): FixedValidation<F> {
  const where = "withFixedValidation";
  if (!x || (x.kind !== "multihot" && x.kind !== "dense"))
    fail(where, "x", x, "pass the features train takes (a MultiHotMatrix from vectorizeSequences or a DenseMatrix)");
  if (!y || y.length !== x.rows) fail(where, "y", y?.length, `it must have one label per row of x (${x.rows})`);
  if (!(validationSplit > 0 && validationSplit < 1))
    fail(where, "validationSplit", validationSplit, "it must be in (0, 1): the validation rows to keep fixed");
  const { nTrain, nVal } = splitRows(x.rows, validationSplit);
  integerIn(
    where,
    "trainRows",
    trainRows,
    1,
    nTrain,
    `at most the ${nTrain} training rows the split leaves (the other ${nVal} rows validate)`,
  );
  if (trainRows === nTrain) return { x, y: Float32Array.from(y), validationSplit, trainRows, validationRows: nVal };
  const pick = [...Array(trainRows).keys(), ...Array.from({ length: nVal }, (_, i) => nTrain + i)];
  const rows = pick.length;
  // The split holding out exactly nVal of `rows`: floor(rows × (1 − s)) must be trainRows; nudge s
  // down by ulps where floating point rounds the product just below an integer.
  let split = nVal / rows;
  for (let i = 0; i < 8 && Math.floor(rows * (1 - split)) !== trainRows; i++) split -= Number.EPSILON * 4;
  if (Math.floor(rows * (1 - split)) !== trainRows)
    throw new Error(`${where}: no validationSplit holds out exactly ${nVal} of ${rows} rows (internal error).`);
  return {
    x: rowsOf(x, pick),
    y: Float32Array.from(pick, (r) => y[r]),
    validationSplit: split,
    trainRows,
    validationRows: nVal,
  };
}
