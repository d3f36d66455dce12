/**
 * Training a stored run longer: `train(…, { epochs: 40 })` after the same run of 20 epochs goes on
 * from where it ended (weights, RMSprop's mean squares, the shuffle and dropout stream) and gives
 * the very numbers of 40 epochs trained from scratch, on one worker, on this thread, split over
 * two workers, on multi-hot input with dropout and L2.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../lib/system/backend";
import { loadMnistFeatures } from "../lib/data/chapter5";
import { variant, variants, type ModelSpec } from "../lib/lesson/models";
import { createRng, rngFromState } from "../lib/system/random";
import { dispose, train, type Run, type TrainOptions } from "../lib/runs/train";
import { closePool, poolUsable } from "../lib/training/pool";
import type { Features, History } from "../lib/types";
import { randomMultiHot } from "./helpers/randomData";

let dir = "";
/** Native TensorFlow has no pool (training/pool.ts): there every run trains, and continues, on this thread. */
let pooled = true;
const on = (placement: Run["placement"]): Run["placement"] => (pooled ? placement : "thread");
beforeAll(async () => {
  pooled = poolUsable(await initBackend({ report: false }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fitlab-resume-"));
});
afterAll(async () => {
  await closePool();
  fs.rmSync(dir, { recursive: true, force: true });
});

const mnist = (() => {
  let data: ReturnType<typeof loadMnistFeatures>["train"] | undefined;
  return () => (data ??= loadMnistFeatures({ trainSamples: 2000, testSamples: 1 }).train);
})();

function weightsOf(run: Run): Float32Array[] {
  return run.model.getWeights().map((w) => w.dataSync() as Float32Array);
}

/** Trains `spec` for `short` epochs, then `long` (continued), and `long` from scratch (no cache): returns all three and the log of the continued one. */
async function shortThenLong(
  spec: ModelSpec,
  x: Features,
  y: ArrayLike<number>,
  options: TrainOptions,
  short: number,
  long: number,
) {
  const base: TrainOptions = { verbose: 0, batchSize: 128, validationSplit: 0.2, cache: { dir }, ...options };
  const first = await train(spec, x, y, { ...base, epochs: short });
  const lines: string[] = [];
  const replayed: [number, number, boolean | undefined][] = [];
  const continued = await train(spec, x, y, {
    ...base,
    epochs: long,
    verbose: undefined,
    log: (line) => lines.push(line),
    onEpochEnd: (epoch: number, h: History, info?: { replayed: boolean }) =>
      void replayed.push([epoch, h.epoch.length, info?.replayed]),
  });
  const fresh = await train(spec, x, y, { ...base, epochs: long, cache: false });
  return { first, continued, fresh, lines, replayed };
}

function expectSameRun(a: Run, b: Run): void {
  expect(a.history).toEqual(b.history);
  const [wa, wb] = [weightsOf(a), weightsOf(b)];
  expect(wa.length).toBe(wb.length);
  wa.forEach((w, i) =>
    expect(
      Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(
        Buffer.from(wb[i].buffer, wb[i].byteOffset, wb[i].byteLength),
      ),
    ).toBe(true),
  );
}

describe("rngFromState", () => {
  it("goes on with the very numbers the stream would draw next", () => {
    const rng = createRng(7);
    for (let i = 0; i < 1000; i++) rng.nextUint32();
    const copy = rngFromState(rng.state());
    const ahead = Array.from({ length: 100 }, () => rng.nextUint32());
    expect(Array.from({ length: 100 }, () => copy.nextUint32())).toEqual(ahead);
  });

  it("refuses a state that is not four unsigned 32-bit integers", () => {
    expect(() => rngFromState([1, 2, 3])).toThrow(/four unsigned 32-bit integers/);
    expect(() => rngFromState([1, 2, 3, -1])).toThrow(/four unsigned 32-bit integers/);
  });
});

describe("train longer than a stored run", () => {
  it("continues it on a worker: the numbers of the longer run from scratch, to the bit, with the stored epochs replayed", async () => {
    const d = mnist();
    const { first, continued, fresh, lines, replayed } = await shortThenLong(
      variants.mnist.small,
      d.x,
      d.y,
      { seed: 11 },
      3,
      6,
    );
    expect(first.fromCache).toBe(false);
    expect(continued.placement).toBe(on("worker"));
    expect(lines[0]).toBe(
      "small: epochs 1–3 are the stored 3-epoch run's (the numbers training them again would give); training epochs 4–6",
    );
    // Only epochs 4–6 were trained: three lines of them.
    expect(lines.filter((l) => l.startsWith("Epoch ")).map((l) => l.split(" - ")[0])).toEqual([
      "Epoch 4/6",
      "Epoch 5/6",
      "Epoch 6/6",
    ]);
    // The stored epochs are replayed first, marked as such; then the trained ones.
    expect(replayed).toEqual([
      [0, 1, true],
      [1, 2, true],
      [2, 3, true],
      [3, 4, false],
      [4, 5, false],
      [5, 6, false],
    ]);
    expect(continued.history.params.epochs).toBe(6);
    expectSameRun(continued, fresh);
    // The continued run is stored too: asked again, it comes from the cache.
    const again = await train(variants.mnist.small, d.x, d.y, {
      verbose: 0,
      batchSize: 128,
      validationSplit: 0.2,
      cache: { dir },
      seed: 11,
      epochs: 6,
    });
    expect(again.fromCache).toBe(true);
    [first, continued, fresh, again].forEach(dispose);
  });

  it("continues it on the calling thread, and a continued run continues again", async () => {
    const d = mnist();
    const { first, continued, fresh } = await shortThenLong(
      variants.mnist.small,
      d.x,
      d.y,
      { seed: 12, thread: "thread" },
      2,
      4,
    );
    expect(continued.placement).toBe("thread");
    expectSameRun(continued, fresh);
    const {
      continued: further,
      fresh: freshFurther,
      lines,
    } = await shortThenLong(variants.mnist.small, d.x, d.y, { seed: 12, thread: "thread" }, 4, 7);
    expect(lines[0]).toMatch(/epochs 1–4 are the stored 4-epoch run's .*; training epochs 5–7$/);
    expectSameRun(further, freshFurther);
    [first, continued, fresh, further, freshFurther].forEach(dispose);
  });

  it("continues a run split over two workers (each held half of the optimizer's state)", async () => {
    const d = mnist();
    const { first, continued, fresh } = await shortThenLong(
      variants.mnist.large,
      d.x,
      d.y,
      { seed: 13, parts: 2, split: true },
      2,
      4,
    );
    expect([first.placement, continued.placement]).toEqual([on("two workers"), on("two workers")]);
    expectSameRun(continued, fresh);
    [first, continued, fresh].forEach(dispose);
  });

  it("continues a multi-hot run with dropout and L2 (the dropout stream goes on where it stopped)", async () => {
    const { x, y } = randomMultiHot(600, 300, 5);
    const spec = variant("imdb.l2dropout", { units: 8 });
    const { first, continued, fresh } = await shortThenLong(
      spec,
      x,
      y,
      { seed: 14, batchSize: 64, validationSplit: 0.4 },
      3,
      5,
    );
    expect(continued.fromCache).toBe(false);
    expectSameRun(continued, fresh);
    [first, continued, fresh].forEach(dispose);
  });

  it("does not continue a run with early stopping, nor a run with other settings", async () => {
    const d = mnist();
    const es = { patience: 50, monitor: "val_loss" as const };
    const { continued, lines, first, fresh } = await shortThenLong(
      variants.mnist.small,
      d.x,
      d.y,
      { seed: 15, earlyStopping: es },
      2,
      4,
    );
    expect(lines.some((l) => l.includes("stored"))).toBe(false);
    expectSameRun(continued, fresh);
    const other = await train(variants.mnist.small, d.x, d.y, {
      verbose: 0,
      batchSize: 64,
      validationSplit: 0.2,
      cache: { dir },
      seed: 15,
      epochs: 4,
      log: (l) => lines.push(l),
    });
    expect(lines.some((l) => l.includes("stored"))).toBe(false);
    [continued, first, fresh, other].forEach(dispose);
  });
});
