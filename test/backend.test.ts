import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";

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

  it("picks wasm (measured faster for the lesson) without loading tfjs-node, says why, and computes with it", async () => {
    delete process.env.FITLAB_BACKEND;
    const lines: string[] = [];
    const name = await initBackend({ log: (l) => lines.push(l) });
    expect(name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(Array.from(tf.tensor1d([1, 2, 3]).mul(2).dataSync())).toEqual([2, 4, 6]);
    expect(lines).toHaveLength(1);
    // Which backend, what it is, and why; where tfjs-node is installed, how to use it instead.
    expect(lines[0]).toMatch(
      tfjsNodeInstalled()
        ? /^fitlab: TensorFlow.js backend "wasm" \(WebAssembly; .*\) — faster for this lesson than native TensorFlow, which is installed: FITLAB_BACKEND=tensorflow uses it/
        : /^fitlab: TensorFlow.js backend "wasm" \(WebAssembly; .*\) — the faster for this lesson .*tfjs-node, native TensorFlow, is not installed/,
    );
    // The automatic choice never loads libtensorflow (a second and a few hundred MB for nothing).
    expect(tf.findBackendFactory("tensorflow")).toBeFalsy();
  });

  it("falls back to native TensorFlow when WebAssembly does not load, saying why (or to plain JavaScript)", () => {
    delete process.env.FITLAB_BACKEND;
    const lines: string[] = [];
    return new Promise<void>((resolve, reject) => {
      jest.isolateModules(() => {
        jest.doMock("@tensorflow/tfjs-backend-wasm", () => {
          throw new Error("tfjs-backend-wasm.wasm: no such file\n    at Module._extensions");
        });
        const isolated = require("../lib/system/backend") as typeof import("../lib/system/backend");
        isolated.initBackend({ log: (l) => lines.push(l) }).then((name) => {
          expect(name).toBe(tfjsNodeInstalled() ? "tensorflow" : "cpu");
          expect(lines).toHaveLength(1);
          expect(lines[0]).toContain(`backend "${name}"`);
          expect(lines[0]).toMatch(
            / — wasm: tfjs-backend-wasm\.wasm: no such file$|— wasm: tfjs-backend-wasm\.wasm: no such file; @tensorflow\/tfjs-node/,
          );
          resolve();
        }, reject);
      });
    }).finally(() => jest.dontMock("@tensorflow/tfjs-backend-wasm"));
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
