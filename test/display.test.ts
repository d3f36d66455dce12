import * as vm from "vm";
import {
  createNotebookDisplay,
  type DisplayContent,
  displayBundle,
  kernelWriter,
  progressLine,
  PLOTLY_MIME,
  resultsBundle,
  RESULTS_MIME,
} from "../lib/notebook/display";
import { plotRuns, plotValLossAndAcc, resultRows, type Figure } from "../lib/figures";
import { escapeHtml, figureHtml, htmlPage, jsonForScript, plotlyJs, withStaticImage } from "../lib/notebook/html";
import { groupRuns } from "../lib/runs/seeds";
import type { History, RunLike } from "../lib/types";

function makeHistory(loss: number[]): History {
  return {
    history: {
      loss,
      accuracy: loss.map((l) => 1 - l / 2),
      val_loss: loss.map((l, i) => l + 0.05 * i),
      val_accuracy: loss.map((l) => 0.9 - l / 4),
    },
    epoch: loss.map((_, i) => i),
    params: { epochs: loss.length, batchSize: 512, samples: 100, validationSamples: 50, steps: 1 },
  };
}

const HOSTILE = "</script><img src=x onerror=alert(1)>";
const original: RunLike = { name: "original", history: makeHistory([0.6, 0.4, 0.3, 0.25]) };
const hostile: RunLike = { name: HOSTILE, history: makeHistory([0.7, 0.5, 0.45, 0.44]) };
/** A fingerprint of the inlined plotly.js: its licence header. */
const PLOTLY_MARK = "* plotly.js v";

function copiesOfPlotly(text: string): number {
  return text.split(PLOTLY_MARK).length - 1;
}

/** A display whose writer records messages, as the kernel would send them. */
function recordingDisplay() {
  const messages: { content: DisplayContent; update: boolean }[] = [];
  const display = createNotebookDisplay({ writer: () => (content, update) => messages.push({ content, update }) });
  return { display, messages };
}

/**
 * Runs a figure's inline script against a fake page and Plotly: proves the script parses and that
 * the data reaching Plotly.newPlot is exactly the figure's (escaping must not alter values).
 */
function runFigureScript(html: string): { calls: unknown[][]; element: { innerHTML: string } } {
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const calls: unknown[][] = [];
  const element = { innerHTML: "placeholder" };
  const window: Record<string, unknown> = { Plotly: { newPlot: (...args: unknown[]) => calls.push(args) } };
  const context = vm.createContext({ window, document: { getElementById: () => element }, console });
  for (const script of scripts) vm.runInContext(script, context);
  return { calls, element };
}

