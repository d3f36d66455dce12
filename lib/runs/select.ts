/**
 * The last step of the book's workflow (chapter 5): choose a configuration on the VALIDATION data,
 * retrain it on all the training data for its best number of epochs, then score it once on the test
 * set. This module does the choosing (plain arithmetic on histories) and builds the record of the
 * final model that summaries and figures read; training and evaluation stay in train.ts and evaluate.ts.
 */
import { fail } from "../check";
import type { ModelSpec } from "../lesson/models";
import type { History, RunLike } from "../types";

/** What to choose by: the lowest validation cross-entropy (default) or the highest validation accuracy. */
export type SelectBy = "val_crossentropy" | "val_accuracy";

/** One candidate's best epoch (1-based) and its value there. */
export interface Candidate<R extends RunLike = RunLike> {
  run: R;
  epoch: number;
  value: number;
  /** The validation accuracy at that epoch. */
  valAccuracy: number;
}

export interface Selection<R extends RunLike = RunLike> {
  by: SelectBy;
  /** The winner: ranking[0]. */
  best: Candidate<R>;
  /** Every candidate with a finite value, best first (runs with none, e.g. diverged from epoch 1, are left out). */
  ranking: Candidate<R>[];
}

/**
 * The validation series a choice reads: the plain cross-entropy (`val_crossentropy`, recorded for
 * regularized runs; for the others `val_loss` is the same quantity), so a penalty does not count
 * against a regularized model; or `val_accuracy`.
 */
function seriesFor(history: History, by: SelectBy): number[] | undefined {
  return by === "val_accuracy"
    ? history.history.val_accuracy
    : (history.history.val_crossentropy ?? history.history.val_loss);
}

/**
 * Ranks runs by their best validation value over the epochs (lowest cross-entropy or highest
 * accuracy; the earlier epoch on a tie) and returns the best with its epoch. Every run must have
 * validation values (trained with validationSplit > 0).
 */
export function selectBest<R extends RunLike>(runs: R[], by: SelectBy = "val_crossentropy"): Selection<R> {
  const where = "selectBest";
  if (by !== "val_crossentropy" && by !== "val_accuracy")
    fail(where, "by", by, 'it must be "val_crossentropy" or "val_accuracy"');
  if (!Array.isArray(runs) || runs.length === 0)
    fail(where, "runs", runs, "pass a non-empty array of runs to choose from");
  const lower = by === "val_crossentropy";
  const ranking: Candidate<R>[] = [];
  runs.forEach((run, i) => {
    const series = run && run.history ? seriesFor(run.history, by) : undefined;
    const accuracy = run?.history?.history.val_accuracy;
    if (!series || !accuracy)
      fail(
        where,
        `runs[${i}]`,
        run?.name ?? run,
        "it has no validation values; choose among runs trained with validationSplit > 0",
      );
    let best = -1;
    series.forEach((v, e) => {
      if (Number.isFinite(v) && (best < 0 || (lower ? v < series[best] : v > series[best]))) best = e;
    });
    if (best >= 0) ranking.push({ run, epoch: best + 1, value: series[best], valAccuracy: accuracy[best] });
  });
  if (ranking.length === 0)
    fail(where, "runs", runs.map((r) => r.name).join(", "), "none has a finite validation value (all diverged?)");
  ranking.sort((a, b) => (lower ? a.value - b.value : b.value - a.value));
  return { by, best: ranking[0], ranking };
}

/** The spec a run (or the first run of a group of seeds) was trained from: what to retrain. */
export function specOf(run: RunLike & { spec?: ModelSpec }): ModelSpec {
  const spec = run.spec ?? (run.seedRuns?.[0] as { spec?: ModelSpec } | undefined)?.spec;
  if (!spec)
    fail("specOf", "run", run?.name ?? run, "it carries no spec; pass a run from train() or a group from trainSeeds()");
  return spec;
}

/**
 * The record of a final model for summaries and figures: named `name`, carrying its test scores (and
 * `test.epochs`, the chosen epoch it was retrained for) and the whole validation history of the
 * configuration that chose it (the final model itself trained on every row and has no validation
 * values; figures read the validation accuracy that chose it from there). `test.from` names that
 * configuration. Its row in the results table says what it is (epochs trained, no validation split, the
 * test scores) and carries no verdict: the configuration's 20-epoch history is not this model's.
 */
export function finalModelRecord(name: string, chosen: Candidate, test: { loss: number; accuracy: number }): RunLike {
  if (typeof name !== "string" || name === "") fail("finalModelRecord", "name", name, "it must be a non-empty string");
  if (!test || !Number.isFinite(test.loss) || !Number.isFinite(test.accuracy)) {
    fail("finalModelRecord", "test", test, "it must be { loss, accuracy } as evaluate() returns");
  }
  const h = chosen.run.history;
  return {
    name,
    history: { history: { ...h.history }, epoch: [...h.epoch], params: { ...h.params } },
    test: { loss: test.loss, accuracy: test.accuracy, epochs: chosen.epoch, from: chosen.run.name },
  };
}
