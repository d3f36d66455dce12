/**
 * Commentary computed from the numbers: the line a notebook prints under a figure, so what it says
 * follows the runs the reader actually trained (other seeds, other hyperparameters). Pure functions
 * of plain histories: no I/O, no tensors. Every sentence states only what the numbers show; for a
 * group of seeds it says that the figures are means, and how many seeds agree.
 */
import { checkRun } from "../check";
import { countText, loss, percent, percent2 } from "../format";
import { diagnose, type DiagnoseOptions } from "./diagnose";
import { isSeedGroup } from "../runs/seeds";
import type { Diagnosis, History, RunLike, Verdict } from "../types";

export interface ExplainOptions {
  /** Thresholds passed to `diagnose` (not `baseline`: use `compareLine`). */
  diagnose?: Omit<DiagnoseOptions, "baseline">;
}

/**
 * One or two sentences on one run: best epoch, minimum validation cross-entropy, where the curve
 * ends and how far above its minimum, the final gap, and the verdict with its severity. For a
 * SeedGroup, the numbers are the mean curve's and a second sentence counts the seeds' verdicts.
 *
 * e.g. "original: validation loss lowest at epoch 5 (0.291), ends near 0.594 at epoch 20 (+103%);
 * training loss ends at 0.017 (final gap 0.577): overfits strongly."
 */
export function explainLine(run: RunLike, options: ExplainOptions = {}): string {
  const r = checkRun(run, "explainLine");
  const o = thresholds(options, "explainLine");
  const d = diagnose(r.history, o);
  const parts = [`${r.name}${meanNote(r)}: ${curveSentence(r.history, d)}: ${d.label}.`];
  if (isSeedGroup(r)) parts.push(agreement(r, o));
  return parts.join(" ");
}

/**
 * How `run` compares with `baseline` (e.g. L2 against the original): best epochs and minima, the
 * rise after the minimum of each and how many times less (or more) `run` overfits, where each ends.
 * When both are SeedGroups, the seeds they share are paired: "l2 ends below original in 3 of 3 seeds".
 *
 * e.g. "l2 vs original: lowest validation cross-entropy 0.289 at epoch 5 vs 0.291 at epoch 5;
 * l2 rises 26% after its minimum where original rises 103%: overfits about 4× less. It ends near
 * 0.358 vs 0.594."
 */
export function compareLine(run: RunLike, baseline: RunLike, options: ExplainOptions = {}): string {
  const r = checkRun(run, "compareLine");
  const b = checkRun(baseline, "compareLine: baseline");
  const o = thresholds(options, "compareLine");
  const d = diagnose(r.history, { ...o, baseline: b });
  const bd = diagnose(b.history, o);
  const what =
    d.curve === "val_crossentropy" || bd.curve === "val_crossentropy" ? "validation cross-entropy" : "validation loss";
  const [nr, nb] = [isSeedGroup(r) ? r.seedRuns.length : 1, isSeedGroup(b) ? b.seedRuns.length : 1];
  const both =
    !(isSeedGroup(r) && isSeedGroup(b)) || (nr === 1 && nb === 1)
      ? ""
      : nr === nb
        ? ` (means of ${seeds(nr)} each)`
        : nr === 1
          ? ` (one seed against the mean of ${seeds(nb)})`
          : nb === 1
            ? ` (the mean of ${seeds(nr)} against one seed)`
            : ` (means of ${seeds(nr)} and ${seeds(nb)})`;
  if (d.verdict === "diverged" || bd.verdict === "diverged") {
    const which = d.verdict === "diverged" ? r.name : b.name;
    return `${r.name} vs ${b.name}${both}: ${which} diverged (${(d.verdict === "diverged" ? d : bd).reason}), so the curves cannot be compared.`;
  }
  const rel = d.relative!;
  const parts = [
    `${r.name} vs ${b.name}${both}: lowest ${what} ${loss(d.minValLoss)} at epoch ${d.bestEpoch} vs ${loss(bd.minValLoss)} at epoch ${bd.bestEpoch}; ` +
      `${r.name} ${rel.text}. Trend levels at the last epoch: ${loss(d.endValLoss)} vs ${loss(bd.endValLoss)}.`,
  ];
  const pairs = pairSeeds(r, b);
  if (pairs.length > 0) {
    let below = 0;
    let lessRise = 0;
    for (const [x, y] of pairs) {
      const dx = diagnose(x.history, o);
      const dy = diagnose(y.history, o);
      if (dx.endValLoss < dy.endValLoss) below++;
      if (dx.rise < dy.rise) lessRise++;
    }
    parts.push(
      pairs.length === 1
        ? `With seed ${pairs[0][2]}, the one they share: ${r.name} ends ${below ? "below" : "above"} ${b.name} and rises ${lessRise ? "less" : "more"} after its minimum.`
        : `Paired by seed: ${r.name} ends below ${b.name} in ${countText(below, pairs.length)} seeds and rises less after its minimum in ${countText(lessRise, pairs.length)}.`,
    );
  }
  return parts.join(" ");
}

