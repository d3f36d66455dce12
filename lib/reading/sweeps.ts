/**
 * The computed lines under the sweep figures (more data, capacity, L2 and dropout sliders): what
 * the runs show, in their numbers, whatever they show. Like curves.ts: pure functions of plain runs;
 * direction words ("lower", "higher") come from the numbers, and seed counts say how many agree.
 */
import { fail } from "../check";
import { OVERFIT_LESS } from "../lesson/exercises";
import { roughPercent as pct, smallLoss as loss } from "../format";
import { measure, measureSeeds, seedStats, type Measures } from "./measures";
import { sweepLabel, type Sweep } from "../lesson/sweeps";
import type { History } from "../types";

function checkSweep(sweep: Sweep, kind: Sweep["kind"] | null, where: string): void {
  if (!sweep || !Array.isArray(sweep.groups) || sweep.groups.length === 0)
    fail(where, "sweep", sweep, "pass what trainSweep returns");
  if (kind && sweep.kind !== kind) fail(where, "sweep.kind", sweep.kind, `pass a "${kind}" sweep`);
}

const seedNote = (n: number) => (n > 1 ? `mean of ${n} seeds` : "one seed");

/** In how many of the seeds both groups share `better(a, b)` holds (seeds paired by position). */
function agreeing(
  a: ReturnType<typeof measureSeeds>,
  b: ReturnType<typeof measureSeeds>,
  better: (x: (typeof a)[number], y: (typeof a)[number]) => boolean,
): string {
  const n = Math.min(a.length, b.length);
  const k = Array.from({ length: n }, (_, i) => better(a[i], b[i])).filter(Boolean).length;
  return `${k} of ${n} seed${n === 1 ? "" : "s"}`;
}

function direction(from: number, to: number): string {
  return to < from ? "lower" : to > from ? "higher" : "the same";
}

/**
 * The more-data sweep: each size's minimum and rise after it, and how the largest size compares with
 * the smallest (per seed). e.g. "5,000 / 10,000 / 15,000 training reviews against the same 10,000
 * validation reviews (mean of 3 seeds): lowest validation cross-entropy 0.334 / 0.300 / 0.284 …".
 */
export function moreDataLine(sweep: Sweep): string {
  checkSweep(sweep, "samples", "moreDataLine");
  const ms = sweep.groups.map((g) => measure(g));
  const validation = sweep.groups[0].history.params.validationSamples;
  const sizes = sweep.values.map((v) => v.toLocaleString("en-US")).join(" / ");
  const seeds = Math.min(...sweep.groups.map((g) => g.seedRuns.length));
  const parts = [
    `${sizes} training reviews against the same ${validation.toLocaleString("en-US")} validation reviews (${seedNote(seeds)}): ` +
      `lowest validation cross-entropy ${ms.map((m) => loss(m.minValLoss)).join(" / ")} at epoch ${ms.map((m) => m.bestEpoch).join(" / ")}; ` +
      `the rise after it is ${ms.map((m) => pct(m.rise)).join(" / ")} (how far its trend over the last ${ms[0].trendEpochs} epochs ends above the minimum, at epoch ${ms.map((m) => m.epochs).join(" / ")}). ` +
      `An epoch is ${sweep.groups.map((g) => g.history.params.steps).join(" / ")} weight updates.`,
  ];
  if (sweep.groups.length >= 2) {
    // The fair comparison of the rise: at equal training. The fewest reviews' whole run is so many
    // weight updates; a larger set reaches as many at an earlier epoch, where its rise so far is read.
    const { updates, at, equal } = equalTraining(sweep);
    parts.push(
      `At equal training, about ${updates.toLocaleString("en-US")} weight updates (epoch ${at.join(" / ")}), the rise after the minimum so far is ${equal.map((m) => pct(m.rise)).join(" / ")}.`,
    );
    const [first, last] = [sweep.groups[0], sweep.groups[sweep.groups.length - 1]];
    const [a, b] = [measure(first), measure(last)];
    const [sa, sb] = [measureSeeds(first), measureSeeds(last)];
    parts.push(
      `With ${sweep.values[sweep.values.length - 1].toLocaleString("en-US")} reviews instead of ${sweep.values[0].toLocaleString("en-US")} the minimum is ${direction(a.minValLoss, b.minValLoss)} ` +
        `(in ${agreeing(sb, sa, (x, y) => x.minValLoss < y.minValLoss)} lower), the best epoch ${b.bestEpoch > a.bestEpoch ? "later" : b.bestEpoch < a.bestEpoch ? "earlier" : "the same"}, ` +
        `and the rise after it by epoch ${b.epochs} ${direction(a.rise, b.rise)} (in ${agreeing(sb, sa, (x, y) => x.rise < y.rise)} smaller).`,
    );
  }
  return parts.join(" ");
}

/**
 * The capacity curve, as plotCapacity draws it: each width's best validation cross-entropy is the
 * mean over its seeds of each seed's lowest value (not the lowest of the mean curve, which a seed
 * whose minimum comes at another epoch would lift); how far apart the widths are (lowest and highest,
 * at which widths), and where the training and the validation cross-entropy end at the narrowest and
 * the widest network.
 */
