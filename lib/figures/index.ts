/**
 * Plotly figures as plain data (no I/O, no tslab): pass them to `show` (lib/notebook/display) in a notebook
 * or to `figureHtml` (lib/notebook/html) for a report.
 */
export type {
  BarTrace,
  Dash,
  Datum,
  Figure,
  PlotlyAnnotation,
  PlotlyAxis,
  PlotlyConfig,
  PlotlyLayout,
  PlotlyShape,
  PlotlyTrace,
  ScatterTrace,
  TableTrace,
} from "./plotly";
export { DEFAULT_CONFIG, fromPlotlyText, plotlyText } from "./plotly";
export { bandOf, bestEpochOf, checkHistory, seedCount, smoothSeries, type RunSource, type RunsInput } from "./history";
export {
  plotRuns,
  plotSizeSweep,
  plotTrainVsVal,
  plotValLossAndAcc,
  trainingProgress,
  type CompareMetric,
  type CompareOptions,
  type ProgressOptions,
  type SizeSweepOptions,
  type TrainValMetric,
  type TrainVsValOptions,
  type ValLossAndAccOptions,
} from "./curves";
export {
  formatResultRow,
  hasTestColumns,
  RESULTS_COLUMNS,
  resultColumns,
  resultRows,
  plotResultsTable,
  TEST_COLUMNS,
  verdictText,
  type ResultsTableOptions,
} from "./results";
export {
  histogram,
  NEAR_ZERO,
  plotWeights,
  type Histogram,
  type WeightHistogramOptions,
  type WeightSet,
  type WeightSource,
} from "./weights";
export { colorFor } from "./colors";
