/**
 * Replaces a wasm kernel of TensorFlow.js by a faster one (matmulPatch.ts, slicePatch.ts), keeping
 * its setup, marked so that patching again is a no-op.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The original kernel function of `kernelName` on wasm, and `install(patched)` to register the
 * replacement; undefined when wasm does not register it, "patched" when it was replaced already.
 */
export function wasmKernel(
  kernelName: string,
  marker: symbol,
): { original: tf.KernelFunc; install(patched: tf.KernelFunc): void } | "patched" | undefined {
  const current = tf.getKernel(kernelName, "wasm");
  if (!current) return undefined;
  if ((current as unknown as Record<symbol, boolean>)[marker]) return "patched";
  return {
    original: current.kernelFunc,
    install(patched) {
      const config = {
        kernelName,
        backendName: "wasm",
        setupFunc: current.setupFunc,
        kernelFunc: patched,
        [marker]: true,
      };
      tf.unregisterKernel(kernelName, "wasm");
      tf.registerKernel(config as tf.KernelConfig);
    },
  };
}