export function capacityLine(sweep: Sweep): string {
  checkSweep(sweep, "width", "capacityLine");
  const minima = sweep.groups.map((g) => seedStats(g, (m) => m.minValLoss).mean);
  const ms = sweep.groups.map((g) => measure(g));
  const lo = minima.indexOf(Math.min(...minima));
  const hi = minima.indexOf(Math.max(...minima));
  const seeds = [...new Set(sweep.groups.map((g) => g.seedRuns.length))].sort((a, b) => b - a);
  const last = ms.length - 1;
  const [w0, wn] = [sweep.values[0], sweep.values[last]];
  return [
    `Best validation cross-entropy (each seed's lowest, averaged over ${seeds.join(" or ")} seed${seeds[0] > 1 ? "s" : ""}, as the figure draws it) from ${loss(minima[lo])} (${sweep.values[lo]} units) to ${loss(minima[hi])} (${sweep.values[hi]} units), a spread of ${loss(minima[hi] - minima[lo])}.`,
    `At the last epoch the training cross-entropy is ${loss(ms[0].finalTrainLoss)} at ${w0} units and ${loss(ms[last].finalTrainLoss)} at ${wn}; the validation cross-entropy ${loss(ms[0].lastValLoss)} and ${loss(ms[last].lastValLoss)}.`,
  ].join(" ");
}

/**
 * A strength sweep (L2 or dropout) against the unregularized model: each value's minimum and rise,
 * the value with the lowest minimum, the values whose curve rises less than 10%, and which of them
 * also keep the minimum within exercise 4.1's target (or, when none does, the smallest rise there is).
 */
export function strengthLine(sweep: Sweep): string {
  checkSweep(sweep, null, "strengthLine");
  if (sweep.kind !== "l2" && sweep.kind !== "dropout")
    fail("strengthLine", "sweep.kind", sweep.kind, 'pass an "l2" or "dropout" sweep');
  const ms = sweep.groups.map((g) => measure(g));
  const minima = ms.map((m) => m.minValLoss);
  const at = minima.indexOf(Math.min(...minima));
  const flat = sweep.values.filter((_, i) => ms[i].rise < OVERFIT_LESS.maxRise);
  const goal = sweep.values.filter(
    (_, i) => ms[i].rise < OVERFIT_LESS.maxRise && ms[i].minValLoss <= OVERFIT_LESS.maxMinimum,
  );
  const least = ms.map((m) => m.rise).indexOf(Math.min(...ms.map((m) => m.rise)));
  const seeds = Math.min(...sweep.groups.map((g) => g.seedRuns.length));
  const target = `a rise under ${pct(OVERFIT_LESS.maxRise)} with a minimum ≤ ${OVERFIT_LESS.maxMinimum}`;
  return [
    `${sweep.kind === "l2" ? "L2 strength" : "Dropout rate"} → lowest validation cross-entropy (rise after it), ${seedNote(seeds)}: ` +
      sweep.values.map((v, i) => `${v}: ${loss(ms[i].minValLoss)} (${pct(ms[i].rise)})`).join(", ") +
      ".",
    `The lowest minimum is at ${sweepLabel(sweep.kind, sweep.values[at])}; ${flat.length ? `the rise is under ${pct(OVERFIT_LESS.maxRise)} at ${flat.join(", ")}` : `the rise is ${pct(OVERFIT_LESS.maxRise)} or more at every value`}.`,
    goal.length
      ? `Exercise 4.1's goal (${target}) is met here at ${goal.join(", ")}.`
      : `No value here meets exercise 4.1's goal (${target}); the smallest rise is ${pct(ms[least].rise)}, at ${sweep.values[least]}.`,
  ].join(" ");
}

/**
 * A more-data sweep compared at equal training: the fewest reviews' whole run is so many weight
 * updates; each larger set reaches as many at an earlier epoch (`at`), where its run is measured as it
 * stood then (`equal`: its minimum and rise so far).
 */
export function equalTraining(sweep: Sweep): { updates: number; at: number[]; equal: Measures[] } {
  checkSweep(sweep, "samples", "equalTraining");
  const epochs = sweep.groups.map((g) => g.history.epoch.length);
  const steps = sweep.groups.map((g) => g.history.params.steps);
  const updates = steps[0] * epochs[0];
  const at = steps.map((s, i) => Math.max(1, Math.min(epochs[i], Math.round(updates / s))));
  return { updates, at, equal: sweep.groups.map((g, i) => measure(firstEpochs(g.history, at[i]))) };
}

/** The first `epochs` epochs of a history (every series cut there): a run as it stood at that epoch. */
function firstEpochs(history: History, epochs: number): History {
  const cut = Object.fromEntries(
    Object.entries(history.history).map(([key, values]) => [key, (values as number[]).slice(0, epochs)]),
  ) as History["history"];
  return { ...history, epoch: history.epoch.slice(0, epochs), history: cut };
}
