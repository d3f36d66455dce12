import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

describe("initBackend", () => {
  const saved = process.env.FITLAB_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.FITLAB_BACKEND;
    else process.env.FITLAB_BACKEND = saved;
  });

  it("falls back to wasm when tfjs-node is not installed, and computes with it", async () => {
    delete process.env.FITLAB_BACKEND;
    const lines: string[] = [];
    const name = await initBackend({ log: (l) => lines.push(l) });
    expect(name).toBe(tfjsNodeInstalled() ? "tensorflow" : "wasm");
    expect(tf.getBackend()).toBe(name);
    expect(Array.from(tf.tensor1d([1, 2, 3]).mul(2).dataSync())).toEqual([2, 4, 6]);
    expect(lines).toEqual([expect.stringContaining(`backend "${name}"`)]);
    // Which backend, what it is, and why: the fastest here, or why native TensorFlow is not running.
    expect(lines[0]).toMatch(name === "tensorflow" ? /native TensorFlow \d+\.\d+\.\d+ through tfjs-node.* — the fastest here/ : /WebAssembly.* — @tensorflow\/tfjs-node is not installed/);
  });

  it("says why it runs WebAssembly when tfjs-node is installed but does not load: its reason, in one line", () => {
    delete process.env.FITLAB_BACKEND;
    const lines: string[] = [];
    return new Promise<void>((resolve, reject) => {
      jest.isolateModules(() => {
        jest.doMock("@tensorflow/tfjs-node", () => {
          throw new Error("libtensorflow.so.2: cannot open shared object file: No such file or directory\n    at Module._extensions");
        });
        const isolated = require("../lib/backend") as typeof import("../lib/backend");
        isolated
          .initBackend({ log: (l) => lines.push(l) })
          .then((name) => {
            expect(name).toBe("wasm");
            expect(lines).toEqual([
              'fitlab: TensorFlow.js backend "wasm" (WebAssembly; runs train on a worker thread per core) — @tensorflow/tfjs-node did not load: libtensorflow.so.2: cannot open shared object file: No such file or directory',
            ]);
            resolve();
          }, reject);
      });
    }).finally(() => jest.dontMock("@tensorflow/tfjs-node"));
  });

  it("reports the chosen backend only once per process", async () => {
    const lines: string[] = [];
    await initBackend({ log: (l) => lines.push(l) });
    await initBackend({ log: (l) => lines.push(l) });
    expect(lines).toHaveLength(0);
  });

  it("honours FITLAB_BACKEND=cpu and switches back to wasm when asked", async () => {
    process.env.FITLAB_BACKEND = "cpu";
    expect(await initBackend()).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(await initBackend({ backend: "wasm" })).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("prints no 'install tfjs-node' banner when the cpu backend is used", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    await initBackend({ backend: "cpu" });
    tf.tidy(() => tf.scalar(1).add(1).dataSync());
    expect(warn.mock.calls.flat().join(" ")).not.toMatch(/tfjs-node/);
    warn.mockRestore();
    await initBackend({ backend: "wasm" });
  });

  it("rejects an unknown FITLAB_BACKEND with the allowed names", async () => {
    process.env.FITLAB_BACKEND = "webgpu";
    await expect(initBackend()).rejects.toThrow(/FITLAB_BACKEND="webgpu".*tensorflow, wasm, cpu/);
  });

  it("says how to get a forced backend that is not installed (or uses it where it is)", async () => {
    if (tfjsNodeInstalled()) {
      expect(await initBackend({ backend: "tensorflow" })).toBe("tensorflow");
    } else {
      await expect(initBackend({ backend: "tensorflow" })).rejects.toThrow(
        /"tensorflow" backend .* not available: .*npm install @tensorflow\/tfjs-node@4\.22\.0/,
      );
    }
    // The request leaves a working backend behind for the next caller.
    expect(await initBackend({ backend: "wasm" })).toBe("wasm");
  });
});
