/**
 * Reads a training history the way Chollet's chapter 5 teaches: where validation loss bottoms out,
 * whether the model has started to overfit and how much, how wide the generalization gap is, and
 * which of the book's remedies apply. Pure arithmetic on plain numbers: no tensors, no I/O.
 *
 * How: the history's measurements are computed once (lib/reading/diagnosis/measure.ts), then the named rules of
 * lib/reading/diagnosis/rules.ts are tried in order, and the first that matches gives the verdict, its cause
 * and its remedies. The rules, their thresholds and the measurements behind each threshold are there;
 * this module only takes the options, assembles the Diagnosis and compares a run with a baseline.
 * Thresholds sit in the gaps between the lesson's runs measured over seeds 1–5 and 42 (see
 * test/diagnose.test.ts), so seeds that agree get the same verdict.
 */
import type { EarlyStoppedRun } from "../figures/earlyStopping";
import { times, wholePercent } from "../format";
import { argminFinite, measure, median, type Context, type Siblings } from "./diagnosis/measure";
import { DEFAULTS, firstMatch, type Thresholds } from "./diagnosis/rules";
import type {
  Diagnosis,
  History,
  RelativeDiagnosis,
  RunLike,
  SeedAgreement,
  SeedVerdict,
  Severity,
  Verdict,
  VerdictCause,
} from "../types";

export { theilSen } from "./diagnosis/measure";
export { REMEDIES, RULES } from "./diagnosis/rules";

/** Thresholds of the verdict (each explained beside the rule that uses it, lib/reading/diagnosis/rules.ts); every one is relative, so they suit any loss scale. */
export interface DiagnoseOptions {
  /** Overfitting needs the validation curve to end more than this fraction above its minimum. Default 0.05. */
  riseTolerance?: number;
  /** Overfitting is "strong" from this rise on (with `strongTrend`), or from 1.5× it whatever the climb. Default 0.55. */
  strongRise?: number;
  /** Below `strongRise`, overfitting is "moderate" from this rise on, "mild" under it. Default 0.3. */
  moderateRise?: number;
  /** The climb per epoch (relative) that strong overfitting below 1.5 × `strongRise` also needs. Default 0.03. */
  strongTrend?: number;
  /** Training and validation loss are "close" when the final gap is below this fraction of validation. Default 0.25. */
  closeGap?: number;
  /** Validation loss "still falling": its robust fall per epoch over the last `tail` epochs above this fraction. Default 0.01. */
  steepFall?: number;
  /** A run lowest at its last epoch has not converged while its training loss falls faster than this per epoch. Default 0.02. */
  trainStillFalling?: number;
  /** Final training accuracy this far above the best validation accuracy means memorized (strong overfitting). Default 0.3. */
  memorizedGap?: number;
  /** Training loss above this multiple of its first-epoch value counts as exploding (diverged). Default 3. */
  explodeFactor?: number;
  /** Any loss above this counts as exploding, whatever the first epoch did. Default 1000. */
  explodeLevel?: number;
  /** Close curves with at least this share of penalty in the training loss are over-regularized. Default 0.3. */
  penaltyShare?: number;
  /** Over-regularization is "strong" from this penalty share on. Default 0.55. */
  strongPenaltyShare?: number;
  /** A seed is stuck when its final training loss is over this multiple of its siblings' (median). Default 2. */
  stuckFactor?: number;
  /** … and its lowest validation loss over this multiple of theirs. Default 1.3. */
  stuckValFactor?: number;
  /** A run whose measured `deadUnits` are at least this share of its first layer is stuck. Default 0.5. */
  deadShare?: number;
  /** How many final epochs the robust end level and trend are fitted through. Default 8. */
  tail?: number;
  /** A run (or history) to measure this one's overfitting against, e.g. the original model. */
  baseline?: RunLike | History;
  /**
   * The same configuration's other seeds (runs or histories), to read this run beside: a seed whose
   * training loss stays high while they fit is stuck. A group of seeds (`trainSeeds`) does this itself.
   */
  siblings?: (RunLike | History)[];
}

/**
 * Diagnoses a Keras-shaped history, or a run (`{ name, history }`, e.g. a SeedGroup: its mean
 * curve). Needs `loss` and `val_loss` or `val_crossentropy` (train with validationSplit > 0).
 * Epochs in the result are 1-based, as on the plots. `bestEpoch`/`minValLoss` are NaN when no
 * validation value is finite; `finalGap` is NaN when no epoch has both losses finite.
 */
