/**
 * A self-contained HTML report of an executed notebook: rendered Markdown, code with its outputs,
 * and Plotly figures drawn by plotly.js inlined once, so the file works offline from file://.
 * The page, the figures and the escaping are lib/notebook/html's, as in the notebooks' own text/html.
 */
import { escapeHtml, figureHtml, htmlPage } from "../../lib/notebook/html";
import { PLOTLY_LOADER_MIME, PLOTLY_MIME, RESULTS_MIME } from "../../lib/notebook/mime";
import { resultsHtml } from "../../lib/notebook/tables";
import type { Figure } from "../../lib/figures/plotly";
import type { ResultRow } from "../../lib/types";
import { Cell, MimeBundle, Notebook, Output } from "./notebook";
import { renderMarkdown } from "./markdown";

export interface ReportOptions {
  title: string;
  /** Shown as a banner at the top when the run stopped early. */
  failure?: string;
  /** plotly.js source to inline; default: plotly.js-dist-min's plotly.min.js. */
  plotlySource?: string;
}

const STYLE = `
body{font:15px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1,h2,h3{line-height:1.25}
pre{background:#f6f8fa;padding:.6em .8em;overflow-x:auto;border-radius:4px;font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
p code,li code,td code{background:#f0f0f0;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;margin:.8em 0}
th,td{border:1px solid #ccc;padding:.3em .6em}
th{background:#f3f3f3}
blockquote{border-left:4px solid #ddd;margin:0;padding:0 1em;color:#555}
.cell{margin:1.2em 0}
.code pre{border-left:3px solid #4a7bd0}
.prompt{color:#888;font:12px ui-monospace,monospace}
.output{margin:.4em 0 0 0}
.output pre{background:#fff;border:1px solid #eee}
.stderr pre{background:#fff5f5;border-color:#f3c2c2}
.error pre{background:#fff0f0;border-color:#e99}
.banner{background:#fff0f0;border:1px solid #e99;padding:.8em 1em;border-radius:4px;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px}
img{max-width:100%}
`;

/** What a figure shows until plotly.js draws it (it stays only where scripts do not run). */
const PLACEHOLDER = "Plotly figure: open this report in a browser with JavaScript enabled to see it drawn.";

/** Strips ANSI colour codes (kernels colour tracebacks). */
function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

function asJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

class ReportBuilder {
  plots = 0;

  /** The richest representation we can show offline; plotly JSON wins over its text/html fallback. */
  renderBundle(data: MimeBundle): string {
    // The notebook's own copy of plotly.js: the report inlines plotly.js once in its head instead.
    if (PLOTLY_LOADER_MIME in data) return "";
    if (PLOTLY_MIME in data) {
      const figure = asJson(data[PLOTLY_MIME]) as Partial<Figure>;
      const drawn: Figure = {
        data: figure.data ?? [],
        layout: figure.layout ?? {},
        config: { responsive: true, displaylogo: false, ...(figure.config ?? {}) },
      };
      return figureHtml(drawn, { id: `plot-${++this.plots}`, placeholder: PLACEHOLDER });
    }
    if ("text/html" in data) return String(data["text/html"]);
    if (RESULTS_MIME in data) {
      const rows = (asJson(data[RESULTS_MIME]) as { rows?: ResultRow[] }).rows;
      if (Array.isArray(rows)) return resultsHtml(rows);
    }
    if ("image/svg+xml" in data) return String(data["image/svg+xml"]);
    for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
      if (mime in data) return `<img src="data:${mime};base64,${escapeHtml(String(data[mime]).replace(/\s/g, ""))}">`;
    }
    if ("text/markdown" in data) return renderMarkdown(String(data["text/markdown"]));
    if ("application/json" in data)
      return `<pre>${escapeHtml(JSON.stringify(asJson(data["application/json"]), null, 2))}</pre>`;
    if ("text/plain" in data) return `<pre>${escapeHtml(stripAnsi(String(data["text/plain"])))}</pre>`;
    return `<pre>(no displayable representation: ${escapeHtml(Object.keys(data).join(", "))})</pre>`;
  }

  renderOutput(output: Output): string {
    switch (output.output_type) {
      case "stream":
        return `<div class="output ${output.name}"><pre>${escapeHtml(stripAnsi(output.text))}</pre></div>`;
      case "display_data":
      case "execute_result":
        return `<div class="output">${this.renderBundle(output.data)}</div>`;
      case "error":
        return (
          `<div class="output error"><pre>${escapeHtml(stripAnsi(`${output.ename}: ${output.evalue}`))}` +
          `${output.traceback.length ? "\n" + escapeHtml(stripAnsi(output.traceback.join("\n"))) : ""}</pre></div>`
        );
    }
  }

  renderCell(cell: Cell): string {
    if (cell.cell_type === "markdown") return `<section class="cell markdown">${renderMarkdown(cell.source)}</section>`;
    if (cell.cell_type === "raw") return `<section class="cell raw"><pre>${escapeHtml(cell.source)}</pre></section>`;
    const prompt = `<div class="prompt">[${cell.execution_count ?? " "}]:</div>`;
    const outputs = cell.outputs.map((o) => this.renderOutput(o)).join("\n");
    return (
      `<section class="cell code">${prompt}<div class="code"><pre><code class="language-typescript">` +
      `${escapeHtml(cell.source)}</code></pre></div>\n${outputs}</section>`
    );
  }
}

/** The whole report as one HTML document; plotly.js is inlined once, and only if a figure needs it. */
export function renderHtmlReport(nb: Notebook, options: ReportOptions): string {
  const builder = new ReportBuilder();
  const cells = nb.cells.map((cell) => builder.renderCell(cell)).join("\n");
  const banner = options.failure ? `<div class="banner">${escapeHtml(options.failure)}</div>\n` : "";
  return htmlPage({
    title: options.title,
    head: `<style>${STYLE}</style>`,
    body: `${banner}${cells}`,
    includePlotly: builder.plots > 0,
    plotlySource: options.plotlySource,
  });
}