/**
 * Validation accuracy of `run` against `baseline` (e.g. the same model trained longer): the best
 * epoch's accuracy of each (mean curves for groups) and the difference in points.
 *
 * e.g. "small, longer vs small (means of 3 seeds): best validation accuracy 92.88% (epoch 35) vs
 * 92.72% (epoch 18): 0.16 points more."
 */
export function compareAccuracyLine(run: RunLike, baseline: RunLike): string {
  const r = checkRun(run, "compareAccuracyLine");
  const b = checkRun(baseline, "compareAccuracyLine: baseline");
  const best = (x: RunLike): { acc: number; epoch: number } => {
    const acc = x.history.history.val_accuracy;
    if (!acc)
      throw new Error(`compareAccuracyLine: run "${x.name}" has no val_accuracy; train with validationSplit > 0.`);
    let i = -1;
    acc.forEach((v, k) => {
      if (Number.isFinite(v) && (i < 0 || v > acc[i])) i = k;
    });
    return { acc: i < 0 ? NaN : acc[i], epoch: i + 1 };
  };
  const x = best(r);
  const y = best(b);
  const both =
    isSeedGroup(r) && isSeedGroup(b) ? ` (means of ${r.seedRuns.length} and ${b.seedRuns.length} seeds)` : "";
  // Two decimals: the gains of training longer are a tenth of a point or two, and one decimal turned
  // 0.16 points into "0.1". From the percentages as printed, so the difference always matches them.
  const points = Number((x.acc * 100).toFixed(2)) - Number((y.acc * 100).toFixed(2));
  const diff =
    Math.abs(points) < 0.005
      ? "no difference"
      : `${Math.abs(points).toFixed(2)} points ${points > 0 ? "more" : "less"}`;
  return `${r.name} vs ${b.name}${both}: best validation accuracy ${percent2(x.acc)} (epoch ${x.epoch}) vs ${percent2(y.acc)} (epoch ${y.epoch}): ${diff}.`;
}

/**
 * The runs of two SeedGroups that share a seed, paired: [run's, baseline's, seed]. Empty when either
 * is a single run or they share no seed.
 */
export function pairSeeds(run: RunLike, baseline: RunLike): [RunLike, RunLike, number][] {
  if (!isSeedGroup(run) || !isSeedGroup(baseline)) return [];
  const pairs: [RunLike, RunLike, number][] = [];
  run.seeds.forEach((seed, i) => {
    const j = baseline.seeds.indexOf(seed);
    if (j >= 0) pairs.push([run.seedRuns[i], baseline.seedRuns[j], seed]);
  });
  return pairs;
}

/**
 * Why validation loss can be lower than training loss early on, with this run's numbers: Keras's
 * training loss is the mean over the epoch's batches, taken while the weights still improve, and
 * validation is measured once at the epoch's end; with dropout (`dropout: true`), training also runs
 * on a thinned network while validation uses all of it. Returns null when training loss is never above
 * validation loss.
 *
 * e.g. "Training loss is above validation loss in epochs 1–2 (epoch 1: 0.538 vs 0.406): in part because
 * training loss is averaged over the epoch while the model improves, and validation loss is measured at
 * the epoch's end." Only in part: the validation rows may also be easier than the training rows (on
 * MNIST the last 12,000 images are), which the history cannot show.
 */
