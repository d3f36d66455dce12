/**
 * The data types shared by every module: what a loader yields, what a model spec says, what a
 * training run returns. Plain data only (no tensors), so runs can be cached, diagnosed and plotted.
 */

/** A row-major matrix of features, e.g. MNIST images flattened to [n, 784] and scaled to [0, 1]. */
export interface DenseMatrix {
  kind: "dense";
  rows: number;
  cols: number;
  /** rows × cols values, row-major. */
  data: Float32Array;
}

/**
 * The compact form of a multi-hot matrix: for each row, the sorted unique column ids that are 1.
 * Equal to the article's `vectorize_sequences` output without storing the zeros.
 */
export interface MultiHotMatrix {
  kind: "multihot";
  rows: number;
  /** The width of the dense equivalent (the vocabulary size, 10,000 in the lesson). */
  cols: number;
  /** ids[i] = sorted unique column ids set to 1 in row i. */
  ids: Int32Array[];
}

export type Features = DenseMatrix | MultiHotMatrix;

/** Keras-shaped training history: `history.history.val_loss[i]` is epoch i + 1's validation loss. */
export interface History {
  history: {
    /** Training loss as Keras reports it: the cross-entropy plus any L1/L2 penalty. */
    loss: number[];
    accuracy: number[];
    /** Validation values: absent when the run was trained with no validation (validationSplit 0). */
    val_loss?: number[];
    val_accuracy?: number[];
    /** The plain cross-entropy (no penalty), training and validation: fair comparisons of regularized runs. */
    crossentropy?: number[];
    val_crossentropy?: number[];
  };
  /** Zero-based epoch indices, as Keras: [0, 1, …]. */
  epoch: number[];
  params: {
    epochs: number;
    batchSize: number;
    /** Training samples (after the validation split). */
    samples: number;
    validationSamples: number;
    /** Batches per epoch. */
    steps: number;
  };
}

export type Metric = keyof History["history"];

/** What figures and reports need of a finished training run (the full `Run` lives in train.ts). */
export interface RunLike {
  /** A short name shown in legends and tables, e.g. "original" or "l2". */
  name: string;
  history: History;
  /** Present when this is several seeds of one configuration (see `SeedGroup`). */
  seedRuns?: RunLike[];
  /**
   * Loss and accuracy on the test set, when the run was scored once on it (`evaluate`); `epochs`: how
   * many epochs the scored model was trained for (a final model: its configuration's best epoch).
   */
  test?: { loss: number; accuracy: number; epochs?: number; from?: string };
  /** First-layer ReLU units that output zero on every training example, when measured (diagnose reads it). */
  deadUnits?: { dead: number; units: number };
}

/** The lowest and highest value over the seeds at each epoch, per metric: the band a figure shades. */
export interface Band {
  low: number[];
  high: number[];
}

/**
 * One configuration trained with several seeds (`groupRuns`): `history` is the per-epoch MEAN over
 * the seeds (over the epochs every seed has), so `diagnose`, figures and tables read it like one run;
 * `bands` holds the min–max spread, and `seedRuns` the runs themselves, in seed order.
 */
export interface SeedGroup<R extends RunLike = RunLike> extends RunLike {
  seedRuns: R[];
  seeds: number[];
  bands: Partial<Record<Metric, Band>>;
}

/**
 * What a run's curves say. "not converged": the validation loss still falls at the last epoch, so the
 * run stopped before it could show whether the model underfits or overfits (train longer); "underfitting"
 * is for a model whose training loss stays high (too little capacity, over-regularized, stuck).
 */
export type Verdict = "underfitting" | "overfitting" | "not converged" | "good fit" | "diverged";

/**
 * How marked an overfitting or underfitting verdict is; null for the others. For overfitting (how far
 * the validation curve ends above its minimum): "mild" under 30%, "moderate" from 30%, "strong" from 55%
 * while still climbing 3% per epoch, from 82.5% whatever the climb, or when the training data was
 * memorized. For underfitting, by its cause: see lib/reading/diagnosis/rules.ts.
 */
export type Severity = "strong" | "moderate" | "mild";

/** Why a run underfits, has not converged or diverged, when the verdict has several causes. */
export type VerdictCause =
  | "still improving"
  | "too little capacity"
  | "over-regularized"
  | "stuck"
  | "unstable"
  | "too short"
  | "non-finite loss"
  | "exploding loss";

/** One seed's verdict within a group of seeds. */
export interface SeedVerdict {
  seed: number;
  verdict: Verdict;
  severity: Severity | null;
  cause: VerdictCause | null;
  label: string;
}

/** How a group's seeds read, each on its own (`diagnose(group).seeds`). */
export interface SeedAgreement {
  /** Each seed's verdict, in seed order (a seed is read beside its siblings: a stuck seed is found so). */
  verdicts: SeedVerdict[];
  /** True when every seed has the same label. */
  agree: boolean;
  /** "All 3 seeds overfit mildly." / "2 of 3 seeds overfit mildly, 1 underfits (stuck)." */
  text: string;
}

/** A run's overfitting measured against a baseline run's (`diagnose(h, { baseline })`). */
export interface RelativeDiagnosis {
  /** The baseline's name ("the baseline" for a bare history). */
  baseline: string;
  /** This run's rise after its minimum, and the baseline's (fractions: 0.24 = 24%). */
  rise: number;
  baselineRise: number;
  /** baselineRise / rise: 4 means this run overfits about 4× less (Infinity when it does not rise). */
  factor: number;
  bestEpoch: number;
  baselineBestEpoch: number;
  minValLoss: number;
  baselineMinValLoss: number;
  /** e.g. "rises 24% after its minimum where original rises 104%: overfits about 4× less". */
  text: string;
}

