/**
 * The MIME types fitlab's notebook outputs carry. Their own module so that readers of executed
 * notebooks (the headless runner's report and results table) share them without loading lib/notebook/display.
 */

/** The MIME type of a Plotly figure (JupyterLab, VS Code, nteract render it natively). */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
/** The machine-readable results `{ rows: ResultRow[] }` sent beside the HTML table. */
export const RESULTS_MIME = "application/vnd.fitlab.results+json";

/** Marks the output that carries plotly.js (initNotebook); front ends ignore it and show its HTML. */
export const PLOTLY_LOADER_MIME = "application/vnd.fitlab.plotly-loader+json";