export function trainingAboveValidationLine(run: RunLike, options: { dropout?: boolean } = {}): string | null {
  const r = checkRun(run, "trainingAboveValidationLine");
  const { train, val, what } = plainPair(r.history);
  const epochs: number[] = [];
  train.forEach((t, i) => {
    if (Number.isFinite(t) && Number.isFinite(val[i]) && t > val[i]) epochs.push(i + 1);
  });
  if (epochs.length === 0) return null;
  const first = epochs[0] - 1;
  // "In part": the averaging is one cause, not the whole gap. On MNIST the last 12,000 images (the
  // validation split) are also easier than the rest (measured in test/claims.test.ts), which no history shows.
  const why =
    `in part because training ${what} is averaged over the epoch while the model improves, and validation ${what} is measured at the epoch's end` +
    (options.dropout ? "; and dropout is active only in training (validation uses the whole network)" : "");
  return `${meanPrefix(r)}Training ${what} is above validation ${what} in ${epochList(epochs)} (epoch ${first + 1}: ${loss(train[first])} vs ${loss(val[first])}): ${why}.`;
}

/**
 * Validation loss against validation accuracy after the minimum: loss punishes confident mistakes,
 * accuracy only counts them, so the loss can grow several times while accuracy barely moves.
 *
 * e.g. "From epoch 3 to epoch 20, validation loss ×2.9 (0.276 → 0.801) while validation accuracy moved
 * 0.8 points (88.1% → 87.3%)."
 */
export function lossVsAccuracyLine(run: RunLike): string {
  const r = checkRun(run, "lossVsAccuracyLine");
  const { val, what } = plainPair(r.history);
  const acc = r.history.history.val_accuracy;
  if (!acc) throw new Error(`lossVsAccuracyLine: run "${r.name}" has no val_accuracy; train with validationSplit > 0.`);
  const d = diagnose(r.history);
  if (!Number.isFinite(d.bestEpoch)) return `${r.name}: no finite validation ${what}.`;
  const b = d.bestEpoch - 1;
  const last = lastFinite(val, acc);
  if (last <= b)
    return `${meanPrefix(r)}Validation ${what} is lowest at the last epoch (${d.bestEpoch}, ${loss(val[b])}; validation accuracy ${percent(acc[b])}): it has not risen.`;
  const ratio = val[last] / val[b];
  const points = Number((acc[last] * 100).toFixed(1)) - Number((acc[b] * 100).toFixed(1));
  return (
    `${meanPrefix(r)}From epoch ${b + 1} to epoch ${last + 1}, validation ${what} ×${ratio.toFixed(1)} (${loss(val[b])} → ${loss(val[last])}) ` +
    `while validation accuracy moved ${Math.abs(points).toFixed(1)} points (${percent(acc[b])} → ${percent(acc[last])}).`
  );
}

/**
 * How the generalization gap (validation − training cross-entropy) moves after the best epoch:
 * in how many epochs it widens, and where it narrows.
 *
 * e.g. "After its best epoch (5) the gap widens in 11 of 15 epochs and narrows at epochs 14, 16, 18 and 20;
 * it grows from 0.124 to 0.577."
 */
export function gapAfterBestLine(run: RunLike): string {
  const r = checkRun(run, "gapAfterBestLine");
  const { train, val } = plainPair(r.history);
  const d = diagnose(r.history);
  const b = d.bestEpoch - 1;
  if (!Number.isFinite(d.bestEpoch)) return `${r.name}: no finite validation values.`;
  const last = lastFinite(train, val);
  if (b >= last) return `${meanPrefix(r)}The best epoch (${d.bestEpoch}) is the last one: no epochs after it.`;
  const gap = (i: number): number => val[i] - train[i];
  const narrows: number[] = [];
  for (let i = b + 1; i <= last; i++) if (gap(i) < gap(i - 1)) narrows.push(i + 1);
  const steps = last - b;
  const widens = steps - narrows.length;
  const narrowText = narrows.length === 0 ? "never narrows" : `narrows at ${epochList(narrows, "epoch")}`;
  return `${meanPrefix(r)}After its best epoch (${d.bestEpoch}) the gap widens in ${countText(widens, steps)} epochs and ${narrowText}; it goes from ${loss(gap(b))} to ${loss(gap(last))}.`;
}