export function diagnose(run: History | RunLike, options: DiagnoseOptions = {}): Diagnosis {
  const o = checkOptions(options);
  const history = historyOf(run, "diagnose");
  const context: Context = { kept: keptEpoch(run) };
  if (options.siblings)
    context.siblings = siblingsOf(
      options.siblings.map((s, i) => historyOf(s, `diagnose: options.siblings[${i}]`)),
      o,
    );
  if (isRun(run) && run.deadUnits) context.deadUnits = run.deadUnits;
  const d =
    isRun(run) && Array.isArray(run.seedRuns) && run.seedRuns.length >= 2
      ? diagnoseGroup(run, run.seedRuns, o, context)
      : diagnoseHistory(history, o, context);
  if (options.baseline === undefined) return d;
  const baseName = isRun(options.baseline) ? options.baseline.name : "the baseline";
  const baseHistory = historyOf(options.baseline, "diagnose: options.baseline");
  const base = diagnoseHistory(baseHistory, o);
  const relative = relativeTo(d, history.epoch.length, base, baseHistory.epoch.length, baseName, o.riseTolerance);
  return relative ? { ...d, relative } : d;
}

function isRun(value: History | RunLike): value is RunLike {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as RunLike).name === "string" &&
    (value as RunLike).history !== null &&
    typeof (value as RunLike).history === "object"
  );
}

/** What diagnose reads of a run trained with early stopping (what `train` returns). */
type EarlyStopped = Partial<Pick<EarlyStoppedRun, "stoppedBy" | "options">>;

/**
 * The epoch (1-based) whose weights a run stopped by early stopping handed back (restore_best_weights):
 * the lowest value of the series it monitored. Undefined for any other run or a bare history.
 */
function keptEpoch(value: History | RunLike): number | undefined {
  if (value === null || typeof value !== "object" || !isRun(value)) return undefined;
  // A group of seeds each stopped early: its models are each seed's best; the mean curve's lowest epoch stands for them.
  if (Array.isArray(value.seedRuns) && value.seedRuns.length > 0) {
    if (!value.seedRuns.every((r) => keptEpoch(r) !== undefined)) return undefined;
    const first = value.seedRuns[0] as RunLike & EarlyStopped;
    const h = value.history.history;
    const monitored =
      first.options?.earlyStopping?.monitor === "val_crossentropy" && h.val_crossentropy
        ? h.val_crossentropy
        : h.val_loss;
    const best = monitored ? argminFinite(monitored) : -1;
    return best < 0 ? undefined : best + 1;
  }
  const { stoppedBy, options } = value as RunLike & EarlyStopped;
  const es = options?.earlyStopping;
  if (!es?.restoreBestWeights || stoppedBy !== "early stopping") return undefined;
  const h = value.history.history;
  const monitored = es.monitor === "val_crossentropy" && h.val_crossentropy ? h.val_crossentropy : h.val_loss;
  const best = monitored ? argminFinite(monitored) : -1;
  return best < 0 ? undefined : best + 1;
}

function historyOf(value: History | RunLike, where: string): History {
  if (value !== null && typeof value === "object" && isRun(value)) return value.history;
  return value as History;
}

/** What the stuck rule reads of a run's siblings: each one's final training loss and lowest validation loss. */
function siblingsOf(histories: History[], o: Thresholds): Siblings {
  const ms = histories.map((h) => measure(h, o.tail));
  return { finalTrain: ms.map((m) => m.train[m.epochs - 1]), minVal: ms.map((m) => m.minValLoss) };
}

/**
 * A group of seeds: each seed read beside its siblings, then the group's verdict. When every seed gets
 * the same verdict, that is the group's (the mean of curves that bounce differently can read otherwise:
 * RMSprop at 0.01, notebook 5); when they disagree, the mean curve's, and the label says how the seeds
 * read ("overfits mildly; seeds disagree: 5 of 6 overfit mildly, 1 underfits strongly (stuck)").
 */
