/**
 * Curve for curve: fitlab's recorded full-data histories (test/fixtures/histories/, made by
 * scripts/recordHistories.ts) held to Keras's own (test/fixtures/keras-histories/, made by
 * reference/keras/lesson.py from fitlab's exported arrays: `keras.Sequential`, `compile(optimizer=
 * "rmsprop")`, `fit(..., validation_split=...)`, 5 seeds). No Python runs here; re-record with the
 * commands in reference/keras/README.md.
 *
 * The two libraries' seeds are different random streams (initial weights, shuffles, dropout masks),
 * so each statistic of the validation curves (best epoch, minimum cross-entropy, rise after it,
 * final gap, best accuracy) is compared as seed groups: fitlab's seed mean within Keras's seed
 * spread and Keras's within fitlab's, or, where a spread of 5–6 seeds is narrower than the noise,
 * the two means no more than SAME_DISTRIBUTION_Z standard errors apart (lib/reading/kerasReference.ts). Per
 * epoch, the mean curves must be that close at nearly every epoch.
 *
 * Keras's fixtures are recorded with a fresh order of the batches every epoch, as fitlab trains and as
 * an unseeded Keras run does (RECORDED_IN_ONE_ORDER names the few still from the first recording):
 * seeded with keras.utils.set_random_seed, Keras 3.15's fit trains every epoch on the same batches in
 * the same order (reference/keras/order.py, checked in kerasStep.test.ts). That first recording made
 * three differences that looked like fitlab's: MNIST Dense(128)×2 overfitting sooner in Keras (lowest
 * validation cross-entropy 0.102 against fitlab's 0.086), Dense(10) 0.0014 higher, L1 / L1+L2 0.338 /
 * 0.336 against 0.311 / 0.312. Re-recorded with fresh orders they agree (0.0858 against 0.0859 for
 * Dense(128)×2). One difference is named in KNOWN_DIFFERENCES with a bound: nb5.lrlow's minimum.
 */
import * as fs from "fs";
import * as path from "path";
import {
  compareRecorded,
  hasReference,
  historiesDir,
  kerasAgreementLine,
  kerasInOneOrder,
  SAME_DISTRIBUTION_Z,
  type CurveStats,
  type RecordedHistories,
} from "../lib/reading/kerasReference";
import { fingerprintOf, lessonArrays } from "../scripts/kerasExport";

const kerasRuns = fs
  .readdirSync(historiesDir("keras"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -".json".length))
  .sort();

const read = (run: string, source: "fitlab" | "keras"): RecordedHistories =>
  JSON.parse(fs.readFileSync(path.join(historiesDir(source), `${run}.json`), "utf8"));

/**
 * Keras fixtures still from the first recording, seeded with keras.utils.set_random_seed, under which
 * Keras's fit trains every epoch on the same batches in the same order (reference/keras/order.py).
 * Their curves agree with fitlab's all the same; re-record them with `lesson.py --runs <run>` (about 3 minutes
 * a seed each at a load of 15 on the two cores, imdb.larger several times that) and remove them here.
 */
const RECORDED_IN_ONE_ORDER: string[] = [];

/**
 * Differences beyond the seed noise, found in the fixtures, each with what was checked and a bound
 * the difference must stay under (so a larger one still fails). The three found when Keras's runs
 * were first recorded (MNIST Dense(128)×2, Dense(10), L1) came from that recording, seeded with
 * keras.utils.set_random_seed, which made Keras train every epoch in one order; they are gone.
 */
const KNOWN_DIFFERENCES: Record<
  string,
  Partial<Record<keyof CurveStats | "epochsApart", { bound: number; why: string }>>
> = {
  "nb5.lrlow": {
    minimum: {
      bound: 0.05,
      why:
        "Notebook 5's RMSprop(0.01): the lowest validation cross-entropy over its 10 epochs is 0.294 (fitlab, 5 seeds, " +
        "0.279–0.309) against 0.267 (Keras, 10 seeds, 0.233–0.296), 3.5 standard errors. The curves themselves agree: " +
        "fitlab's mean is inside Keras's seed band at every epoch and no epoch's means are 3 standard errors apart; " +
        "training loss and accuracy agree within the seeds' noise epoch by epoch. At this rate the validation cross-entropy swings by 0.1–0.3 " +
        "from one epoch to the next (Keras's seeds rise by 0.16 after their minimum on average, up to 0.84; fitlab's by " +
        "0.04), and the minimum of a more jagged curve is lower. Step for step (kerasStep.test.ts, nb5.lrlow) the two agree " +
        "over an epoch; why Keras's curves swing more is not established (5 fitlab seeds only).",
    },
  },
};