/**
 * The epochs where training loss jumps back up to at least `factor` times its lowest value so far
 * (default 3), e.g. the 512×2 IMDB model's: rmsprop's steps on a model that already fits its training
 * data almost perfectly overshoot now and then. Null when it never does.
 *
 * e.g. "Training loss jumps back up at epochs 10 (0.093), 12 (0.087) and 15 (0.095), after reaching 0.013
 * at epoch 9."
 */
export function trainingSetbacksLine(run: RunLike, options: { factor?: number } = {}): string | null {
  const r = checkRun(run, "trainingSetbacksLine");
  const factor = options.factor ?? 3;
  if (!(typeof factor === "number" && Number.isFinite(factor) && factor > 1))
    throw new Error(
      `trainingSetbacksLine: options.factor = ${String(options.factor)}; it must be a number > 1 (default 3).`,
    );
  const { train, what } = plainPair(r.history);
  let low = Infinity;
  let lowEpoch = 0;
  const jumps: [number, number, number, number][] = [];
  train.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    if (i > 0 && v >= factor * low && v > train[i - 1]) jumps.push([i + 1, v, low, lowEpoch]);
    if (v < low) {
      low = v;
      lowEpoch = i + 1;
    }
  });
  if (jumps.length === 0) return null;
  // Each jump with the lowest value before it: a later jump can start from a lower low than the first.
  const list = jumps.map(([e, v, from]) => `${e} (${loss(from)} → ${loss(v)})`);
  const epochs =
    list.length === 1 ? `epoch ${list[0]}` : `epochs ${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
  return `${meanPrefix(r)}Training ${what} jumps back up at ${epochs}, each time from the lowest value so far.`;
}

/**
 * One configuration seed by seed (a group of seeds, or several groups and single runs of the same
 * configuration): each seed's lowest validation cross-entropy (at which epoch) and its final training
 * loss, and which seeds are stuck — their final training loss more than `stuckFactor` (default 2)
 * times the median of all the seeds passed and their lowest validation value more than 10% above the
 * median's: they failed to fit the training data their siblings fit, and generalize worse for it. The
 * mean curve of a group hides such a seed; this line does not.
 *
 * e.g. "tiny, seed by seed: lowest validation cross-entropy 0.284 (seed 42, epoch 11), 0.286 (43, epoch
 * 10), 0.288 (44, epoch 8); final training loss 0.101, 0.098, 0.088. No seed is stuck: each ends within
 * 2× the median training loss (0.098)."
 */
export function seedSpreadLine(runs: RunLike | RunLike[], options: { stuckFactor?: number } = {}): string {
  const list = (Array.isArray(runs) ? runs : [runs]).map((r, i) => checkRun(r, `seedSpreadLine: runs[${i}]`));
  if (list.length === 0)
    throw new Error("seedSpreadLine: pass a group of seeds (trainSeeds) or a list of runs of one configuration.");
  const factor = options.stuckFactor ?? 2;
  if (!(typeof factor === "number" && Number.isFinite(factor) && factor > 1))
    throw new Error(
      `seedSpreadLine: options.stuckFactor = ${String(options.stuckFactor)}; it must be a number > 1 (default 2).`,
    );
  const seedsOf = list.flatMap((r): { seed: number | undefined; run: RunLike }[] =>
    isSeedGroup(r)
      ? r.seedRuns.map((s, i) => ({ seed: r.seeds[i], run: s }))
      : [{ seed: (r as RunLike & { options?: { seed?: number } }).options?.seed, run: r }],
  );
  // A seed passed twice (the stuck run beside a group that already holds its seed) counts once.
  const unique = seedsOf.filter(({ seed }, i) => seed === undefined || seedsOf.findIndex((o) => o.seed === seed) === i);
  const rows = unique.map(({ seed, run }) => {
    const { train, val } = plainPair(run.history);
    let best = -1;
    val.forEach((v, i) => {
      if (Number.isFinite(v) && (best < 0 || v < val[best])) best = i;
    });
    return {
      seed,
      min: best < 0 ? NaN : val[best],
      epoch: best + 1,
      final: run.history.history.loss[run.history.history.loss.length - 1],
      what: plainPair(run.history).what,
      trainLen: train.length,
    };
  });
  const name = list[0].name.replace(/,? seed \d+$/, "");
  const seedText = (r: (typeof rows)[number], i: number): string =>
    r.seed === undefined ? `run ${i + 1}` : i === 0 ? `seed ${r.seed}` : String(r.seed);
  const mins = rows.map((r, i) => `${loss(r.min)} (${seedText(r, i)}, epoch ${r.epoch})`).join(", ");
  const finalsText = rows.map((r) => loss(r.final)).join(", ");
  const sorted = rows
    .map((r) => r.final)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const median =
    sorted.length === 0
      ? NaN
      : sorted.length % 2
        ? sorted[(sorted.length - 1) / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const head = `${name}, seed by seed: lowest validation ${rows[0].what} ${mins}; final training loss ${finalsText}.`;
  if (rows.length === 1) return head;
  // Stuck: a training loss far above its siblings' *and* a lowest validation value clearly worse (10%)
  // than theirs. The first alone would flag an overfit model whose training loss is merely closer to
  // zero in its siblings (0.005 against 0.012 is "2×" and means nothing).
  const lows = rows
    .map((r) => r.min)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const medianMin =
    lows.length === 0
      ? NaN
      : lows.length % 2
        ? lows[(lows.length - 1) / 2]
        : (lows[lows.length / 2 - 1] + lows[lows.length / 2]) / 2;
  const stuck = rows.filter((r) => r.final > factor * median && r.min > 1.1 * medianMin);
  const tail =
    stuck.length === 0
      ? `No seed is stuck (a training loss above ${factor}× the median, ${loss(median)}, with a lowest validation value 10% above the median's).`
      : `${stuck.length === 1 ? "Stuck: seed" : "Stuck: seeds"} ${stuck.map((r) => r.seed ?? "?").join(", ")}, whose training loss ends above ${factor}× the median (${loss(median)}) and whose lowest validation value is over 10% above the median's (${loss(medianMin)}): ${stuck.length === 1 ? "it has" : "they have"} not fit the training data the other seeds fit${stuck.some((r) => r.epoch === r.trainLen) ? ", and its validation curve is still at its lowest at the last epoch" : ""}.`;
  return `${head} ${tail}`;
}

