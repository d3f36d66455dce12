/**
 * Speeds up transposed matrix products on the wasm backend.
 *
 * Why: tfjs-backend-wasm 4.22 runs `BatchMatMul` with `transposeA` or `transposeB` 15–20× slower
 * than the plain case (its XNNPACK path only handles the untransposed layout well), and every Dense
 * backward pass uses both (dW = xᵀ·dy, dx = dy·Wᵀ). We re-register the kernel so that a transposed
 * operand is first materialised by the `Transpose` kernel and the fast plain product is called.
 * Results are identical up to float summation order inside the plain kernel.
 *
 * Only for wasm: other backends are left alone. Idempotent: patching twice is a no-op.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmKernel } from "./kernelPatch";

const PATCHED = Symbol.for("fitlab.wasmMatMulPatched");

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

type KernelArgs = {
  inputs: Record<string, TensorInfoLike>;
  backend: WasmBackendLike;
  attrs?: Record<string, unknown>;
};

type KernelFn = (args: KernelArgs) => TensorInfoLike | TensorInfoLike[];

/** Swaps the last two axes of a tensor of rank ≥ 2 with the backend's own Transpose kernel. */
function transposeLastTwo(x: TensorInfoLike, backend: WasmBackendLike, transpose: KernelFn): TensorInfoLike {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as TensorInfoLike;
}

/**
 * Registers the faster `BatchMatMul` for the wasm backend. Returns true when the patch is active
 * (now or from an earlier call), false when wasm is not registered in this process.
 */
export function patchWasmMatMul(): boolean {
  const kernel = wasmKernel("BatchMatMul", PATCHED);
  const transposeKernel = tf.getKernel("Transpose", "wasm");
  if (!kernel || !transposeKernel) return false;
  if (kernel === "patched") return true;

  const plain = kernel.original as unknown as KernelFn;
  const transpose = transposeKernel.kernelFunc as unknown as KernelFn;
  const patched: KernelFn = (args) => {
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    if (!transposeA && !transposeB) return plain(args);
    const { backend } = args;
    let { a, b } = args.inputs;
    const temporaries: TensorInfoLike[] = [];
    if (transposeA) temporaries.push((a = transposeLastTwo(a, backend, transpose)));
    if (transposeB) temporaries.push((b = transposeLastTwo(b, backend, transpose)));
    const out = plain({ ...args, inputs: { a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    for (const t of temporaries) backend.disposeData(t.dataId);
    return out;
  };

  kernel.install(patched as unknown as tf.KernelFunc);
  return true;
}
