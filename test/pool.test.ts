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
import { initBackend } from "../lib/system/backend";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, toDenseMatrix } from "../lib/data/vectorize";
import { countParams, variant, variants, type ModelSpec } from "../lib/lesson/models";
import { randomMultiHot } from "./helpers/randomData";
import { groupRuns } from "../lib/runs/seeds";
import { dispose, train, type Run, TrainOptions } from "../lib/runs/train";
import { trainSeeds } from "../lib/runs/trainSeeds";
import { closePool, poolSize, poolUsable, poolWorkers } from "../lib/training/pool";
import { gradientParts } from "../lib/training/steps";
import type { EpochCallback, History, MultiHotMatrix } from "../lib/types";

const quiet: TrainOptions = { verbose: 0, cache: false };
const root = path.resolve(__dirname, "..");

/**
 * Where a run is expected to train: on native TensorFlow (FITLAB_BACKEND=tensorflow, or tfjs-node
 * installed) there is no pool (tfjs-node cannot load in a worker thread, training/pool.ts), so every
 * run trains on this thread, and the to-the-bit comparisons below hold there as well.
 */
let pooled = true;
const on = (placement: Run["placement"]): Run["placement"] => (pooled ? placement : "thread");

beforeAll(async () => {
  pooled = poolUsable(await initBackend({ report: false }));
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
    const [p1, p2] = [pooled, here].map((r) =>
      tf.tidy(() => Array.from((r.model.predict(probe) as tf.Tensor).dataSync())),
    );
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
    await expect(
      train(variants.imdb.original, x, y, { ...quiet, epochs: 50, batchSize: 10, seed: 1, onEpochEnd: boom }),
    ).rejects.toThrow("figure failed");
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
    const a = await train(variants.imdb.tiny, x, y, {
      epochs: 2,
      batchSize: 50,
      seed: 1,
      cache: false,
      log: (l) => quietLines.push(l),
      onEpochEnd: progress(),
    });
    const b = await train(variants.imdb.tiny, x, y, {
      epochs: 2,
      batchSize: 50,
      seed: 1,
      cache: false,
      verbose: 1,
      log: (l) => loudLines.push(l),
      onEpochEnd: progress(),
    });
    expect(quietLines).toEqual([]);
    expect(loudLines).toHaveLength(2);
    [a, b].forEach(dispose);
  });

  it("says, in one line and in run.warnings, when the loss explodes under a huge learning rate", async () => {
    const lines: string[] = [];
    const run = await train(variant("imdb.original", { learningRate: 1e10 }), x, y, {
      epochs: 2,
      batchSize: 30,
      seed: 1,
      cache: false,
      log: (l) => lines.push(l),
      onEpochEnd: progress(),
    });
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toMatch(
      /^the training loss exploded: .* over 1000× its first batch's .*The learning rate \(10000000000\) is too high/,
    );
    expect(lines).toEqual([`original: ${run.warnings[0]}`]);
    const calm = await train(variants.imdb.original, x, y, { ...quiet, epochs: 2, batchSize: 30, seed: 1 });
    expect(calm.warnings).toEqual([]);
    [run, calm].forEach(dispose);
  });
});