/**
 * Epochs at which the mean curves may be more than SAME_DISTRIBUTION_Z standard errors apart: 2 of 20
 * (about 1 in 50 by chance per epoch at 5 seeds, and neighbouring epochs go together), 4 of nb5.shuffled's 40.
 */
const maxEpochsApart = (epochs: number): number => Math.max(2, Math.ceil(epochs / 10));

describe("fitlab's recorded curves against Keras's (committed fixtures, no Python)", () => {
  it("covers the runs of notebooks 1–5, each with at least 5 Keras seeds", () => {
    const lesson = [
      "mnist.small",
      "mnist.large",
      "imdb.original",
      "imdb.tiny",
      "imdb.smaller",
      "imdb.l2",
      "imdb.l1",
      "imdb.l1l2",
      "imdb.dropout",
      "imdb.l2dropout",
    ];
    const nb5 = [
      "nb5.noise",
      "nb5.zeros",
      "nb5.shuffled",
      "nb5.lrhigh",
      "nb5.lrlow",
      "nb5.small",
      "nb5.large",
      "nb5.stopped",
    ];
    for (const run of [...lesson, ...nb5]) expect(kerasRuns).toContain(run);
    for (const run of kerasRuns) expect([run, Object.keys(read(run, "keras").seeds).length >= 5]).toEqual([run, true]);
  });

  it.each(kerasRuns)("%s: recorded with the same settings on both sides", (run) => {
    expect(hasReference(run)).toBe(true);
    const f = read(run, "fitlab");
    const k = read(run, "keras");
    const settings = (r: RecordedHistories) => [
      r.epochs,
      r.batchSize,
      r.validationSplit,
      r.samples,
      r.validationSamples,
    ];
    expect(settings(k)).toEqual(settings(f));
    expect(k.keras).toBe("3.15.1");
    // Recorded with a fresh order of the batches every epoch, as fitlab (and an unseeded Keras run)
    // trains, except the runs RECORDED_IN_ONE_ORDER names.
    expect([run, kerasInOneOrder(run)]).toEqual([run, RECORDED_IN_ONE_ORDER.includes(run)]);
  });

  it("Keras's fixtures were recorded on exactly the arrays fitlab trains on today (sha256)", async () => {
    const recorded = new Map(
      kerasRuns.map((run) => [
        (read(run, "keras") as RecordedHistories & { dataset: string }).dataset,
        (read(run, "keras") as { data_sha256?: string }).data_sha256,
      ]),
    );
    for (const [dataset, sha] of recorded) {
      expect([dataset, sha]).toEqual([dataset, fingerprintOf(await lessonArrays(dataset as "mnist" | "imdb"))]);
    }
  });

  it.each(kerasRuns)(
    "%s: every statistic of the validation curves agrees across seeds, and the mean curves at nearly every epoch",
    (run) => {
      const c = compareRecorded(run);
      console.log(
        [
          kerasAgreementLine(c),
          ...c.stats.map(
            (s) =>
              `  ${s.stat}: fitlab ${s.fitlab.mean.toFixed(4)} [${s.fitlab.low.toFixed(4)}, ${s.fitlab.high.toFixed(4)}], Keras ${s.keras.mean.toFixed(4)} [${s.keras.low.toFixed(4)}, ${s.keras.high.toFixed(4)}]: ` +
              (s.fitlabInKeras && s.kerasInFitlab
                ? "each mean within the other's spread"
                : `${s.z.toFixed(1)} standard errors apart`),
          ),
          `  epochs with means over ${SAME_DISTRIBUTION_Z} standard errors apart: cross-entropy ${JSON.stringify(c.epochsApart.crossentropy)}, accuracy ${JSON.stringify(c.epochsApart.accuracy)}`,
        ].join("\n"),
      );
      const known = KNOWN_DIFFERENCES[run] ?? {};
      for (const s of c.stats.filter((s) => !s.agrees && known[s.stat])) {
        console.log(`${run} ${s.stat}, a known difference: ${known[s.stat]!.why}`);
        expect(Math.abs(s.fitlab.mean - s.keras.mean)).toBeLessThanOrEqual(known[s.stat]!.bound);
      }
      expect(
        c.stats
          .filter((s) => !s.agrees && !known[s.stat])
          .map((s) => `${s.stat}: ${s.z.toFixed(1)} standard errors apart`),
      ).toEqual([]);
      const maxApart = known.epochsApart?.bound ?? maxEpochsApart(c.epochs);
      if (known.epochsApart) console.log(`${run} per epoch, a known difference: ${known.epochsApart.why}`);
      expect(c.epochsApart.crossentropy.length).toBeLessThanOrEqual(maxApart);
      expect(c.epochsApart.accuracy.length).toBeLessThanOrEqual(maxApart);
    },
  );
});
