/**
 * Choosing a final model and scoring it once on the test set (the end of notebook 5, the book's
 * workflow): a selection's ranking, the final model in one line, and its test accuracy against the
 * validation accuracy that chose it. Pure functions of plain runs, no I/O; every sentence states only
 * what the numbers show.
 */
import { checkRun, fail } from "../check";
import { percent, plural } from "../format";
import { testVsValidation } from "../figures/testScores";
import type { Candidate, Selection } from "../runs/select";
import type { RunLike } from "../types";

/**
 * A selection's ranking (`selectBest`), one line per candidate, best first: its best epoch, the value
 * it was ranked by and the validation accuracy there.
 *
 * e.g. "tiny       best epoch 11  validation cross-entropy 0.2844  accuracy 88.4%"
 *
 * With `tie` (e.g. 0.005: how far apart one configuration's seeds commonly end), a last line names
 * the candidates that close to the best: among them, the seed decided as much as the data did.
 */
export function rankingLine(choice: Selection, options: { tie?: number } = {}): string {
  const where = "rankingLine";
  if (!choice || !Array.isArray(choice.ranking) || choice.ranking.length === 0)
    fail(where, "choice", choice, "pass what selectBest() returns");
  if (!options || typeof options !== "object") fail(where, "options", options, "it must be { tie? }");
  for (const key of Object.keys(options))
    if (key !== "tie")
      fail(where, `options.${key}`, (options as Record<string, unknown>)[key], "not an option; known options: tie");
  const tie = options.tie;
  if (tie !== undefined && !(typeof tie === "number" && Number.isFinite(tie) && tie >= 0))
    fail(where, "options.tie", tie, "a number ≥ 0: candidates this close to the best count as tied with it");
  const width = Math.max(...choice.ranking.map((c) => c.run.name.length));
  const by = choice.by === "val_accuracy" ? "validation accuracy" : "validation cross-entropy";
  const value = (v: number): string => (choice.by === "val_accuracy" ? percent(v) : v.toFixed(4));
  const lines = choice.ranking.map(
    (c) =>
      `${c.run.name.padEnd(width)}  best epoch ${String(c.epoch).padStart(2)}  ${by} ${value(c.value)}` +
      (choice.by === "val_accuracy" ? "" : `  accuracy at that epoch ${percent(c.valAccuracy)}`),
  );
  if (tie !== undefined) {
    // How far each candidate is from the best, in the ranked value (lower is better for cross-entropy).
    const best = choice.ranking[0];
    const behind = (c: Candidate): number =>
      choice.by === "val_accuracy" ? best.value - c.value : c.value - best.value;
    const diff = (c: Candidate): string =>
      choice.by === "val_accuracy" ? `−${(100 * behind(c)).toFixed(1)} points` : `+${behind(c).toFixed(4)}`;
    const tied = choice.ranking.slice(1).filter((c) => behind(c) <= tie);
    const tieText = choice.by === "val_accuracy" ? `${(100 * tie).toFixed(1)} points` : String(tie);
    lines.push(
      tied.length === 0
        ? `${best.run.name} leads the next candidate by more than the tie band (${tieText}).`
        : `Within the tie band (${tieText}) of ${best.run.name}: ${tied.map((c) => `${c.run.name} (${diff(c)})`).join(", ")}. Another seed may pick ${tied.length === 1 ? "it" : "one of them"}.`,
    );
  }
  return lines.join("\n");
}

/**
 * A final model in one line: which configuration, retrained for how many epochs on how many rows,
 * and its single test score.
 *
 * e.g. "final imdb = tiny, retrained for 11 epochs on 25000 rows; tested once on 25000 rows: loss
 * 0.2684, accuracy 89.3%."
 */
export function finalModelLine(
  name: string,
  chosen: Candidate,
  trained: RunLike,
  test: { loss: number; accuracy: number; samples: number },
): string {
  const where = "finalModelLine";
  checkRun(trained, `${where}: trained`);
  if (!chosen || !chosen.run) fail(where, "chosen", chosen, "pass selectBest(…).best");
  if (!test || !Number.isFinite(test.loss) || !Number.isFinite(test.accuracy))
    fail(where, "test", test, "pass what evaluate() returns");
  return (
    `${name} = ${chosen.run.name}, retrained for ${plural(chosen.epoch, "epoch")} on ${trained.history.params.samples} rows; ` +
    `tested once on ${test.samples} rows: loss ${test.loss.toFixed(4)}, accuracy ${percent(test.accuracy)}.`
  );
}

/**
 * Each final model's test accuracy against the validation accuracy that chose it, in points.
 *
 * e.g. "final imdb: validation accuracy 88.4% (at the epoch that chose it), test accuracy 89.3%: +1.0 points"
 */
export function testVsValidationLine(records: RunLike[]): string {
  return testVsValidation(records)
    .map((r) => {
      // From the percentages as printed, so the difference always matches them.
      const points = Number((100 * r.test).toFixed(1)) - Number((100 * r.validation).toFixed(1));
      return `${r.name}: validation accuracy ${percent(r.validation)} (at the epoch that chose it), test accuracy ${percent(r.test)}: ${points >= 0 ? "+" : "−"}${Math.abs(points).toFixed(1)} points`;
    })
    .join("\n");
}
