/**
 * The one kernel fitlab needs that tfjs-node 4.22 does not register: `SparseSegmentSum` (the sparse
 * first layer's forward and backward, sparseMatMul.ts), run by native TensorFlow's own
 * SparseSegmentSum op through tfjs-node's binding, as every tfjs-node kernel runs its op.
 *
 * Why this and not `gather` + `unsortedSegmentSum` (which tfjs-node registers): measured on the
 * IMDB batch shape (512 rows × 130 ids of 10,000, 16 units), the native op took 4.6 ms forward
 * against 16.0 ms for gather + unsortedSegmentSum, and the gradient as an unsorted segment sum
 * 230 ms (2026-12-04, 2 cores under load). Keeping one kernel also keeps wasm's summation order, so
 * the runs match wasm's more closely.
 *
 * Only for the "tensorflow" backend; idempotent. Imports nothing of tfjs-node at load time (it is an
 * optional dependency): backend.ts calls `registerNativeKernels` once tfjs-node has loaded.
 */
import * as tf from "@tensorflow/tfjs";

interface NodeBackendLike {
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.TensorInfo[]): tf.TensorInfo;
}

type TypeAttr = (name: string, dtype: tf.DataType) => unknown;

/** Registers the kernels fitlab adds to tfjs-node's. True when registered (now or before). */
export function registerNativeKernels(): boolean {
  if (!tf.findBackendFactory("tensorflow")) return false;
  if (tf.getKernel("SparseSegmentSum", "tensorflow")) return true;
  // tfjs-node's own helper for an op's type attributes (dist/ is the package's published layout, 4.22.0 pinned).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const typeAttr = (
    require("@tensorflow/tfjs-node/dist/nodejs_kernel_backend") as { createTensorsTypeOpAttr: TypeAttr }
  ).createTensorsTypeOpAttr;
  tf.registerKernel({
    kernelName: "SparseSegmentSum",
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend }) => {
      const { data, indices, segmentIds } = inputs as {
        data: tf.TensorInfo;
        indices: tf.TensorInfo;
        segmentIds: tf.TensorInfo;
      };
      const attrs = [
        typeAttr("T", data.dtype),
        typeAttr("Tidx", indices.dtype),
        typeAttr("Tsegmentids", segmentIds.dtype),
      ];
      return (backend as unknown as NodeBackendLike).executeSingleOutput("SparseSegmentSum", attrs, [
        data,
        indices,
        segmentIds,
      ]);
    },
  });
  return true;
}