describe("displayBundle", () => {
  const figure = plotValLossAndAcc(original);

  it("carries the Plotly JSON, an HTML fallback and plain text", () => {
    const bundle = displayBundle(figure);
    expect(Object.keys(bundle).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"].sort());
    expect(bundle[PLOTLY_MIME]).toEqual({ data: figure.data, layout: figure.layout, config: figure.config });
    expect(bundle["text/plain"]).toBe(
      "[Plotly figure] Validation loss and accuracy — original — 2 traces: validation loss, validation accuracy",
    );
    const html = bundle["text/html"] as string;
    expect(html).toMatch(/<div id="fitlab-[0-9a-f]+" class="fitlab-figure"/);
    expect(html).toContain("Plotly.newPlot");
  });

  it("inlines plotly.js only when asked (first figure of a page)", () => {
    const without = displayBundle(figure)["text/html"] as string;
    const withPlotly = displayBundle(figure, { includePlotly: true })["text/html"] as string;
    expect(copiesOfPlotly(without)).toBe(0);
    expect(without.length).toBeLessThan(20_000);
    expect(copiesOfPlotly(withPlotly)).toBe(1);
    expect(withPlotly.length).toBeGreaterThan(plotlyJs().length);
  });

  it("turns NaN into null in the Plotly JSON", () => {
    const diverged = { name: "d", history: makeHistory([0.5, NaN, NaN]) };
    const bundle = displayBundle(plotValLossAndAcc(diverged));
    const spec = bundle[PLOTLY_MIME] as Figure;
    expect((spec.data[0] as { y: unknown[] }).y).toEqual([0.5, null, null]);
    expect(JSON.stringify(bundle)).not.toContain("NaN");
  });

  it("draws the exact figure data when its script runs, hostile names included", () => {
    const compared = plotRuns([original, hostile], "val_loss");
    const { calls, element } = runFigureScript(figureHtml(compared, { id: "fig" }));
    expect(calls).toHaveLength(1);
    expect(calls[0][0]).toBe(element);
    expect(calls[0][1]).toEqual(compared.data);
    expect(calls[0][2]).toEqual(compared.layout);
    expect(element.innerHTML).toBe("");
  });

  it("waits for plotly.js when the figure arrives first", () => {
    const html = figureHtml(plotValLossAndAcc(original), { id: "fig" });
    const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const calls: unknown[] = [];
    const window: Record<string, unknown> = {};
    const context = vm.createContext({ window, document: { getElementById: () => ({ innerHTML: "" }) } });
    scripts.forEach((s) => vm.runInContext(s, context));
    expect(calls).toHaveLength(0);
    const waiting = window.__fitlabPlotlyWaiting as (() => void)[];
    expect(waiting).toHaveLength(1);
    window.Plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
    waiting[0]();
    expect(calls).toHaveLength(1);
  });
});

describe("withStaticImage", () => {
  const figure = plotValLossAndAcc(hostile);
  const image = { png: "iVBORw0KGgo=", width: 900, height: 450, alt: HOSTILE };

  it("puts the image in place of the placeholder text, escaped, and the script still replaces it with the chart", () => {
    const html = withStaticImage(figureHtml(figure, { id: "fig" }), image);
    expect(html).not.toContain("If this text stays");
    expect(html).toContain('<img src="data:image/png;base64,iVBORw0KGgo=" width="900" height="450"');
    expect(html).toContain(`alt="${escapeHtml(HOSTILE)}"`);
    expect(html).not.toContain(HOSTILE);
    const { calls, element } = runFigureScript(html);
    expect(calls).toHaveLength(1);
    expect(element.innerHTML).toBe("");
  });

  it("replaces an earlier image rather than adding a second, and leaves other HTML alone", () => {
    const once = withStaticImage(figureHtml(figure, { id: "fig" }), image);
    const twice = withStaticImage(once, { ...image, png: "AAAA" });
    expect(twice.match(/<img /g)).toHaveLength(1);
    expect(twice).toContain("base64,AAAA");
    expect(withStaticImage("<p>not a figure</p>", image)).toBe("<p>not a figure</p>");
  });
});

describe("escaping", () => {
  it("never lets a hostile run name close the script or inject markup", () => {
    const html = displayBundle(plotRuns([hostile], "val_loss", { title: `${HOSTILE} <!-- \u2028\u2029` }))[
      "text/html"
    ] as string;
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<!--");
    expect(html).not.toMatch(/[\u2028\u2029]/);
    // Exactly one closing tag: the figure's own script.
    expect(html.match(/<\/script>/g)).toHaveLength(1);
  });

  it("escapes the results table and keeps the raw name in its JSON copy", () => {
    const bundle = resultsBundle(resultRows([original, hostile]));
    const html = bundle["text/html"] as string;
    expect(html).not.toContain("<img");
    expect(html).not.toContain("</script>");
    expect(html).toContain(escapeHtml(HOSTILE));
    expect((bundle[RESULTS_MIME] as { rows: { name: string }[] }).rows[1].name).toBe(HOSTILE);
  });

  it("writes JSON that round-trips and HTML text that cannot open tags", () => {
    const value = { a: "</script><!--\u2028\u2029&'\"", n: [1, null] };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
    expect(htmlPage({ title: HOSTILE, body: "", includePlotly: false })).toContain(
      `<title>${escapeHtml(HOSTILE)}</title>`,
    );
  });
});

describe("show and the once-per-session plotly.js", () => {
  it("sends each figure as one display_data with three MIME types, plotly.js in the first only", () => {
    const { display, messages } = recordingDisplay();
    display.show(plotValLossAndAcc(original));
    display.show(plotRuns([original, hostile], "val_loss"));
    expect(messages).toHaveLength(2);
    for (const { content, update } of messages) {
      expect(update).toBe(false);
      expect(Object.keys(content.data).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"].sort());
    }
    const html = messages.map((m) => m.content.data["text/html"] as string);
    expect(html.map(copiesOfPlotly)).toEqual([1, 0]);
    expect(display.plotlySent).toBe(true);
  });

  it("initNotebook always emits plotly.js and later figures do not repeat it", () => {
    const { display, messages } = recordingDisplay();
    display.initNotebook();
    display.show(plotValLossAndAcc(original));
    display.initNotebook(); // a re-run first cell: the copy moves with it
    const html = messages.map((m) => m.content.data["text/html"] as string);
    expect(html.map(copiesOfPlotly)).toEqual([1, 0, 1]);
    expect(messages[0].content.data["text/plain"]).toMatch(/^plotly\.js \d+\.\d+\.\d+ loaded/);
  });

  it("prints the text form outside a kernel", () => {
    const printed: string[] = [];
    const display = createNotebookDisplay({ writer: () => null, print: (t) => printed.push(t) });
    display.show(plotValLossAndAcc(original));
    display.showResults([original]);
    expect(printed[0]).toMatch(/^\[Plotly figure\] Validation loss and accuracy — original/);
    expect(printed[1].split("\n")[0]).toMatch(/^Run\s+Epochs\s+Best epoch/);
    expect(display.plotlySent).toBe(false);
  });

  it("finds no kernel writer outside tslab", () => {
    expect(kernelWriter()).toBeNull();
  });
});

describe("show with something that is not a figure", () => {
  it("names what it expected instead of failing deep inside", () => {
    const { display, messages } = recordingDisplay();
    expect(() => display.show(original as never)).toThrow(
      /show: expected a Plotly figure .*plotValLossAndAcc\(run\).*got an object with keys name, history/,
    );
    expect(() => display.show(undefined as never)).toThrow(/expected a Plotly figure.*got undefined/);
    expect(messages).toHaveLength(0);
  });
});

describe("showResults", () => {
  it("sends the HTML table and the machine-readable rows in one bundle", () => {
    const { display, messages } = recordingDisplay();
    display.showResults({ original, other: hostile.history });
    expect(messages).toHaveLength(1);
    const data = messages[0].content.data;
    expect(Object.keys(data).sort()).toEqual([RESULTS_MIME, "text/html", "text/plain"].sort());
    expect(data[RESULTS_MIME]).toEqual({ rows: resultRows({ original, other: hostile.history }) });
    expect(data["text/html"]).toContain('<table class="fitlab-results"');
  });
});

describe("liveCurves", () => {
  function partial(history: History, epochs: number): History {
    const cut = Object.fromEntries(
      Object.entries(history.history).map(([k, v]) => [k, (v as number[]).slice(0, epochs)]),
    );
    return { ...history, epoch: history.epoch.slice(0, epochs), history: cut as History["history"] };
  }

  it("shows one figure and one progress line under it, both updated in place each epoch, plotly.js sent separately once", async () => {
    const { display, messages } = recordingDisplay();
    const callback = display.liveCurves("original");
    expect(callback.showsProgress).toBe(true);
    for (let e = 1; e <= 4; e++) await callback(e - 1, partial(original.history, e));
    // A loader output first (no display id), then per epoch the figure and the line.
    expect(messages).toHaveLength(1 + 2 * 4);
    expect(messages[0].content.transient).toBeUndefined();
    expect(copiesOfPlotly(messages[0].content.data["text/html"] as string)).toBe(1);
    const figures = messages.slice(1).filter((m) => PLOTLY_MIME in m.content.data);
    const lines = messages.slice(1).filter((m) => !(PLOTLY_MIME in m.content.data));
    expect(messages.slice(1, 3).map((m) => PLOTLY_MIME in m.content.data)).toEqual([true, false]); // figure above the line
    const figureId = figures[0].content.transient?.display_id;
    const lineId = lines[0].content.transient?.display_id;
    expect(figureId).toMatch(/^fitlab-live-/);
    expect(lineId).toMatch(/^fitlab-live-/);
    expect(lineId).not.toBe(figureId);
    for (const [group, id] of [
      [figures, figureId],
      [lines, lineId],
    ] as const) {
      expect(group.map((m) => m.update)).toEqual([false, true, true, true]);
      group.forEach((m) => expect(m.content.transient?.display_id).toBe(id));
    }
    figures.forEach((m) => expect(copiesOfPlotly(m.content.data["text/html"] as string)).toBe(0));
    expect(figures[3].content.data["text/plain"]).toMatch(/original — epoch 4 of 4/);
    // The line is text only, one line, and ends as the run's closing line.
    lines.forEach((m) => expect(Object.keys(m.content.data)).toEqual(["text/plain"]));
    const texts = lines.map((m) => m.content.data["text/plain"] as string);
    texts.forEach((t) => expect(t).not.toContain("\n"));
    expect(texts[0]).toMatch(
      /^original · epoch 1\/4 · loss 0\.6000 · accuracy 0\.7000 · val_loss 0\.6000 · val_accuracy 0\.7500 · \d+\.\d s$/,
    );
    expect(texts[3]).toMatch(
      /^original: 4 epochs in \d+\.\d s · final loss 0\.2500, accuracy 0\.8750, val_loss 0\.4000, val_accuracy 0\.8375 · lowest val_loss 0\.4000 at epoch 3$/,
    );
  });

  it("redraws the figure every n epochs and always at the last one; the line follows every epoch once the figure is there", async () => {
    const { display, messages } = recordingDisplay();
    display.show(plotValLossAndAcc(original)); // plotly.js already on the page
    const callback = display.liveCurves({ name: "original", every: 3 });
    for (let e = 1; e <= 4; e++) await callback(e - 1, partial(original.history, e));
    const live = messages.slice(1);
    expect(
      live
        .filter((m) => PLOTLY_MIME in m.content.data)
        .map((m) => /epoch (\d+) of/.exec(m.content.data["text/plain"] as string)?.[1]),
    ).toEqual(["3", "4"]);
    expect(
      live
        .filter((m) => !(PLOTLY_MIME in m.content.data))
        .map((m) =>
          /epoch (\d+)\/|(\d+) epochs in/
            .exec(m.content.data["text/plain"] as string)
            ?.slice(1)
            .join(""),
        ),
    ).toEqual(["3", "4"]);
  });

  it("says which epochs came from the run cache, and times only the epochs trained now", async () => {
    const { display, messages } = recordingDisplay();
    display.show(plotValLossAndAcc(original));
    const cached = display.liveCurves("original");
    for (let e = 1; e <= 4; e++) await cached(e - 1, partial(original.history, e), { replayed: true });
    const longer = display.liveCurves("original");
    for (let e = 1; e <= 4; e++) await longer(e - 1, partial(original.history, e), { replayed: e <= 2 });
    const closing = messages
      .filter((m) => !(PLOTLY_MIME in m.content.data))
      .map((m) => m.content.data["text/plain"] as string);
    expect(closing[3]).toMatch(/^original: 4 epochs from the run cache · final loss 0\.2500,/);
    expect(closing[7]).toMatch(
      /^original: 4 epochs \(1–2 from the run cache, 3–4 trained in \d+\.\d s\) · final loss 0\.2500,/,
    );
    expect(progressLine("original", original.history, { seconds: 1.5, replayed: 0 })).toMatch(
      /^original: 4 epochs in 1\.5 s · /,
    );
  });

  it("gives a regularized run's lowest plain cross-entropy beside its lowest val_loss (with the penalty), each at its epoch", () => {
    const history = {
      ...original.history,
      history: {
        ...original.history.history,
        val_loss: [0.62, 0.5, 0.52, 0.55],
        val_crossentropy: [0.6, 0.46, 0.45, 0.47],
      },
    };
    expect(progressLine("l2", history, { seconds: 1 })).toMatch(
      / · lowest val_loss 0\.5000 at epoch 2 \(with the penalty; the plain cross-entropy is lowest at epoch 3, 0\.4500\)$/,
    );
    // Without a penalty (val_crossentropy equal to val_loss, or absent) the line is as before.
    expect(progressLine("original", original.history, { seconds: 1 })).toMatch(
      / · lowest val_loss 0\.4000 at epoch 3$/,
    );
  });

  it("follows a seed group's mean history like a run's", async () => {
    const { display, messages } = recordingDisplay();
    const seeds = [original, { name: "original", history: makeHistory([0.5, 0.3, 0.2, 0.3]) }];
    const group = groupRuns("original", seeds, [1, 2]);
    const callback = display.liveCurves("original");
    for (let e = 1; e <= 4; e++) await callback(e - 1, partial(group.history, e));
    const last = messages[messages.length - 1].content.data["text/plain"] as string;
    expect(last).toMatch(/^original: 4 epochs in .* · final loss 0\.2750,/);
  });

  it("draws a seed group's band and labels its mean, the last figure of the run included", async () => {
    const { display, messages } = recordingDisplay();
    const seeds = [original, { name: "original", history: makeHistory([0.5, 0.3, 0.2, 0.3]) }];
    const group = groupRuns("original", seeds, [1, 2]);
    const callback = display.liveCurves("original");
    for (let e = 1; e <= 4; e++) {
      const bands = Object.fromEntries(
        Object.entries(group.bands).map(([k, b]) => [k, { low: b!.low.slice(0, e), high: b!.high.slice(0, e) }]),
      );
      await callback(e - 1, partial(group.history, e), { replayed: false, seeds: 2, bands });
    }
    const figures = messages.filter((m) => PLOTLY_MIME in m.content.data);
    const last = figures[figures.length - 1].content.data[PLOTLY_MIME] as Figure;
    expect(last.layout.title?.text).toBe("original (mean of 2 seeds) — epoch 4 of 4");
    const traces = last.data as { name: string; fill?: string; y: (number | null)[] }[];
    expect(traces.filter((t) => t.fill === "tonexty")).toHaveLength(4);
    expect(traces.find((t) => t.name === "original validation loss max")!.y).toEqual(group.bands.val_loss!.high);
    expect(traces.some((t) => t.name === "validation loss (mean of 2 seeds, band: min–max)")).toBe(true);
  });

  it("does nothing outside a kernel, and rejects bad options", async () => {
    const printed: string[] = [];
    const display = createNotebookDisplay({ writer: () => null, print: (t) => printed.push(t) });
    const callback = display.liveCurves("original");
    await callback(0, partial(original.history, 1));
    expect(printed).toEqual([]);
    // Nothing shows progress, so train must keep its own per-epoch lines.
    expect(callback.showsProgress).toBe(false);
    expect(() => display.liveCurves({ name: "x", every: 0 })).toThrow(/every must be an integer ≥ 1/);
  });
});