/** What `diagnose(history)` reads off a history. Epochs are 1-based, as on the plots. */
export interface Diagnosis {
  /** The epoch of minimum validation cross-entropy (`curve`). */
  bestEpoch: number;
  /** The minimum of `curve`: the plain validation cross-entropy whenever recorded (no L1/L2 penalty). */
  minValLoss: number;
  maxValAccuracy: number;
  /** The first epoch after which validation loss keeps rising while training loss falls; null if never. */
  overfitEpoch: number | null;
  /**
   * val − train at the last epoch (plain cross-entropy when recorded); for a run that early stopping ended
   * with its best weights restored, at the kept epoch, whose model the run is.
   */
  finalGap: number;
  /** The epoch `finalGap` is measured at. */
  gapEpoch: number;
  verdict: Verdict;
  /** "strong" | "mild" for overfitting and underfitting; null for a good fit or a diverged run. */
  severity: Severity | null;
  /** For underfitting and diverged runs: which kind (e.g. "over-regularized"); null otherwise. */
  cause: VerdictCause | null;
  /**
   * The verdict as a phrase: "overfits strongly", "has not converged (still improving)", "good fit", …; for
   * a group whose seeds disagree, followed by how they read ("overfits mildly; seeds disagree: 5 of 6 …").
   */
  label: string;
  /** The name of the rule that gave the verdict (lib/reading/diagnosis/rules.ts), e.g. "rises after its minimum". */
  rule: string;
  /** Why, in numbers, e.g. "validation cross-entropy rose from 0.291 (epoch 5) to 0.594 (epoch 20), …". */
  reason: string;
  /** The book's remedies for this verdict, as short advice. */
  remedies: string[];
  /** Which validation series bestEpoch, minValLoss, rise and trend read. */
  curve: "val_crossentropy" | "val_loss";
  /** The level the validation curve ends at, robustly (a Theil–Sen line through the last epochs). */
  endValLoss: number;
  /** (endValLoss − minValLoss) / minValLoss, at least 0: how far the curve ends above its minimum. */
  rise: number;
  /** How many final epochs `endValLoss` and `trend` were fitted through. */
  trendEpochs: number;
  /** The validation curve's robust change per epoch over the last epochs, relative to endValLoss (−0.03: falling 3% per epoch). */
  trend: number;
  /** Keras's penalized `val_loss` (includes the L1/L2 penalty), when the plain cross-entropy differs from it. */
  penalized?: { bestEpoch: number; minValLoss: number };
  /** The share of the final training loss that is the L1/L2 penalty ((loss − crossentropy) / loss), when recorded. */
  penaltyShare?: number;
  /** Against `options.baseline`, when given. */
  relative?: RelativeDiagnosis;
  /** For a group of seeds: each seed's verdict, and whether they agree. */
  seeds?: SeedAgreement;
}

/** Called after every epoch with the history so far (for live figures and progress lines). */
export type EpochCallback = (epoch: number, history: History, info?: EpochInfo) => void | Promise<void>;

/** What an epoch callback is told besides the history. */
export interface EpochInfo {
  /** True when the epoch was not trained now but replayed from the run cache (a stored run, or the stored start of a longer one). */
  replayed: boolean;
  /**
   * For a group of seeds (`trainSeeds`), whose `history` is the seeds' mean: how many seeds, and their
   * min–max per metric over the epochs so far (a live figure shades it, as the figures after the run do).
   */
  seeds?: number;
  bands?: Partial<Record<Metric, Band>>;
}

/**
 * One row of a lesson's results table (figures' `resultRows`, display's results MIME bundle).
 * Epochs are 1-based; a number is null when the run has no finite value for it (a diverged run).
 */
export interface ResultRow {
  name: string;
  /** Epochs trained (entries in the history). */
  epochs: number;
  /** The epoch of minimum validation loss (the plain cross-entropy when recorded, as `diagnose`). */
  bestEpoch: number | null;
  /** The minimum validation cross-entropy: for an L1/L2 run the plain one, without the penalty. */
  minValLoss: number | null;
  maxValAccuracy: number | null;
  /** val − train loss at the last epoch (plain cross-entropy when recorded; the kept epoch of early stopping), as in the diagnosis. */
  finalGap: number | null;
  /** The diagnosis's verdict; "final model" for a model retrained on all the training data (no validation split), which has none. */
  verdict: Verdict | "final model";
  /** The verdict's severity ("strong" | "mild"; null for a good fit or a diverged run). */
  severity?: Severity | null;
  /** The verdict's cause, for underfitting and diverged runs (e.g. "over-regularized"). */
  cause?: VerdictCause | null;
  reason: string;
  /** How many seeds the row averages (1 for a single run); the verdict is the mean curve's, or all seeds' when they agree. */
  seeds: number;
  /** For a group whose seeds disagree: how they read ("2 of 3 seeds overfit mildly, 1 underfits (stuck)."). */
  seedsDisagree?: string;
  /** Scored once on the test set (final models only). */
  testAccuracy?: number | null;
  testLoss?: number | null;
}
