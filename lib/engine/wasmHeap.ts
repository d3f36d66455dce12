/**
 * Tensor memory on the wasm backend without copies: a tensor's values read in place, and a new
 * tensor written in place. Fresh memory is what costs on this machine (about 1.2 s per new 188 MB),
 * and `dataSync` or `tf.tensor(array)` each add a copy. Other backends get the plain calls.
 *
 * A view is valid until the next allocation on the backend (growing the wasm memory detaches it).
 */
import * as tf from "@tensorflow/tfjs";

type NumericArray = Float32Array | Int32Array;

interface WasmBackend {
  makeOutput(shape: number[], dtype: "float32" | "int32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): NumericArray;
}

function wasm(): WasmBackend | undefined {
  const backend = tf.backend() as unknown as Partial<WasmBackend>;
  return tf.getBackend() === "wasm" && backend.makeOutput && backend.typedArrayFromHeap
    ? (backend as WasmBackend)
    : undefined;
}

/** A float32 tensor's values: the wasm heap itself (read-only, no copy), else `dataSync`. */
export function heapView(t: tf.Tensor | tf.TensorInfo): Float32Array {
  const backend = wasm();
  return backend
    ? (backend.typedArrayFromHeap(t as tf.TensorInfo) as Float32Array)
    : ((t as tf.Tensor).dataSync() as Float32Array);
}

/** A new tensor whose values `fill` writes in place (on the wasm heap; elsewhere into an array then uploaded). */
export function tensorFilled<D extends "float32" | "int32">(
  shape: number[],
  dtype: D,
  fill: (out: D extends "int32" ? Int32Array : Float32Array) => void,
): tf.Tensor {
  type Out = D extends "int32" ? Int32Array : Float32Array;
  const backend = wasm();
  if (!backend) {
    const size = shape.reduce((a, b) => a * b, 1);
    const out = (dtype === "int32" ? new Int32Array(size) : new Float32Array(size)) as Out;
    fill(out);
    return tf.tensor(out, shape, dtype);
  }
  const info = backend.makeOutput(shape, dtype);
  // The view after the allocation: growing the wasm heap detaches views taken before.
  fill(backend.typedArrayFromHeap(info) as Out);
  return tf.engine().makeTensorFromTensorInfo(info);
}
