/** The headless runner's reusable pieces (for `npm run lesson`, `npm start` and the nbconvert/browser tests). */
export { executeNotebook, formatFailure, resolveParameters } from "./execute";
export type { CellFailure, ExecuteNotebookOptions, ExecutedNotebook } from "./execute";
export { KernelClient, KernelDiedError, CellTimeoutError, shutdownAllKernels, projectRoot } from "./kernel";
export { registerKernel, jupyterEnv, findJupyter } from "./kernelspec";
export { renderMarkdown, escapeHtml } from "./markdown";
export { readNotebook, parseNotebook, serializeNotebook, writeNotebookAtomic, writeFileAtomic, codeCells } from "./notebook";
export type { Notebook, Cell, CodeCell, Output } from "./notebook";
export { injectParameters, parseParametersCell, parseParameterValue, ParameterError, PARAMETERS_TAG, INJECTED_TAG } from "./parameters";
export { renderHtmlReport, PLOTLY_MIME } from "./report";
export { collectSummary, formatSummaryTable, SUMMARY_MIME } from "./summary";
export { validateNotebook } from "./validate";
