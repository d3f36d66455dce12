/**
 * The wasm Slice patch (lib/engine/slicePatch.ts) gives exactly what slicing the values by hand
 * gives: contiguous slices (rows of the first axis, a row's tail) take the fast heap-to-heap copy,
 * the others the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";
import { patchWasmSlice } from "../lib/engine/slicePatch";

beforeAll(async () => {
  expect(await initBackend({ backend: "wasm", report: false })).toBe("wasm");
});

function byHand(values: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === shape.length) return void out.push(values[offset]);
    for (let i = begin[axis]; i < begin[axis] + size[axis]; i++) walk(axis + 1, offset + i * strides[axis]);
  };
  walk(0, 0);
  return out;
}

describe("the wasm Slice patch", () => {
  it("is registered by initBackend and patching again is a no-op", () => {
    expect(patchWasmSlice()).toBe(true);
    expect(patchWasmSlice()).toBe(true);
  });

  it.each([
    ["int32 rows of a 3-D tensor (MNIST-like)", "int32", [50, 28, 28], [10, 0, 0], [25, 28, 28]],
    ["float32 all rows", "float32", [40, 7], [0, 0], [40, 7]],
    ["float32 tail of one row (contiguous)", "float32", [6, 9], [2, 4], [1, 5]],
    ["float32 a column block (not contiguous)", "float32", [6, 9], [1, 2], [4, 3]],
    ["int32 middle of a 3-D tensor (not contiguous)", "int32", [5, 4, 3], [1, 1, 1], [3, 2, 2]],
    ["empty slice", "float32", [8, 3], [4, 0], [0, 3]],
  ] as const)("%s: the same values as by hand", (_, dtype, shape, begin, size) => {
    const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, i) => (dtype === "int32" ? (i * 37) % 256 : Math.sin(i) * 100));
    const x = tf.tensor(values, [...shape], dtype);
    const sliced = tf.slice(x, [...begin], [...size]);
    expect(sliced.shape).toEqual([...size]);
    expect(sliced.dtype).toBe(dtype);
    expect(Array.from(sliced.dataSync())).toEqual(byHand(x.dataSync(), [...shape], [...begin], [...size]));
    tf.dispose([x, sliced]);
  });

  it("keeps the values right when the slice's allocation grows the wasm memory", () => {
    // 64 MB input, then a 48 MB output: the heap must grow for the output while the input is read.
    const x = tf.fill([4096, 4096], 3.5);
    const sliced = x.slice(1024, 3072);
    const data = sliced.dataSync();
    expect(data.length).toBe(3072 * 4096);
    expect(data[0]).toBe(3.5);
    expect(data[data.length - 1]).toBe(3.5);
    tf.dispose([x, sliced]);
  });
});

describe("a slice of the whole tensor", () => {
  it("shares the memory (no new bytes) and survives disposing the original", () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], "int32");
    const all = x.slice(0, 3);
    expect(all.dataId).toBe(x.dataId); // the same bytes in the wasm heap, as Reshape gives
    x.dispose();
    expect(Array.from(all.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.toFloat().div(2).dataSync()[5]).toBe(3);
    all.dispose();
  });
});