describe("a matrix the workers copied", () => {
  it("is refused, with how to fix it, when it changed in place since; a new matrix trains", async () => {
    const { x, y } = randomMultiHot(200, 50, 9);
    const dense = toDenseMatrix(x);
    const opts = {
      verbose: 0 as const,
      epochs: 1,
      batchSize: 50,
      validationSplit: 0.25,
      cache: false as const,
      seed: 3,
    };
    const first = await train(variants.imdb.tiny, dense, y, opts);
    expect(first.placement).toBe(on("worker"));
    dense.data[0] = 1 - dense.data[0];
    if (pooled) {
      await expect(train(variants.imdb.tiny, dense, y, opts)).rejects.toThrow(
        /x was changed in place after an earlier run on the training workers copied it.*Pass a new matrix instead/,
      );
    } else {
      // No worker copied it: this thread trains on the edited values, which change the numbers.
      const edited = await train(variants.imdb.tiny, dense, y, opts);
      expect(edited.placement).toBe("thread");
      expect(edited.history.history.loss).not.toEqual(first.history.history.loss);
      dispose(edited);
    }
    const renewed = await train(variants.imdb.tiny, { ...dense, data: Float32Array.from(dense.data) }, y, opts);
    expect(renewed.placement).toBe(on("worker"));
    // Multi-hot rows too: an id added to a row in place.
    await train(variants.imdb.tiny, x, y, opts).then(dispose);
    const absent = Array.from({ length: 50 }, (_, i) => i).find((id) => !x.ids[0].includes(id))!;
    x.ids[0] = Int32Array.from([...x.ids[0], absent]).sort();
    if (pooled) await expect(train(variants.imdb.tiny, x, y, opts)).rejects.toThrow(/changed in place/);
    else await train(variants.imdb.tiny, x, y, opts).then(dispose);
    [first, renewed].forEach(dispose);
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
    const group = await trainSeeds(variants.imdb.original, x, y, {
      ...opts,
      seeds: [1, 2, 3],
      onEpochEnd: (e, h) => void calls.push([e, h.epoch.length, h.history.val_loss![e]]),
    });
    const alone = [];
    for (const seed of [1, 2, 3])
      alone.push(await train(variants.imdb.original, x, y, { ...opts, seed, cache: false, thread: "thread" }));
    const expected = groupRuns("original", alone, [1, 2, 3]);
    expect(group.history).toEqual(expected.history);
    expect(group.bands).toEqual(expected.bands);
    expect(calls).toEqual(expected.history.history.val_loss!.map((v, e) => [e, e + 1, v]));
    const again = await trainSeeds(variants.imdb.original, x, y, { ...opts, seeds: [1, 2, 3] });
    expect(again.seedRuns.map((r) => r.fromCache)).toEqual([true, true, true]);
    expect(again.history).toEqual(group.history);
    [...group.seedRuns, ...again.seedRuns, ...alone].forEach(dispose);
  });

  it("says once for the seeds it is the same for where their epochs came from, and each seed's own notes apart", async () => {
    const { x, y } = randomMultiHot(300, 60, 7);
    const opts = { epochs: 2, batchSize: 50, validationSplit: 0.25, cache: { dir } };
    const quiet = await trainSeeds(variants.imdb.tiny, x, y, { ...opts, seeds: [5, 6], verbose: 0 });
    const lines: [string, string][] = [];
    const log = (line: string, kind: string) => void lines.push([kind, line]);
    // Seeds 5 and 6 stored, 7 not: one line for the two, seed 7 trains; then all three continue to 4 epochs.
    const mixed = await trainSeeds(variants.imdb.tiny, x, y, { ...opts, seeds: [5, 6, 7], log });
    // The retrain hint comes with the first run a process loads from the cache (here: the test above's).
    expect(lines.filter(([kind]) => kind === "cache")).toEqual([
      [
        "cache",
        expect.stringMatching(
          /^\[seeds 5, 6\] tiny: loaded from the run cache \(2 epochs(; pass cache: false to retrain)?\)$/,
        ),
      ],
    ]);
    expect(lines.filter(([kind]) => kind === "epoch").map(([, l]) => l.split(" - ")[0])).toEqual([
      "Epoch 1/2 (mean of 3 seeds)",
      "Epoch 2/2 (mean of 3 seeds)",
    ]);
    lines.length = 0;
    const flags: boolean[] = [];
    const longer = await trainSeeds(variants.imdb.tiny, x, y, {
      ...opts,
      epochs: 4,
      seeds: [5, 6, 7],
      log,
      onEpochEnd: (_e, _h, info) => void flags.push(info!.replayed),
    });
    expect(flags).toEqual([true, true, false, false]); // the group's epochs 1–2 are every seed's stored ones
    expect(lines.filter(([kind]) => kind === "cache")).toEqual([
      [
        "cache",
        "[seeds 5, 6, 7] tiny: epochs 1–2 are the stored 2-epoch run's (the numbers training them again would give); training epochs 3–4",
      ],
    ]);
    expect(lines.findIndex(([kind]) => kind === "cache")).toBeLessThan(lines.findIndex(([kind]) => kind === "epoch"));
    // Only the epochs trained now are logged.
    expect(lines.filter(([kind]) => kind === "epoch").map(([, l]) => l.split(" - ")[0])).toEqual([
      "Epoch 3/4 (mean of 3 seeds)",
      "Epoch 4/4 (mean of 3 seeds)",
    ]);
    [...quiet.seedRuns, ...mixed.seedRuns, ...longer.seedRuns].forEach(dispose);
  });
});