// ---------------------------------------------------------------------------------------------

function thresholds(options: ExplainOptions, where: string): Omit<DiagnoseOptions, "baseline"> {
  if (options === null || typeof options !== "object")
    throw new Error(`${where}: options must be an object, got ${options === null ? "null" : typeof options}.`);
  const known = ["diagnose"];
  for (const key of Object.keys(options))
    if (!known.includes(key)) throw new Error(`${where}: unknown option "${key}"; allowed: ${known.join(", ")}.`);
  const o = options.diagnose ?? {};
  if ("baseline" in o)
    throw new Error(`${where}: options.diagnose.baseline is not used here; call compareLine(run, baseline).`);
  return o;
}

/** The plain cross-entropy pair when recorded (no penalty), else loss. */
function plainPair(h: History): { train: number[]; val: number[]; what: string } {
  const hh = h.history;
  if (hh.crossentropy && hh.val_crossentropy)
    return { train: hh.crossentropy, val: hh.val_crossentropy, what: "cross-entropy" };
  if (!hh.val_loss) throw new Error("the run has no validation loss; train with validationSplit > 0.");
  return { train: hh.loss, val: hh.val_loss, what: "loss" };
}

function curveSentence(h: History, d: Diagnosis): string {
  if (d.verdict === "diverged") return d.reason[0].toLowerCase() + d.reason.slice(1).replace(/[.]$/, "");
  const { train, val, what } = plainPair(h);
  const n = h.epoch.length;
  const valWhat = d.curve === "val_crossentropy" ? "validation cross-entropy (no penalty)" : "validation loss";
  const k = d.trendEpochs;
  // Lowest at the last epoch, the trend can still end above it (that last value dips below the
  // trend): said so, rather than "ends 2% above the minimum" of a curve that has not risen.
  const trend =
    d.rise < 0.005
      ? `its trend over the last ${k} epochs ends at the minimum`
      : d.bestEpoch === n
        ? `it has not risen after it (its trend over the last ${k} epochs ends ${Math.round(d.rise * 100)}% above this last, lowest value, which dips below the trend)`
        : `its trend over the last ${k} epochs ends ${Math.round(d.rise * 100)}% above the minimum`;
  const penalty =
    d.penaltyShare !== undefined && d.penaltyShare >= 0.05
      ? `; the L1/L2 penalty is ${Math.round(d.penaltyShare * 100)}% of the training loss`
      : "";
  return (
    `${valWhat} ${d.bestEpoch === n ? `lowest at the last epoch, ${n} (${loss(d.minValLoss)})` : `lowest at epoch ${d.bestEpoch} (${loss(d.minValLoss)}), ${loss(val[n - 1])} at epoch ${n}`}, and ${trend}; ` +
    `training ${what} ends at ${loss(train[n - 1])} (final gap ${loss(d.finalGap)})${penalty}`
  );
}

