/**
 * The computed lines under the sweep figures (more data, capacity, L2 and dropout sliders): what
 * the runs show, in their numbers, whatever they show. Like explain.ts: pure functions of plain runs;
 * direction words ("lower", "higher") come from the numbers, and seed counts say how many agree.
 */
import { fail } from "./check";
import { formatLoss as loss, formatPercent as pct, measure, measureSeeds } from "./measures";
import { sweepLabel, type Sweep } from "./sweeps";

function checkSweep(sweep: Sweep, kind: Sweep["kind"] | null, where: string): void {
  if (!sweep || !Array.isArray(sweep.groups) || sweep.groups.length === 0) fail(where, "sweep", sweep, "pass what trainSweep returns");
  if (kind && sweep.kind !== kind) fail(where, "sweep.kind", sweep.kind, `pass a "${kind}" sweep`);
}

const seedNote = (n: number) => (n > 1 ? `mean of ${n} seeds` : "one seed");

/** In how many of the seeds both groups share `better(a, b)` holds (seeds paired by position). */
function agreeing(a: ReturnType<typeof measureSeeds>, b: ReturnType<typeof measureSeeds>, better: (x: (typeof a)[number], y: (typeof a)[number]) => boolean): string {
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
      `it ends ${ms.map((m) => pct(m.rise)).join(" / ")} above that minimum at epoch ${ms.map((m) => m.epochs).join(" / ")}. ` +
      `An epoch is ${sweep.groups.map((g) => g.history.params.steps).join(" / ")} weight updates.`,
  ];
  if (sweep.groups.length >= 2) {
    const [first, last] = [sweep.groups[0], sweep.groups[sweep.groups.length - 1]];
    const [a, b] = [measure(first), measure(last)];
    const [sa, sb] = [measureSeeds(first), measureSeeds(last)];
    parts.push(
      `With ${sweep.values[sweep.values.length - 1].toLocaleString("en-US")} reviews instead of ${sweep.values[0].toLocaleString("en-US")} the minimum is ${direction(a.minValLoss, b.minValLoss)} ` +
        `(in ${agreeing(sb, sa, (x, y) => x.minValLoss < y.minValLoss)} lower), the best epoch ${b.bestEpoch > a.bestEpoch ? "later" : b.bestEpoch < a.bestEpoch ? "earlier" : "the same"}, ` +
        `and the rise after it ${direction(a.rise, b.rise)} (in ${agreeing(sb, sa, (x, y) => x.rise < y.rise)} smaller).`,
    );
  }
  return parts.join(" ");
}

/**
 * The capacity curve: how far apart the widths' best validation cross-entropies are (lowest and
 * highest, at which widths), and where the training and the validation cross-entropy end at the
 * narrowest and the widest network.
 */
export function capacityLine(sweep: Sweep): string {
  checkSweep(sweep, "width", "capacityLine");
  const ms = sweep.groups.map((g) => measure(g));
  const minima = ms.map((m) => m.minValLoss);
  const lo = minima.indexOf(Math.min(...minima));
  const hi = minima.indexOf(Math.max(...minima));
  const seeds = [...new Set(sweep.groups.map((g) => g.seedRuns.length))].sort((a, b) => b - a);
  const last = ms.length - 1;
  const [w0, wn] = [sweep.values[0], sweep.values[last]];
  return [
    `Best validation cross-entropy from ${loss(minima[lo])} (${sweep.values[lo]} units) to ${loss(minima[hi])} (${sweep.values[hi]} units), a spread of ${loss(minima[hi] - minima[lo])} (means over ${seeds.join(" or ")} seed${seeds[0] > 1 ? "s" : ""}).`,
    `At the last epoch the training cross-entropy is ${loss(ms[0].finalTrainLoss)} at ${w0} units and ${loss(ms[last].finalTrainLoss)} at ${wn}; the validation cross-entropy ${loss(ms[0].lastValLoss)} and ${loss(ms[last].lastValLoss)}.`,
  ].join(" ");
}

/**
 * A strength sweep (L2 or dropout) against the unregularized model: each value's minimum and rise,
 * the value with the lowest minimum and the values whose curve rises less than 10%.
 */
export function strengthLine(sweep: Sweep): string {
  checkSweep(sweep, null, "strengthLine");
  if (sweep.kind !== "l2" && sweep.kind !== "dropout") fail("strengthLine", "sweep.kind", sweep.kind, 'pass an "l2" or "dropout" sweep');
  const ms = sweep.groups.map((g) => measure(g));
  const minima = ms.map((m) => m.minValLoss);
  const at = minima.indexOf(Math.min(...minima));
  const flat = sweep.values.filter((_, i) => ms[i].rise < 0.1);
  const seeds = Math.min(...sweep.groups.map((g) => g.seedRuns.length));
  return [
    `${sweep.kind === "l2" ? "L2 strength" : "Dropout rate"} → lowest validation cross-entropy (rise after it), ${seedNote(seeds)}: ` +
      sweep.values.map((v, i) => `${v}: ${loss(ms[i].minValLoss)} (${pct(ms[i].rise)})`).join(", ") + ".",
    `The lowest minimum is at ${sweepLabel(sweep.kind, sweep.values[at])}; ${flat.length ? `the curve ends less than 10% above its minimum at ${flat.join(", ")}` : "at every value the curve ends 10% or more above its minimum"}.`,
  ].join(" ");
}
