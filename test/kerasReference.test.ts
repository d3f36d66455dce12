/**
 * lib/reading/kerasReference.ts on made-up seed groups (the real fixtures are kerasCurves.test.ts's): the
 * statistics of a curve, the seed-spread comparison and when it reports a difference, and the figure.
 */
import { plotKerasReference } from "../lib/figures/reference";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  compareWithKeras,
  curveStats,
  kerasInOneOrder,
  spread,
  standardErrorsApart,
  toSeedGroup,
  type RecordedHistories,
} from "../lib/reading/kerasReference";
import type { ScatterTrace } from "../lib/figures";

/** A recorded file whose seeds' validation curves are `base` shifted by each seed's offset. */
function recorded(offsets: number[], base: number[]): RecordedHistories {
  const seeds = Object.fromEntries(
    offsets.map((o, i) => [
      String(i + 1),
      {
        loss: base.map((v) => v / 2),
        accuracy: base.map(() => 0.9),
        val_loss: base.map((v) => v + o),
        val_accuracy: base.map(() => 0.85 + o),
      },
    ]),
  );
  return {
    name: "imdb.original",
    epochs: base.length,
    batchSize: 512,
    validationSplit: 0.4,
    samples: 15000,
    validationSamples: 10000,
    seeds,
  };
}

const CURVE = [0.45, 0.33, 0.3, 0.29, 0.31, 0.35, 0.4];

describe("curveStats", () => {
  it("reads the best epoch, minimum, rise, final gap and best accuracy of the validation cross-entropy", () => {
    const h = toSeedGroup(recorded([0], CURVE), "x").seedRuns[0].history;
    const s = curveStats(h);
    expect(s.bestEpoch).toBe(4);
    expect(s.minimum).toBeCloseTo(0.29, 12);
    expect(s.rise).toBeCloseTo(0.11, 12);
    expect(s.finalGap).toBeCloseTo(0.4 - 0.2, 12);
    expect(s.bestAccuracy).toBeCloseTo(0.85, 12);
  });

  it("uses the plain cross-entropy of a regularized run, not the penalized val_loss", () => {
    const r = recorded([0], CURVE);
    r.seeds["1"].val_crossentropy = CURVE.map((v) => v - 0.05);
    r.seeds["1"].crossentropy = CURVE.map(() => 0.1);
    const s = curveStats(toSeedGroup(r, "x").seedRuns[0].history);
    expect(s.minimum).toBeCloseTo(0.24, 12);
    expect(s.finalGap).toBeCloseTo(0.35 - 0.1, 12);
  });
});

describe("standardErrorsApart", () => {
  it("is Welch's |Δmean| / standard error, 0 for equal means and Infinity for different constants", () => {
    const a = spread([1, 2, 3]);
    const b = spread([2, 3, 4]);
    expect(standardErrorsApart(a, b)).toBeCloseTo(1 / Math.sqrt(1 / 3 + 1 / 3), 12);
    expect(standardErrorsApart(spread([5, 5]), spread([5, 5]))).toBe(0);
    expect(standardErrorsApart(spread([5, 5]), spread([6, 6]))).toBe(Infinity);
  });
});

describe("compareWithKeras", () => {
  const offsets = [-0.004, -0.002, 0, 0.002, 0.004];

  it("agrees when the two libraries' seeds spread over the same values", () => {
    const c = compareWithKeras(
      "imdb.original",
      toSeedGroup(recorded(offsets, CURVE), "fitlab original"),
      toSeedGroup(
        recorded(
          offsets.map((o) => o + 0.001),
          CURVE,
        ),
        "Keras original",
      ),
    );
    expect(c.stats.every((s) => s.agrees)).toBe(true);
    expect(c.epochsApart).toEqual({ crossentropy: [], accuracy: [] });
    expect(c.epochsInBand.crossentropy).toBe(CURVE.length);
  });

  it("reports a shift far beyond the seed noise, at every epoch and in the statistics it moves", () => {
    const c = compareWithKeras(
      "imdb.original",
      toSeedGroup(recorded(offsets, CURVE), "fitlab original"),
      toSeedGroup(
        recorded(
          offsets.map((o) => o + 0.05),
          CURVE,
        ),
        "Keras original",
      ),
    );
    expect(c.stats.filter((s) => !s.agrees).map((s) => s.stat)).toEqual(["minimum", "finalGap", "bestAccuracy"]);
    expect(c.epochsApart.crossentropy).toHaveLength(CURVE.length);
    expect(c.maxMeanGap.crossentropy).toBeCloseTo(0.05, 12);
  });

  it("refuses a z that is not a positive number", () => {
    const g = toSeedGroup(recorded(offsets, CURVE), "g");
    expect(() => compareWithKeras("imdb.original", g, g, { z: 0 })).toThrow(/options.z = 0; it must be a number > 0/);
  });
});

describe("kerasInOneOrder", () => {
  it("tells a fixture recorded with a fresh order every epoch from one recorded in one order, and names a missing one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fitlab-keras-order-"));
    try {
      fs.writeFileSync(
        path.join(dir, "imdb.original.json"),
        JSON.stringify({ ...recorded([0], CURVE), shuffle: "fresh every epoch" }),
      );
      fs.writeFileSync(path.join(dir, "imdb.l2.json"), JSON.stringify(recorded([0], CURVE)));
      expect(kerasInOneOrder("imdb.original", dir)).toBe(false);
      expect(kerasInOneOrder("imdb.l2", dir)).toBe(true);
      expect(() => kerasInOneOrder("imdb.l1", dir)).toThrow(
        /imdb\.l1\.json is missing; record it with `.venv\/bin\/python reference\/keras\/lesson.py --runs imdb.l1`/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("plotKerasReference", () => {
  it("draws fitlab solid and Keras dotted in the run's colour, with both bands", () => {
    const fig = plotKerasReference([
      {
        run: "imdb.l2",
        fitlab: toSeedGroup(recorded([0, 0.01], CURVE), "fitlab l2"),
        keras: toSeedGroup(recorded([0, 0.02], CURVE), "Keras l2"),
      },
    ]);
    const lines = (fig.data as ScatterTrace[]).filter((t) => t.line && t.line.width !== 0);
    expect(lines.map((t) => [t.legendgroup, t.line!.dash, t.line!.color])).toEqual([
      ["fitlab l2", "solid", "#ff7f0e"],
      ["Keras l2", "dot", "#ff7f0e"],
    ]);
    expect((fig.data as ScatterTrace[]).filter((t) => t.fill === "tonexty")).toHaveLength(2);
  });

  it("refuses an empty list", () => {
    expect(() => plotKerasReference([])).toThrow(/at least one/);
  });
});
