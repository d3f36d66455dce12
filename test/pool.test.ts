/**
 * Training on the worker pool: the same numbers as on the calling thread, epochs streamed to the
 * caller's callbacks, runs side by side, a failing callback or an interrupt stopping a run and its
 * worker. The pool runs the compiled worker (dist/), so `npm run build` must have run (pretest does).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, toDenseMatrix } from "../lib/data/vectorize";
import { variant, variants } from "../lib/models";
import { randomMultiHot } from "./helpers/randomData";
import { groupRuns } from "../lib/seeds";
import { dispose, INTERRUPTED_MESSAGE, train, TrainOptions } from "../lib/train";
import { trainSeeds } from "../lib/trainSeeds";
import { closePool, poolSize, poolWorkers } from "../lib/training/pool";
import type { EpochCallback, History, MultiHotMatrix } from "../lib/types";

const quiet: TrainOptions = { verbose: 0, cache: false };
const root = path.resolve(__dirname, "..");

beforeAll(async () => {
  await initBackend({ report: false });
});
afterAll(() => closePool());


describe("train on the pool", () => {
  it("gives the same history to the last digit as training on this thread, and a model with the same weights", async () => {
    const { x, y } = randomMultiHot(400, 120, 1);
    const opts = { ...quiet, epochs: 3, batchSize: 32, validationSplit: 0.25, seed: 7 };
    const pooled = await train(variants.imdb.dropout, x, y, { ...opts, thread: "pool" });
    const here = await train(variants.imdb.dropout, x, y, { ...opts, thread: "thread" });
    expect(pooled.history).toEqual(here.history);
    const [a, b] = [pooled, here].map((r) => r.model.getWeights().map((w) => Array.from(w.dataSync())));
    expect(a).toEqual(b);
    // The returned model predicts on this thread (weight histograms, prediction in a notebook).
    const probe = tf.tensor2d(toDenseMatrix(x).data.subarray(0, 5 * 120), [5, 120]);
    const [p1, p2] = [pooled, here].map((r) => tf.tidy(() => Array.from((r.model.predict(probe) as tf.Tensor).dataSync())));
    expect(p1).toEqual(p2);
    probe.dispose();
    dispose(pooled);
    dispose(here);
  });

  it("gives the same history for dense MNIST pixels (shared memory) as on this thread", async () => {
    const { train: t } = loadArrays();
    const x = flattenImages({ images: t.images.subarray(0, 1000 * 784), count: 1000, rows: 28, cols: 28 });
    const y = t.labels.subarray(0, 1000);
    const opts = { ...quiet, epochs: 2, batchSize: 128, validationSplit: 0.2, seed: 3 };
    const pooled = await train(variants.mnist.large, x, y, opts);
    const here = await train(variants.mnist.large, x, y, { ...opts, thread: "thread" });
    expect(pooled.history).toEqual(here.history);
    dispose(pooled);
    dispose(here);
  });

  it("calls onEpochEnd on the calling thread for every epoch, in order, awaiting each, and logs the lines in order", async () => {
    const { x, y } = randomMultiHot(300, 60, 2);
    const seen: string[] = [];
    const lines: string[] = [];
    const slow: EpochCallback = async (epoch, h) => {
      await new Promise((r) => setTimeout(r, 30));
      seen.push(`slow ${epoch} ${h.history.loss.length}`);
    };
    const run = await train(variants.imdb.original, x, y, {
      epochs: 4,
      batchSize: 50,
      seed: 1,
      cache: false,
      log: (l) => lines.push(l),
      onEpochEnd: [slow, (epoch) => void seen.push(`fast ${epoch}`)],
    });
    expect(seen).toEqual(["slow 0 1", "fast 0", "slow 1 2", "fast 1", "slow 2 3", "fast 2", "slow 3 4", "fast 3"]);
    expect(lines.map((l) => l.slice(0, 11))).toEqual(["Epoch 1/4 -", "Epoch 2/4 -", "Epoch 3/4 -", "Epoch 4/4 -"]);
    dispose(run);
  });

  it("trains runs started together side by side, with the numbers of runs one after another", async () => {
    const { x, y } = randomMultiHot(500, 100, 3);
    const opts = { ...quiet, epochs: 3, batchSize: 50, validationSplit: 0.2 };
    const together = await Promise.all([1, 2, 3].map((seed) => train(variants.imdb.original, x, y, { ...opts, seed })));
    expect(poolWorkers()).toBeLessThanOrEqual(poolSize());
    for (const [i, seed] of [1, 2, 3].entries()) {
      const alone = await train(variants.imdb.original, x, y, { ...opts, seed, thread: "thread" });
      expect(together[i].history).toEqual(alone.history);
      dispose(alone);
    }
    together.forEach(dispose);
  });

  it("stops a run whose callback throws: the promise rejects with that error, its worker ends, no tensor is left", async () => {
    const { x, y } = randomMultiHot(300, 60, 4);
    const before = tf.memory().numTensors;
    const boom: EpochCallback = (epoch) => {
      if (epoch === 1) throw new Error("figure failed");
    };
    await expect(train(variants.imdb.original, x, y, { ...quiet, epochs: 50, batchSize: 10, seed: 1, onEpochEnd: boom })).rejects.toThrow("figure failed");
    expect(tf.memory().numTensors).toBe(before);
    // The pool goes on with a fresh worker.
    const run = await train(variants.imdb.tiny, x, y, { ...quiet, epochs: 1, batchSize: 50, seed: 1 });
    expect(run.history.epoch).toEqual([0]);
    dispose(run);
  });
});

describe("progress lines and warnings", () => {
  const { x, y } = randomMultiHot(300, 60, 5);
  const progress = (): EpochCallback => Object.assign(() => undefined, { showsProgress: true });

  it("prints no per-epoch lines when a callback shows its own progress, unless verbose: 1 is given", async () => {
    const quietLines: string[] = [];
    const loudLines: string[] = [];
    const a = await train(variants.imdb.tiny, x, y, { epochs: 2, batchSize: 50, seed: 1, cache: false, log: (l) => quietLines.push(l), onEpochEnd: progress() });
    const b = await train(variants.imdb.tiny, x, y, { epochs: 2, batchSize: 50, seed: 1, cache: false, verbose: 1, log: (l) => loudLines.push(l), onEpochEnd: progress() });
    expect(quietLines).toEqual([]);
    expect(loudLines).toHaveLength(2);
    [a, b].forEach(dispose);
  });

  it("says, in one line and in run.warnings, when the loss explodes under a huge learning rate", async () => {
    const lines: string[] = [];
    const run = await train(variant("imdb.original", { learningRate: 1e10 }), x, y, { epochs: 2, batchSize: 30, seed: 1, cache: false, log: (l) => lines.push(l), onEpochEnd: progress() });
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toMatch(/^the training loss exploded: .* over 1000× its first batch's .*The learning rate \(10000000000\) is too high/);
    expect(lines).toEqual([`original: ${run.warnings[0]}`]);
    const calm = await train(variants.imdb.original, x, y, { ...quiet, epochs: 2, batchSize: 30, seed: 1 });
    expect(calm.warnings).toEqual([]);
    [run, calm].forEach(dispose);
  });
});

describe("trainSeeds on the pool", () => {
  let dir = "";
  beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "fitlab-seeds-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("equals the group of runs trained one by one, reports the mean over finished epochs in order, caches each seed", async () => {
    const { x, y } = randomMultiHot(400, 80, 6);
    const opts = { verbose: 0 as const, epochs: 3, batchSize: 40, validationSplit: 0.25, cache: { dir } };
    const calls: [number, number, number][] = [];
    const group = await trainSeeds(variants.imdb.original, x, y, { ...opts, seeds: [1, 2, 3], onEpochEnd: (e, h) => void calls.push([e, h.epoch.length, h.history.val_loss![e]]) });
    const alone = [];
    for (const seed of [1, 2, 3]) alone.push(await train(variants.imdb.original, x, y, { ...opts, seed, cache: false, thread: "thread" }));
    const expected = groupRuns("original", alone, [1, 2, 3]);
    expect(group.history).toEqual(expected.history);
    expect(group.bands).toEqual(expected.bands);
    expect(calls).toEqual(expected.history.history.val_loss!.map((v, e) => [e, e + 1, v]));
    const again = await trainSeeds(variants.imdb.original, x, y, { ...opts, seeds: [1, 2, 3] });
    expect(again.seedRuns.map((r) => r.fromCache)).toEqual([true, true, true]);
    expect(again.history).toEqual(group.history);
    [...group.seedRuns, ...again.seedRuns, ...alone].forEach(dispose);
  });
});

describe("interrupt (SIGINT to a real process)", () => {
  /** A child that trains a long run on the pool from the compiled library and reports as it goes. */
  function child(kernelLike: boolean): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>; firstEpoch: Promise<number>; pid: number } {
    const script = `
      const { train } = require(${JSON.stringify(path.join(root, "dist/lib/train.js"))});
      const { poolWorkers } = require(${JSON.stringify(path.join(root, "dist/lib/training/pool.js"))});
      const { variants } = require(${JSON.stringify(path.join(root, "dist/lib/models.js"))});
      ${kernelLike ? 'process.on("SIGINT", () => console.log("kernel: interrupt"));' : ""}
      const rows = 3000, cols = 1000, ids = [], y = [];
      for (let r = 0; r < rows; r++) { ids.push(Int32Array.from({ length: 50 }, (_, k) => (r * 7 + k * 19) % cols).sort()); y.push(r % 2); }
      const unique = ids.map((row) => Int32Array.from(new Set(row)));
      train(variants.imdb.larger, { kind: "multihot", rows, cols, ids: unique }, y, {
        epochs: 1000, batchSize: 16, seed: 1, cache: false, verbose: 0,
        onEpochEnd: (e) => { if (e === 0) console.log("epoch 0"); },
      }).then(
        () => console.log("finished?!"),
        (err) => console.log("rejected: " + err.message + " | workers " + poolWorkers()),
      );
    `;
    const proc = spawn(process.execPath, ["-e", script], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let sawEpoch: (t: number) => void = () => undefined;
    const firstEpoch = new Promise<number>((resolve) => (sawEpoch = resolve));
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("epoch 0")) sawEpoch(Date.now());
    });
    proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal, out })));
    // A run that ignores the interrupt would keep the child alive: fail after 60 s instead of hanging.
    const done = Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        const timer = setTimeout(() => {
          proc.kill("SIGKILL");
          reject(new Error(`the child did not end within 60 s; its output:\n${out}`));
        }, 60000);
        void exited.then(() => clearTimeout(timer));
      }),
    ]);
    return { done, firstEpoch, pid: proc.pid! };
  }

  it("in a kernel (its own SIGINT handler): rejects the run with a clear message, frees the worker, and the process can end", async () => {
    const c = child(true);
    await c.firstEpoch;
    process.kill(c.pid, "SIGINT");
    const sent = Date.now();
    const { code, out } = await c.done;
    // The process ends by itself: no worker is left to keep it alive.
    expect(code).toBe(0);
    expect(out).toContain("kernel: interrupt");
    expect(out).toContain(`rejected: ${INTERRUPTED_MESSAGE} | workers 0`);
    expect(out).not.toContain("finished?!");
    expect(Date.now() - sent).toBeLessThan(10000);
  });

  it("in a plain script (no SIGINT handler): stops the run and ends the process as Ctrl-C would", async () => {
    const c = child(false);
    await c.firstEpoch;
    process.kill(c.pid, "SIGINT");
    const { signal, out } = await c.done;
    expect(signal).toBe("SIGINT");
    expect(out).not.toContain("finished?!");
  });
});