function seeds(n: number): string {
  return n === 1 ? "1 seed" : `${n} seeds`;
}

function meanNote(run: RunLike): string {
  if (!isSeedGroup(run)) return "";
  // A group of one seed is that seed's run: no mean to speak of.
  return run.seedRuns.length === 1 ? ` (seed ${run.seeds[0]})` : ` (mean of ${seeds(run.seedRuns.length)})`;
}

function meanPrefix(run: RunLike): string {
  return isSeedGroup(run) ? `${run.name}${meanNote(run)}: ` : "";
}

const VERB: Record<Verdict, string> = {
  overfitting: "overfit",
  underfitting: "underfit",
  "not converged": "have not converged",
  "good fit": "fit well",
  diverged: "diverged",
};
const VERB_ONE: Record<Verdict, string> = {
  overfitting: "overfits",
  underfitting: "underfits",
  "not converged": "has not converged",
  "good fit": "fits well",
  diverged: "diverged",
};

/** "All 3 seeds overfit strongly." / "All 3 seeds overfit (2 strongly, 1 mildly)." / "2 of 3 seeds overfit, 1 fits well." */
function agreement(group: RunLike & { seedRuns: RunLike[] }, o: Omit<DiagnoseOptions, "baseline">): string {
  // Each seed beside its siblings: a seed whose training loss stays high while they fit is stuck.
  const ds = group.seedRuns.map((s, i) =>
    diagnose(s.history, { ...o, siblings: group.seedRuns.filter((_, j) => j !== i) }),
  );
  const n = ds.length;
  const byVerdict = new Map<Verdict, Diagnosis[]>();
  for (const d of ds) byVerdict.set(d.verdict, [...(byVerdict.get(d.verdict) ?? []), d]);
  const detail = (list: Diagnosis[]): string => {
    const sev = new Map<string, number>();
    for (const d of list) {
      const key = [d.severity ? `${d.severity}ly` : "", d.cause ?? ""].filter(Boolean).join(", ");
      if (key) sev.set(key, (sev.get(key) ?? 0) + 1);
    }
    if (sev.size === 0) return "";
    if (sev.size === 1) {
      const [key] = [...sev.keys()];
      return key.includes(",") || !key.endsWith("ly") ? ` (${key})` : ` ${key}`;
    }
    return ` (${[...sev.entries()].map(([k, c]) => `${c} ${k}`).join("; ")})`;
  };
  const groups = [...byVerdict.entries()].sort((a, b) => b[1].length - a[1].length);
  if (groups.length === 1) {
    const [verdict, list] = groups[0];
    if (n === 1) return `Its one seed ${VERB_ONE[verdict]}${detail(list)}.`;
    return `${n === 2 ? "Both seeds" : `All ${n} seeds`} ${VERB[verdict]}${detail(list)}.`;
  }
  return `Seeds disagree: ${groups.map(([verdict, list]) => `${list.length} of ${n} ${VERB[verdict]}${detail(list)}`).join(", ")}.`;
}

/** "epoch 1", "epochs 1–2", "epochs 1, 3 and 5". */
function epochList(epochs: number[], word = "epochs"): string {
  const single = word === "epochs" ? "epoch" : word;
  const plural = single + "s";
  if (epochs.length === 1) return `${single} ${epochs[0]}`;
  const contiguous = epochs.every((e, i) => i === 0 || e === epochs[i - 1] + 1);
  if (contiguous) return `${plural} ${epochs[0]}–${epochs[epochs.length - 1]}`;
  return `${plural} ${epochs.slice(0, -1).join(", ")} and ${epochs[epochs.length - 1]}`;
}

function lastFinite(a: number[], b: number[]): number {
  for (let i = a.length - 1; i >= 0; i--) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) return i;
  return 0;
}
