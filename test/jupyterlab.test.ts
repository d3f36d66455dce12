/**
 * What a JupyterLab 4 reader sees of every executed lesson notebook: the outputs of `npm run lesson
 * --quick` rendered by JupyterLab's own code (@jupyterlab/rendermime's standard renderers and
 * @jupyterlab/outputarea, bundled by esbuild) in Debian's Chromium, for a notebook that is trusted
 * (the reader ran it) or not (opened from elsewhere), and with or without a renderer for the Plotly
 * MIME type (what plotly's JupyterLab extension adds). JupyterLab itself is not installable here.
 *
 * FITLAB_JUPYTERLAB_NOTEBOOKS=<folder> checks the executed notebooks in that folder (e.g. out/)
 * instead of running the lesson first.
 */
import { promises as fs } from "fs";
import * as path from "path";
import type { Page } from "playwright-core";
import { PLOTLY_LOADER_MIME, PLOTLY_MIME } from "../lib/notebook/display";
import { codeCells, readNotebook, type Notebook } from "../scripts/jupyter/notebook";
import { launchBrowser } from "../scripts/browser/chromium";
import { runLesson, tail } from "./helpers/jupyter";
import { type JupyterLabPage, type OutputState, openJupyterLabPage } from "./helpers/jupyterlab";
import { requirePrerequisites } from "../scripts/browser/prerequisites";
import { TEST_BACKEND, type Workspace, createWorkspace, lessonNotebooks } from "../scripts/browser/workspace";
import { IMAGE_SCALE, IMAGE_WIDTH } from "../scripts/jupyter/staticImages";

const NAMES = lessonNotebooks().map((file) => path.basename(file, ".ipynb"));
const RUN_TIMEOUT_MS = 30 * 60_000;

interface Expected {
  /** Per code cell (by number): per output, what kind of output it is. */
  kind: "figure" | "loader" | "progress" | "other";
  traces: number;
  height: number;
}

/** What each output of an executed notebook is, read from the notebook itself. */
function expectations(nb: Notebook): Map<number, Expected[]> {
  const found = new Map<number, Expected[]>();
  for (const { cell, number } of codeCells(nb)) {
    found.set(
      number,
      cell.outputs.map((o) => {
        if (o.output_type !== "display_data" && o.output_type !== "execute_result")
          return { kind: "other", traces: 0, height: 0 };
        if (PLOTLY_LOADER_MIME in o.data) return { kind: "loader", traces: 0, height: 0 };
        if (PLOTLY_MIME in o.data) {
          const spec = (
            typeof o.data[PLOTLY_MIME] === "string" ? JSON.parse(o.data[PLOTLY_MIME] as string) : o.data[PLOTLY_MIME]
          ) as {
            data: unknown[];
            layout: { height?: number };
          };
          return { kind: "figure", traces: spec.data.length, height: spec.layout.height ?? 450 };
        }
        const text = o.data["text/plain"];
        if (
          Object.keys(o.data).join() === "text/plain" &&
          typeof text === "string" &&
          /^.+: \d+ epochs?( in [\d.]+ s| from the run cache| \(1–\d+ from the run cache, \d+–\d+ trained in [\d.]+ s\)) · final /.test(
            text,
          )
        ) {
          return { kind: "progress", traces: 0, height: 0 };
        }
        return { kind: "other", traces: 0, height: 0 };
      }),
    );
  }
  return found;
}

/** Every figure output as "cell N: …" wherever it does not show `what`, for one readable failure list. */
function mismatches(
  nb: Notebook,
  cells: { number: number; outputs: OutputState[] }[],
  check: (e: Expected, o: OutputState) => string | null,
): string[] {
  const expected = expectations(nb);
  const problems: string[] = [];
  for (const cell of cells) {
    const wanted = expected.get(cell.number) ?? [];
    if (wanted.length !== cell.outputs.length)
      problems.push(`cell ${cell.number}: ${cell.outputs.length} outputs rendered, ${wanted.length} in the notebook`);
    cell.outputs.forEach((o, i) => {
      const problem = wanted[i] ? check(wanted[i], o) : null;
      if (problem) problems.push(`cell ${cell.number} output ${i + 1} (${wanted[i].kind}): ${problem}`);
    });
  }
  return problems;
}