describe("one run over two workers (data-parallel)", () => {
  const { train: t } = loadArrays();
  const x = flattenImages({ images: t.images.subarray(0, 1500 * 784), count: 1500, rows: 28, cols: 28 });
  const y = t.labels.subarray(0, 1500);
  const close = (a: number[], b: number[], tolerance: number): void => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(b[i]))));

  it("takes one step equal to one worker's on the whole batch, to float rounding", async () => {
    // One epoch of one batch: the whole training set (1,200 rows) is the batch.
    const opts = { ...quiet, epochs: 1, batchSize: 1200, validationSplit: 0.2, seed: 5 };
    const split = await train(variants.mnist.large, x, y, { ...opts, split: true });
    const whole = await train(variants.mnist.large, x, y, { ...opts, thread: "thread" });
    const [ws, ww] = [split, whole].map((r) => r.model.getWeights().map((w) => Array.from(w.dataSync())));
    ws.forEach((w, i) => close(w, ww[i], 1e-5));
    // Not the same computation: the halves' gradients are summed in another order.
    expect(ws).not.toEqual(ww);
    close(split.history.history.loss, whole.history.history.loss, 1e-6);
    dispose(split);
    dispose(whole);
  });

  it.each(["mnist.large", "imdb.l2"] as const)("gives %s the curves of one worker over 3 epochs, to float tolerance", async (name) => {
    const data = name === "imdb.l2" ? randomMultiHot(1200, 300, 8) : { x, y };
    const opts = { ...quiet, epochs: 3, batchSize: 128, validationSplit: 0.2, seed: 2 };
    const spec = name === "imdb.l2" ? variants.imdb.l2 : variants.mnist.large;
    const split = await train(spec, data.x, data.y, { ...opts, split: true });
    const whole = await train(spec, data.x, data.y, { ...opts, thread: "thread" });
    for (const key of Object.keys(whole.history.history) as (keyof History["history"])[]) {
      close(split.history.history[key]!, whole.history.history[key]!, 1e-4);
    }
    dispose(split);
    dispose(whole);
  });
});

describe("the compiled worker", () => {
  it("is refused, saying to run npm run build, when a source it is compiled from is newer", () => {
    const source = path.join(root, "lib", "training", "loop.ts");
    const { atime, mtime } = fs.statSync(source);
    try {
      const later = new Date(Date.now() + 3600_000);
      fs.utimesSync(source, later, later);
      jest.isolateModules(() => {
        const { workerScript } = require("../lib/training/workerScript") as typeof import("../lib/training/workerScript");
        expect(() => workerScript()).toThrow(/dist\/lib\/training\/loop\.js is older than lib\/training\/loop\.ts; run `npm run build`/);
      });
    } finally {
      fs.utimesSync(source, atime, mtime);
    }
  });
});
