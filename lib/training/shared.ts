/**
 * Training data in shared memory, so pool workers read the kernel's one copy instead of each
 * holding its own (MNIST's pixels are 188 MB as float32; copying them per job or per worker would
 * multiply that).
 *
 * A DenseMatrix's floats, and a MultiHotMatrix's rows flattened to CSR (row offsets + ids), are
 * copied into SharedArrayBuffers once per Features object (a WeakMap; data already in a
 * SharedArrayBuffer is used as it is). Posting them to a worker shares the memory, no copy. The
 * copy is made at the first pooled run: a matrix changed in place afterwards would leave the workers
 * with its old values, so a later pooled run on it is refused (`checkUnchanged`): make a new matrix
 * instead, as every fitlab loader does.
 */
import { fingerprint } from "../runs/runCache";
import type { Features } from "../types";

/** A Features matrix whose arrays live in SharedArrayBuffers; `id` names it for the workers' caches. */
export type SharedFeatures =
  | { id: number; kind: "dense"; rows: number; cols: number; data: Float32Array }
  | { id: number; kind: "multihot"; rows: number; cols: number; offsets: Int32Array; ids: Int32Array };

const shared = new WeakMap<Features, SharedFeatures>();
/** The content hash of each matrix copied for the workers, taken as it was copied. */
const copiedAs = new WeakMap<Features, string>();
let nextId = 1;

/**
 * Throws when `x` was copied for the workers by an earlier run and has changed in place since (the
 * workers would train on its old values). Data the workers share rather than a copy of (already in a
 * SharedArrayBuffer, as fitlab's copy of a tensor) cannot go stale and is not hashed.
 */
export function checkUnchanged(x: Features): void {
  const was = copiedAs.get(x);
  if (was !== undefined && fingerprint(x) !== was) {
    throw new Error(
      "train: x was changed in place after an earlier run on the training workers copied it, so they hold its old values. " +
        "Pass a new matrix instead (e.g. { ...x, data: Float32Array.from(x.data) } with the new values), as fitlab's loaders make.",
    );
  }
}

function sharedCopy<T extends Float32Array | Int32Array>(
  make: (buffer: SharedArrayBuffer) => T,
  source: ArrayLike<number>,
  bytes: number,
): T {
  const out = make(new SharedArrayBuffer(bytes));
  out.set(source);
  return out;
}

/** The shared form of `x`, made once per object. */
export function shareFeatures(x: Features): SharedFeatures {
  const known = shared.get(x);
  if (known) return known;
  let s: SharedFeatures;
  if (x.kind === "dense") {
    const inPlace = x.data.buffer instanceof SharedArrayBuffer;
    const data = inPlace ? x.data : sharedCopy((b) => new Float32Array(b), x.data, x.data.byteLength);
    if (!inPlace) copiedAs.set(x, fingerprint(x));
    s = { id: nextId++, kind: "dense", rows: x.rows, cols: x.cols, data };
  } else {
    copiedAs.set(x, fingerprint(x));
    const offsets = new Int32Array(new SharedArrayBuffer(4 * (x.rows + 1)));
    for (let r = 0; r < x.rows; r++) offsets[r + 1] = offsets[r] + x.ids[r].length;
    const ids = new Int32Array(new SharedArrayBuffer(4 * offsets[x.rows]));
    for (let r = 0; r < x.rows; r++) ids.set(x.ids[r], offsets[r]);
    s = { id: nextId++, kind: "multihot", rows: x.rows, cols: x.cols, offsets, ids };
  }
  shared.set(x, s);
  return s;
}

/** The Features a worker trains on: views into the shared arrays, nothing copied. */
export function featuresFromShared(s: SharedFeatures): Features {
  if (s.kind === "dense") return { kind: "dense", rows: s.rows, cols: s.cols, data: s.data };
  const ids: Int32Array[] = new Array(s.rows);
  for (let r = 0; r < s.rows; r++) ids[r] = s.ids.subarray(s.offsets[r], s.offsets[r + 1]);
  return { kind: "multihot", rows: s.rows, cols: s.cols, ids };
}