function count(nb: Notebook, kind: Expected["kind"]): number {
  return [...expectations(nb).values()].flat().filter((e) => e.kind === kind).length;
}

describe("the executed lesson notebooks in JupyterLab 4's renderer (rendermime + outputarea, Chromium)", () => {
  let ws: Workspace | undefined;
  let lab: JupyterLabPage | undefined;
  const notebooks = new Map<string, Notebook>();

  beforeAll(async () => {
    requirePrerequisites(["build", "chromium"]);
    let dir = process.env.FITLAB_JUPYTERLAB_NOTEBOOKS;
    if (!dir) {
      ws = await createWorkspace({ notebooks: lessonNotebooks(), quick: true });
      dir = await ws.mkdir("lesson");
      const lesson = await runLesson(
        ws.notebooks.map((n) => n.file),
        { outDir: dir, quick: true, backend: TEST_BACKEND, env: ws.env("lesson"), timeoutMs: RUN_TIMEOUT_MS },
      );
      if (lesson.code !== 0) throw new Error(`npm run lesson --quick failed (exit ${lesson.code}):\n${tail(lesson)}`);
    }
    for (const name of NAMES) {
      const file = path.join(dir, `${name}.ipynb`);
      const nb = await readNotebook(file).catch((error: Error) => {
        throw new Error(
          `${error.message}\nEvery lesson notebook must be executed there: npm run lesson -- --quick --out ${dir}`,
        );
      });
      notebooks.set(name, nb);
    }
    lab = await openJupyterLabPage();
  }, RUN_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    await lab?.close();
    await ws?.dispose();
  });

  it("finds executed notebooks with figures", () => {
    expect(NAMES.length).toBeGreaterThan(0);
    for (const name of NAMES) expect([name, count(notebooks.get(name)!, "figure")]).not.toEqual([name, 0]);
  });

  it("shows one progress line, ending as the run's closing line, in every live training cell", () => {
    const missing = NAMES.flatMap((name) => {
      const nb = notebooks.get(name)!;
      const expected = expectations(nb);
      return codeCells(nb)
        .filter(({ cell }) => /liveCurves\(/.test(cell.source))
        .filter(
          ({ number, cell }) =>
            (expected.get(number) ?? []).filter((e) => e.kind === "progress").length !==
            (cell.source.match(/liveCurves\(/g) ?? []).length,
        )
        .map(({ number }) => `${name} cell ${number}`);
    });
    expect(missing).toEqual([]);
  });

  it("npm run lesson gave every figure a PNG drawn by plotly.js: one decodes to a non-blank image of the figure's size", async () => {
    const nb = notebooks.get(NAMES[0])!;
    const figures = codeCells(nb).flatMap(({ cell }) =>
      cell.outputs.flatMap((o) => (o.output_type === "display_data" && PLOTLY_MIME in o.data ? [o] : [])),
    );
    expect(figures.filter((o) => typeof o.data["image/png"] !== "string").length).toBe(0);
    const output = figures[0];
    const height = (output.data[PLOTLY_MIME] as { layout: { height?: number } }).layout.height ?? 450;
    expect(output.metadata["image/png"]).toEqual({ width: IMAGE_WIDTH, height });
    const browser = await launchBrowser({ allow: (url) => /^(data|about):/.test(url) });
    try {
      const page: Page = await browser.context.newPage();
      const decoded = await page.evaluate(async (png) => {
        const img = new Image();
        img.src = `data:image/png;base64,${png}`;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const ctx = canvas.getContext("2d")!;
        ctx.drawImage(img, 0, 0);
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        const colors = new Set<number>();
        let inked = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
          if (a > 0 && r + g + b < 600) inked++;
          if (colors.size < 1000) colors.add((r << 24) | (g << 16) | (b << 8) | a);
        }
        return {
          width: img.naturalWidth,
          height: img.naturalHeight,
          inked: inked / (pixels.length / 4),
          colors: colors.size,
        };
      }, output.data["image/png"] as string);
      expect({ width: decoded.width, height: decoded.height }).toEqual({
        width: IMAGE_WIDTH * IMAGE_SCALE,
        height: height * IMAGE_SCALE,
      });
      // Curves, axes and text: a few percent of the pixels are ink, in many colours (anti-aliasing).
      expect(decoded.inked).toBeGreaterThan(0.005);
      expect(decoded.inked).toBeLessThan(0.5);
      expect(decoded.colors).toBeGreaterThan(20);
    } finally {
      await browser.close();
    }
  });

  describe.each(NAMES)("%s", (name) => {
    it("trusted, no Plotly renderer: the HTML's scripts draw every chart in place of its static image", async () => {
      const nb = notebooks.get(name)!;
      const { cells, errors } = await lab!.render(nb, {
        trusted: true,
        plotlyRenderer: false,
        expectCharts: count(nb, "figure"),
      });
      expect(errors).toEqual([]);
      expect(
        mismatches(nb, cells, (e, o) => {
          if (e.kind === "figure") {
            if (o.mime !== "text/html") return `shown as ${o.mime}`;
            if (o.traces.join() !== String(e.traces))
              return `charts drawn with traces [${o.traces.join()}], expected [${e.traces}]`;
            if (o.images.length !== 0) return `its static image is still there beside the chart`;
          }
          if (
            e.kind === "progress" &&
            !/\d+ epochs? (in [\d.]+ s|from the run cache|\(1–\d+ from the run cache, \d+–\d+ trained in [\d.]+ s\)) · final /.test(
              o.text,
            )
          )
            return `progress line not shown (${o.text.slice(0, 80)})`;
          return null;
        }),
      ).toEqual([]);
    });

    it("untrusted, no Plotly renderer: sanitized HTML, no script, each figure's static image at its size with a note", async () => {
      const nb = notebooks.get(name)!;
      const { cells, errors } = await lab!.render(nb, { trusted: false, plotlyRenderer: false, expectCharts: 0 });
      expect(errors).toEqual([]);
      expect(
        mismatches(nb, cells, (e, o) => {
          if (o.scripts > 0) return `${o.scripts} script(s) survived the sanitizer`;
          if (o.traces.length > 0) return `a chart was drawn untrusted`;
          if (e.kind === "loader" && o.text !== "") return `the plotly.js loader shows text: ${o.text.slice(0, 80)}`;
          if (e.kind !== "figure") return null;
          if (o.mime !== "text/html") return `shown as ${o.mime}`;
          const size = o.images.map((i) => `${i.naturalWidth}×${i.naturalHeight}`).join(", ");
          if (size !== `${IMAGE_WIDTH * IMAGE_SCALE}×${e.height * IMAGE_SCALE}`)
            return `images shown: [${size}], expected one of ${IMAGE_WIDTH * IMAGE_SCALE}×${e.height * IMAGE_SCALE}`;
          if (!/static image of this interactive figure/.test(o.text) || /If this text stays/.test(o.text))
            return `text shown: ${o.text.slice(0, 120)}`;
          return null;
        }),
      ).toEqual([]);
    });

    // Untrusted only: the renderer's rank (0) puts the Plotly JSON first whatever the trust (measured
    // both ways; trusted adds nothing but run time).
    it("with a Plotly renderer (plotly's JupyterLab extension), untrusted: the Plotly JSON, every chart drawn", async () => {
      const nb = notebooks.get(name)!;
      const { cells, errors } = await lab!.render(nb, {
        trusted: false,
        plotlyRenderer: true,
        expectCharts: count(nb, "figure"),
      });
      expect(errors).toEqual([]);
      expect(
        mismatches(nb, cells, (e, o) => {
          if (e.kind !== "figure") return null;
          if (o.mime !== PLOTLY_MIME) return `shown as ${o.mime}`;
          if (o.traces.join() !== String(e.traces))
            return `charts drawn with traces [${o.traces.join()}], expected [${e.traces}]`;
          return null;
        }),
      ).toEqual([]);
    });
  });

  it("fetched nothing but the test page", () => {
    expect(lab!.blocked()).toEqual([]);
  });
});
