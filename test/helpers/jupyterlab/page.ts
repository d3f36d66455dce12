/**
 * Browser side of the JupyterLab test page (bundled by esbuild, see ../jupyterlab.ts): JupyterLab 4's
 * own output rendering — `@jupyterlab/rendermime`'s standard renderer factories and
 * `@jupyterlab/outputarea`'s model and widget — fed a notebook's outputs, trusted or not, as
 * JupyterLab's notebook panel feeds them. Optionally with a renderer for the Plotly MIME type, rank 0,
 * as plotly's JupyterLab extension registers one.
 */
import { OutputArea, OutputAreaModel } from "@jupyterlab/outputarea";
import { RenderMimeRegistry, standardRendererFactories } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";

const PLOTLY_MIME = "application/vnd.plotly.v1+json";

interface PlotlyLike {
  newPlot(node: HTMLElement, data: unknown, layout: unknown, config: unknown): Promise<unknown>;
}

/** What plotly's JupyterLab extension does with the Plotly MIME type: draw it with its own plotly.js. */
class PlotlyRenderer extends Widget implements IRenderMime.IRenderer {
  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const spec = model.data[PLOTLY_MIME] as { data?: unknown; layout?: unknown; config?: unknown };
    const plotly = (window as unknown as { Plotly?: PlotlyLike }).Plotly;
    if (!plotly) throw new Error("the page has no plotly.js for the Plotly renderer");
    await plotly.newPlot(this.node, spec.data ?? [], spec.layout ?? {}, spec.config ?? {});
  }
}

const plotlyRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [PLOTLY_MIME],
  defaultRank: 0,
  createRenderer: () => new PlotlyRenderer(),
};

export interface PageCell {
  number: number;
  /** nbformat outputs, multi-line strings joined (as the Jupyter server sends them). */
  outputs: unknown[];
}

export interface RenderOptions {
  trusted: boolean;
  plotlyRenderer: boolean;
}

export interface OutputState {
  outputType: string;
  /** The MIME type JupyterLab chose for this output (null: none it can render). */
  mime: string | null;
  /** Plotly charts drawn (a .js-plotly-plot holding an SVG), with their trace counts. */
  traces: number[];
  /** Images that loaded, with their pixel size. */
  images: { naturalWidth: number; naturalHeight: number }[];
  /** <script> elements left in the rendered output. */
  scripts: number;
  /** The rendered text, whitespace collapsed. */
  text: string;
}

export interface CellState {
  number: number;
  outputs: OutputState[];
}

const rendered: { number: number; area: OutputArea; model: OutputAreaModel; rendermime: RenderMimeRegistry }[] = [];

function render(cells: PageCell[], options: RenderOptions): void {
  const factories = options.plotlyRenderer
    ? [...standardRendererFactories, plotlyRendererFactory]
    : standardRendererFactories;
  const rendermime = new RenderMimeRegistry({ initialFactories: factories });
  for (const cell of cells) {
    const model = new OutputAreaModel({ trusted: options.trusted });
    const area = new OutputArea({ model, rendermime });
    area.node.dataset.cell = String(cell.number);
    Widget.attach(area, document.body);
    for (const output of cell.outputs) model.add(output as never);
    rendered.push({ number: cell.number, area, model, rendermime });
  }
}

function inspect(): CellState[] {
  return rendered.map(({ number, area, model, rendermime }) => ({
    number,
    outputs: area.widgets.map((child, i) => {
      const output = model.get(i);
      const node = child.node;
      const charts = Array.from(node.querySelectorAll(".js-plotly-plot")).filter((gd) =>
        gd.querySelector("svg.main-svg"),
      );
      return {
        outputType: output?.type ?? "?",
        mime: output ? (rendermime.preferredMimeType(output.data, output.trusted ? "any" : "ensure") ?? null) : null,
        traces: charts.map((gd) => ((gd as unknown as { data?: unknown[] }).data ?? []).length),
        images: Array.from(node.querySelectorAll("img"))
          .filter((img) => img.complete && img.naturalWidth > 0)
          .map((img) => ({ naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight })),
        scripts: node.querySelectorAll("script").length,
        text: (node.textContent ?? "").replace(/\s+/g, " ").trim(),
      };
    }),
  }));
}

(window as unknown as { fitlabJupyterLab: unknown }).fitlabJupyterLab = { render, inspect };