function diagnoseGroup(group: RunLike, runs: RunLike[], o: Thresholds, context: Context): Diagnosis {
  const mean = diagnoseHistory(group.history, o, context);
  const seedNumbers = (group as { seeds?: unknown }).seeds;
  const seeds =
    Array.isArray(seedNumbers) && seedNumbers.length === runs.length
      ? (seedNumbers as number[])
      : runs.map((_, i) => i + 1);
  const each = runs.map((r, i) => {
    const others = runs.filter((_, j) => j !== i).map((x) => x.history);
    const c: Context = {
      kept: keptEpoch(r),
      siblings: siblingsOf(others, o),
      ...(r.deadUnits ? { deadUnits: r.deadUnits } : {}),
    };
    return diagnoseHistory(r.history, o, c);
  });
  const verdicts: SeedVerdict[] = each.map((d, i) => ({
    seed: seeds[i],
    verdict: d.verdict,
    severity: d.severity,
    cause: d.cause,
    label: d.label,
  }));
  const agree = verdicts.every((v) => v.label === verdicts[0].label);
  const agreement: SeedAgreement = { verdicts, agree, text: agreementText(verdicts) };
  if (!agree)
    return {
      ...mean,
      label: `${mean.label}; seeds disagree: ${agreement.text.replace(/ seeds? /, " ").replace(/\.$/, "")}`,
      seeds: agreement,
    };
  const one = each[0];
  if (one.label === mean.label) return { ...mean, seeds: agreement };
  const overfit = each.map((d) => d.overfitEpoch).filter((e): e is number => e !== null);
  return {
    ...mean,
    overfitEpoch: one.verdict === "overfitting" && overfit.length > 0 ? Math.round(median(overfit)) : null,
    verdict: one.verdict,
    severity: one.severity,
    cause: one.cause,
    label: one.label,
    rule: one.rule,
    reason: `${agreement.text.slice(0, -1)}, each read on its own; the mean of their curves averages their differences away and reads otherwise (${mean.label}): ${mean.reason}`,
    remedies: [...one.remedies],
    seeds: agreement,
  };
}

/** "All 3 seeds overfit mildly." / "2 of 3 seeds overfit mildly, 1 underfits strongly (stuck)." */
function agreementText(verdicts: SeedVerdict[]): string {
  const n = verdicts.length;
  const byLabel = new Map<string, SeedVerdict[]>();
  for (const v of verdicts) byLabel.set(v.label, [...(byLabel.get(v.label) ?? []), v]);
  const groups = [...byLabel.values()].sort((a, b) => b.length - a.length);
  if (groups.length === 1)
    return `${n === 2 ? "Both seeds" : `All ${n} seeds`} ${labelOf(groups[0][0].verdict, groups[0][0].severity, groups[0][0].cause, true)}.`;
  return (
    groups
      .map((list, i) => {
        const [v] = list;
        const who = i === 0 ? `${list.length} of ${n} seeds` : String(list.length);
        return `${who} ${labelOf(v.verdict, v.severity, v.cause, list.length > 1)}`;
      })
      .join(", ") + "."
  );
}

/** `context`: the epoch whose weights early stopping restored (the run's model is that epoch's), the seed siblings, the dead units. */
function diagnoseHistory(history: History, o: Thresholds, context: Context = {}): Diagnosis {
  const m = measure(history, o.tail, context);
  const { rule, finding } = firstMatch(m, o);
  return {
    bestEpoch: m.bestEpoch,
    minValLoss: m.minValLoss,
    maxValAccuracy: m.maxValAccuracy,
    finalGap: m.finalGap,
    gapEpoch: m.gapEpoch,
    curve: m.curve,
    endValLoss: m.endValLoss,
    rise: m.rise,
    trend: m.trend,
    trendEpochs: m.tail,
    ...(m.penalized ? { penalized: m.penalized } : {}),
    ...(m.penaltyShare !== undefined ? { penaltyShare: m.penaltyShare } : {}),
    overfitEpoch: finding.overfitEpoch ?? null,
    verdict: finding.verdict,
    severity: finding.severity,
    cause: finding.cause,
    label: labelOf(finding.verdict, finding.severity, finding.cause),
    rule: rule.name,
    reason: finding.reason,
    remedies: [...finding.remedies],
  };
}

/**
 * "overfits strongly", "underfits strongly (stuck)", "not converged (still improving)", "good fit",
 * "diverged (exploding loss)"; `plural` for several seeds: "overfit strongly", "fit well".
 */
function labelOf(verdict: Verdict, severity: Severity | null, cause: VerdictCause | null, plural = false): string {
  const how = severity === null ? "" : ` ${severity}ly`;
  const why = cause === null ? "" : ` (${cause})`;
  switch (verdict) {
    case "overfitting":
      return `${plural ? "overfit" : "overfits"}${how}`;
    case "underfitting":
      return `${plural ? "underfit" : "underfits"}${how}${why}`;
    case "not converged":
      return `${plural ? "have not converged" : "not converged"}${why}`;
    case "diverged":
      return `diverged${why}`;
    default:
      return plural ? "fit well" : "good fit";
  }
}

/**
 * This run's rise against the baseline's, in words; undefined when either has no finite minimum or
 * diverged. A factor is given only when both rise beyond `tolerance` (a ratio of two near-zero
 * rises means nothing).
 */
