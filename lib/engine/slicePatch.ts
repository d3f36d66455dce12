/**
 * Speeds up contiguous slices on the wasm backend (e.g. `images.slice(0, n)`, the first n rows).
 *
 * Why: tfjs-backend-wasm 4.22's `Slice` kernel first copies its WHOLE input out of the wasm heap
 * (`backend.readSync`), then copies the wanted part back in. On MNIST's 60,000 × 28 × 28 int32
 * images (188 MB) that took 2.4–4.0 s for `slice(0, 60000)` on this machine (the cast and the
 * division after it: 0.1 s together), in every notebook that loads MNIST. For a contiguous slice
 * (rows of the first axis, or any slice `isSliceContinous` accepts) this kernel copies the part
 * straight from heap to heap: measured in the README's speed section. Other slices, and strings,
 * go to the original kernel; a slice of the whole tensor shares its memory (as Reshape does).
 * Results are identical (the same values).
 *
 * Only for wasm. Idempotent: patching twice is a no-op.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmKernel } from "./kernelPatch";

const PATCHED = Symbol.for("fitlab.wasmSlicePatched");

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface WasmBackendLike {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: string): TensorInfoLike;
  typedArrayFromHeap(t: TensorInfoLike): Float32Array | Int32Array | Uint8Array;
}

type KernelFn = (args: {
  inputs: { x: TensorInfoLike };
  backend: WasmBackendLike;
  attrs: { begin: number | number[]; size?: number | number[] };
}) => TensorInfoLike;

/** Registers the faster `Slice` for wasm. True when active (now or before), false without wasm. */
export function patchWasmSlice(): boolean {
  const kernel = wasmKernel("Slice", PATCHED);
  if (!kernel) return false;
  if (kernel === "patched") return true;
  const plain = kernel.original as unknown as KernelFn;
  const patched: KernelFn = (args) => {
    const {
      inputs: { x },
      attrs,
      backend,
    } = args;
    if (x.dtype === "string") return plain(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin, attrs.size);
    if (!tf.slice_util.isSliceContinous(x.shape, begin, size)) return plain(args);
    const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
    const n = tf.util.sizeFromShape(size);
    if (offset === 0 && n === tf.util.sizeFromShape(x.shape)) {
      // The whole tensor (e.g. slice(0, 60000) of all 60,000 images): share its memory, as the
      // backend's own Reshape does (tensors are immutable; the count keeps it alive for both).
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: size, dtype: x.dtype };
    }
    // The output first: allocating may grow the wasm memory, which detaches views taken before.
    const out = backend.makeOutput(size, x.dtype);
    if (n > 0) backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + n));
    return out;
  };
  kernel.install(patched as unknown as tf.KernelFunc);
  return true;
}