describe("interrupt (SIGINT to a real process)", () => {
  /** A child that trains a long run on the pool from the compiled library and reports as it goes. */
  function child(kernelLike: boolean): {
    done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
    firstEpoch: Promise<number>;
    pid: number;
  } {
    const script = `
      const { train } = require(${JSON.stringify(path.join(root, "dist/lib/runs/train.js"))});
      const { poolWorkers } = require(${JSON.stringify(path.join(root, "dist/lib/training/pool.js"))});
      const { variants } = require(${JSON.stringify(path.join(root, "dist/lib/lesson/models.js"))});
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
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
      proc.on("exit", (code, signal) => resolve({ code, signal, out })),
    );
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
    // train's own message: what was stopped and what was kept; the kernel-like process lives on.
    expect(out).toMatch(
      /rejected: Training stopped \(the stop button, or Ctrl-C\): "larger" \(seed 1\)\. It was stopped after \d+ of 1000 epochs; [^|]*The kernel is still running[^|]* \| workers 0/,
    );
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

describe("a two-part run over one or two workers (data-parallel)", () => {
  const { train: t } = loadArrays();
  const x = flattenImages({ images: t.images.subarray(0, 1500 * 784), count: 1500, rows: 28, cols: 28 });
  const y = t.labels.subarray(0, 1500);
  const weightsOf = (r: Run): number[][] => r.model.getWeights().map((w) => Array.from(w.dataSync()));
  /** Dense input with dropout, an L2 penalty and a batch of one row at each epoch's end (1200 = 11 × 109 + 1). */
  const dropoutL2: ModelSpec = {
    name: "dense dropout",
    hidden: [
      { units: 64, activation: "relu", dropout: 0.3, l2: 0.001 },
      { units: 32, activation: "relu", dropout: 0.2 },
    ],
    output: { units: 10, activation: "softmax" },
    loss: "sparse_categorical_crossentropy",
  };

  it("takes two parts by default for a big run on dense input only", () => {
    expect(gradientParts(countParams(variants.mnist.large, 784), 48_000, "dense")).toBe(2); // 5.7e9
    expect(gradientParts(countParams(variants.mnist.small, 784), 48_000, "dense")).toBe(1); // 3.8e8
    expect(gradientParts(countParams(variants.imdb.larger, 10_000), 15_000, "multihot")).toBe(1);
    expect(gradientParts(countParams(variants.mnist.large, 784), 1200, "dense")).toBe(1);
  });

  it.each([
    ["mnist.large", variants.mnist.large, 128],
    ["dense input with dropout, L2 and a last batch of one row", dropoutL2, 109],
  ] as const)(
    "%s: the same history and final weights to the last bit over two workers, on one worker and on this thread",
    async (_, spec, batchSize) => {
      const opts = { ...quiet, epochs: 2, batchSize, validationSplit: 0.2, seed: 5, parts: 2 as const };
      const split = await train(spec, x, y, { ...opts, split: true });
      const one = await train(spec, x, y, { ...opts, split: false });
      const here = await train(spec, x, y, { ...opts, thread: "thread" });
      expect([split.placement, one.placement, here.placement]).toEqual([on("two workers"), on("worker"), "thread"]);
      expect(split.options.parts).toBe(2);
      expect(split.history).toEqual(one.history);
      expect(split.history).toEqual(here.history);
      const w = weightsOf(split);
      expect(weightsOf(one)).toEqual(w);
      expect(weightsOf(here)).toEqual(w);
      [split, one, here].forEach(dispose);
    },
  );

  it("is the same to the last bit with three validation chunks shared by the two workers, and early stopping", async () => {
    // 499 training rows, 4,501 validation rows: chunks of 2,048, 2,048 and 405 rows, evaluated 0 and 2 by one worker, 1 by the other.
    const big = flattenImages({ images: t.images.subarray(0, 5000 * 784), count: 5000, rows: 28, cols: 28 });
    const opts = {
      ...quiet,
      epochs: 4,
      batchSize: 100,
      validationSplit: 0.9,
      seed: 8,
      parts: 2 as const,
      earlyStopping: { patience: 1, restoreBestWeights: true },
    };
    // A learning rate high enough for val_loss to rise at epoch 3 (stopping then, restoring epoch 2's weights).
    const spec = variant("mnist.large", { learningRate: 0.05 });
    const split = await train(spec, big, t.labels.subarray(0, 5000), { ...opts, split: true });
    const here = await train(spec, big, t.labels.subarray(0, 5000), { ...opts, thread: "thread" });
    expect(split.placement).toBe(on("two workers"));
    expect(split.history.params.validationSamples).toBe(4501); // floor(5000 × 0.1) = 499 train rows (float rounding of 1 − 0.9)
    expect(split.history).toEqual(here.history);
    expect(split.stopReason).toMatch(/early stopping ended training; restored the weights of epoch/);
    expect(split.stoppedBy).toBe("early stopping");
    expect(split.stopReason).toBe(here.stopReason);
    expect(weightsOf(split)).toEqual(weightsOf(here));
    [split, here].forEach(dispose);
  });

  it("is the same to the last bit for multi-hot input with dropout and L2 forced into two parts", async () => {
    const { x: mx, y: my } = randomMultiHot(600, 150, 9);
    const opts = { ...quiet, epochs: 2, batchSize: 64, validationSplit: 0.2, seed: 3, parts: 2 as const };
    const split = await train(variants.imdb.l2dropout, mx, my, { ...opts, split: true });
    const here = await train(variants.imdb.l2dropout, mx, my, { ...opts, thread: "thread" });
    expect(split.placement).toBe(on("two workers"));
    expect(split.history).toEqual(here.history);
    expect(weightsOf(split)).toEqual(weightsOf(here));
    [split, here].forEach(dispose);
  });

  it("computes the whole batch's gradient in two parts: one step equals one part's to float rounding, not to the bit", async () => {
    // One epoch of one batch: the whole training set (400 rows) is the batch.
    const few = { ...x, rows: 500, data: x.data.subarray(0, 500 * 784) };
    const opts = { ...quiet, epochs: 1, batchSize: 400, validationSplit: 0.2, seed: 5, thread: "thread" as const };
    const two = await train(variants.mnist.large, few, y.subarray(0, 500), { ...opts, parts: 2 });
    const one = await train(variants.mnist.large, few, y.subarray(0, 500), { ...opts, parts: 1 });
    const [w2, w1] = [two, one].map(weightsOf);
    const worst = w2.reduce(
      (m, w, i) => w.reduce((mm, v, k) => Math.max(mm, Math.abs(v - w1[i][k]) / Math.max(1, Math.abs(w1[i][k]))), m),
      0,
    );
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(w2).not.toEqual(w1);
    expect(Math.abs(two.history.history.loss[0] - one.history.history.loss[0])).toBeLessThanOrEqual(
      1e-6 * one.history.history.loss[0],
    );
    [two, one].forEach(dispose);
  });

  it('"auto" (the default) splits on an idle pool and trains on one worker while another run trains', async () => {
    const opts = { ...quiet, epochs: 1, batchSize: 128, validationSplit: 0.2, seed: 1, parts: 2 as const };
    const alone = await train(variants.mnist.large, x, y, opts);
    expect(alone.placement).toBe(on("two workers"));
    const { x: mx, y: my } = randomMultiHot(2000, 300, 4);
    // The IMDB run takes a worker first; the big run then finds the pool busy.
    const [other, busy] = await Promise.all([
      train(variants.imdb.larger, mx, my, { ...quiet, epochs: 2, batchSize: 32, seed: 1 }),
      train(variants.mnist.large, x, y, opts),
    ]);
    expect([other.placement, busy.placement]).toEqual([on("worker"), on("worker")]);
    expect(busy.history).toEqual(alone.history);
    [alone, other, busy].forEach(dispose);
  });

  it("refuses split: true for a one-part run, saying to pass parts: 2", async () => {
    await expect(train(variants.mnist.large, x, y, { ...quiet, epochs: 1, seed: 1, split: true })).rejects.toThrow(
      /train: split = true; this run computes each step's gradient as one part .* pass parts: 2/,
    );
  });

  it("serves a cached run whatever its split, and keeps runs of one and two parts apart", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fitlab-split-"));
    try {
      const opts = { ...quiet, cache: { dir }, epochs: 1, batchSize: 128, validationSplit: 0.2, seed: 2 };
      const split = await train(variants.mnist.large, x, y, { ...opts, parts: 2, split: true });
      const whole = await train(variants.mnist.large, x, y, { ...opts, parts: 2, split: false });
      const here = await train(variants.mnist.large, x, y, { ...opts, parts: 2, thread: "thread" });
      expect([split.placement, whole.placement, here.placement]).toEqual([on("two workers"), "cache", "cache"]);
      expect(whole.history).toEqual(split.history);
      const onePart = await train(variants.mnist.large, x, y, { ...opts, parts: 1 });
      expect(onePart.placement).toBe(on("worker"));
      expect(onePart.history).not.toEqual(split.history);
      [split, whole, here, onePart].forEach(dispose);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
        const { workerScript } =
          require("../lib/training/workerScript") as typeof import("../lib/training/workerScript");
        expect(() => workerScript()).toThrow(
          /dist\/lib\/training\/loop\.js is older than lib\/training\/loop\.ts; run `npm run build`/,
        );
      });
    } finally {
      fs.utimesSync(source, atime, mtime);
    }
  });
});