function relativeTo(
  d: Diagnosis,
  epochs: number,
  base: Diagnosis,
  baseEpochs: number,
  name: string,
  tolerance: number,
): RelativeDiagnosis | undefined {
  if (
    !Number.isFinite(d.rise) ||
    !Number.isFinite(base.rise) ||
    d.verdict === "diverged" ||
    base.verdict === "diverged"
  )
    return undefined;
  const factor = d.rise > 0 ? base.rise / d.rise : base.rise > 0 ? Infinity : 1;
  // A curve whose minimum is its last epoch has nothing after its minimum to rise: its `rise` is only
  // its trend line's end above the minimum (a jagged curve's), so it is said as the lowest at the end.
  const after = (x: Diagnosis, n: number, long: boolean, only = false): string =>
    x.bestEpoch === n
      ? "is lowest at its last epoch"
      : x.rise < 0.005
        ? "does not rise after its minimum"
        : `rises ${only ? "only " : ""}${wholePercent(x.rise)}${long ? " after its minimum" : ""}`;
  const runRises = d.rise > tolerance;
  const baseRises = base.rise > tolerance;
  let text: string;
  if (!runRises && !baseRises)
    text = `${after(d, epochs, false)} and ${name} ${after(base, baseEpochs, true)}: neither overfits`;
  else if (!runRises)
    text = `${after(d, epochs, true, true)} where ${name} ${after(base, baseEpochs, false)}: it does not overfit, ${name} does`;
  else if (!baseRises)
    text = `${after(d, epochs, true)} where ${name} ${after(base, baseEpochs, false)}: it overfits, ${name} does not`;
  else {
    // Between 0.8 and 1.25 no factor is named, but a tenth either way is still said: "about as much"
    // beside "rises less in all 3 seeds" (dropout, factor 1.1–1.2) read as a contradiction.
    const how =
      factor >= 1.25
        ? `overfits about ${times(factor)} less`
        : factor <= 0.8
          ? `overfits about ${times(1 / factor)} more`
          : factor >= 1.1
            ? "overfits a little less"
            : factor <= 1 / 1.1
              ? "overfits a little more"
              : "overfits about as much";
    text = `${after(d, epochs, true)} where ${name} ${after(base, baseEpochs, false)}: ${how}`;
  }
  return {
    baseline: name,
    rise: d.rise,
    baselineRise: base.rise,
    factor,
    bestEpoch: d.bestEpoch,
    baselineBestEpoch: base.bestEpoch,
    minValLoss: d.minValLoss,
    baselineMinValLoss: base.minValLoss,
    text,
  };
}

function checkOptions(options: DiagnoseOptions): Thresholds {
  if (options === null || typeof options !== "object")
    throw new Error(
      `diagnose: options must be an object of thresholds, got ${options === null ? "null" : typeof options}.`,
    );
  const o: Thresholds = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (name === "siblings") {
      if (!Array.isArray(value) || value.some((x) => x === null || typeof x !== "object")) {
        throw new Error(
          `diagnose: options.siblings must be an array of runs or histories (the same configuration's other seeds), got ${Array.isArray(value) ? "an array with a non-object" : value === null ? "null" : typeof value}.`,
        );
      }
      continue;
    }
    if (name === "baseline") {
      if (value === null || typeof value !== "object")
        throw new Error(
          `diagnose: options.baseline must be a run or a history (e.g. the original model's run), got ${value === null ? "null" : typeof value}.`,
        );
      continue;
    }
    if (!(name in DEFAULTS))
      throw new Error(
        `diagnose: unknown option "${name}"; allowed: ${[...Object.keys(DEFAULTS), "baseline", "siblings"].join(", ")}.`,
      );
    const key = name as keyof Thresholds;
    const ok =
      typeof value === "number" &&
      Number.isFinite(value) &&
      (key === "tail"
        ? Number.isInteger(value) && value >= 2
        : key === "explodeFactor"
          ? value > 1
          : key === "explodeLevel"
            ? value > 0
            : value >= 0);
    if (!ok) {
      const allowed =
        key === "tail"
          ? "an integer ≥ 2"
          : key === "explodeFactor"
            ? "a number > 1"
            : key === "explodeLevel"
              ? "a number > 0"
              : "a number ≥ 0";
      throw new Error(
        `diagnose: options.${key} = ${String(value)} is invalid; it must be ${allowed} (default ${DEFAULTS[key]}).`,
      );
    }
    o[key] = value as number;
  }
  return o;
}
