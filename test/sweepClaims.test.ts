/**
 * The claims of the lesson's sweep cells (notebook 3's capacity curve, notebook 4's more data and
 * sliders), held to the numbers: the sweeps are trained as the notebooks train them (their parameters
 * cells' defaults, full data, no run cache), and each sentence is first found in the notebook's prose,
 * so prose and test cannot drift apart. About 150 core-seconds of training (the widths cost most).
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/system/backend";
import { loadData as loadImdb } from "../lib/data/imdb";
import { vectorizeSequences } from "../lib/data/vectorize";
import { measure, measureSeeds, seedStats } from "../lib/reading/measures";
import { seedList } from "../lib/runs/seeds";
import type { Sweep } from "../lib/lesson/sweeps";
import { trainSweep } from "../lib/runs/trainSweep";
import { closePool } from "../lib/training/pool";
import type { MultiHotMatrix } from "../lib/types";

jest.setTimeout(30 * 60 * 1000);

const NOTEBOOKS = path.join(__dirname, "..", "notebooks");

function readNotebook(file: string): { prose: string; params: Record<string, unknown> } {
  const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), "utf8")) as {
    cells: { cell_type: string; source: string[]; metadata?: { tags?: string[] } }[];
  };
  const prose = nb.cells
    .filter((c) => c.cell_type === "markdown")
    .map((c) => c.source.join(""))
    .join("\n")
    .replace(/\s+/g, " ");
  const cell = nb.cells.find((c) => c.metadata?.tags?.includes("parameters"))!;
  const source = cell.source.join("");
  const names = [...source.matchAll(/^\s*let\s+(\w+)/gm)].map((m) => m[1]);
  return { prose, params: new Function(`${source}\nreturn { ${names.join(", ")} };`)() as Record<string, unknown> };
}

const nb3 = readNotebook("03-imdb-capacity.ipynb");
const nb4 = readNotebook("04-fixing-overfitting.ipynb");

function says(nb: { prose: string }, sentence: string): void {
  const folded = sentence.replace(/\s+/g, " ");
  if (!nb.prose.includes(folded))
    throw new Error(`the notebook no longer says "${folded}": update this claim with the prose`);
}

const n = (nb: { params: Record<string, unknown> }, name: string) => nb.params[name] as number;
const list = (nb: { params: Record<string, unknown> }, name: string) => nb.params[name] as number[];

let x: MultiHotMatrix;
let y: ArrayLike<number>;
const sweeps: Partial<Record<"width" | "samples" | "l2" | "dropout", Sweep>> = {};

beforeAll(async () => {
  await initBackend({ report: false });
  const [[data, labels]] = await loadImdb({ numWords: n(nb4, "numWords") });
  x = vectorizeSequences(data.slice(0, n(nb4, "trainSamples")), n(nb4, "numWords"));
  y = labels.slice(0, n(nb4, "trainSamples"));
  const fit = {
    epochs: n(nb4, "epochs"),
    batchSize: n(nb4, "batchSize"),
    validationSplit: n(nb4, "validationSplit"),
    cache: false as const,
    verbose: 0 as const,
  };
  const seed = n(nb4, "seed");
  const slider = { ...fit, seeds: seedList(seed, n(nb4, "sliderSeeds")) };
  [sweeps.width, sweeps.samples, sweeps.l2, sweeps.dropout] = await Promise.all([
    trainSweep("width", list(nb3, "capacityWidths"), x, y, {
      ...fit,
      seeds: seedList(seed, n(nb3, "seeds")),
      seedsFor: (w) => seedList(seed, w >= 256 ? n(nb3, "wideSeeds") : n(nb3, "capacitySeeds")),
    }),
    trainSweep("samples", list(nb4, "moreDataSizes"), x, y, { ...fit, seeds: seedList(seed, n(nb4, "seeds")) }),
    trainSweep("l2", list(nb4, "l2Strengths"), x, y, slider),
    trainSweep("dropout", list(nb4, "dropoutRates"), x, y, slider),
  ]);
});

afterAll(() => closePool());

describe("notebook 3: the capacity curve", () => {
  it("the training cross-entropy at the end falls by orders of magnitude from the narrowest to the widest network", () => {
    says(nb3, "as the network widens, the training cross-entropy at the end falls by orders of magnitude");
    const ms = sweeps.width!.groups.map((g) => measure(g));
    expect(ms[0].finalTrainLoss).toBeGreaterThan(10 * ms[ms.length - 1].finalTrainLoss);
  });

  it("the best validation cross-entropy stays within a narrow band: within 15% of the lowest, a third of the spread of where the validation curves end", () => {
    says(nb3, "while the best validation cross-entropy stays within a narrow band");
    const ms = sweeps.width!.groups.map((g) => measure(g));
    const spread = (xs: number[]) => Math.max(...xs) / Math.min(...xs) - 1;
    // The minima as the figure draws them and the line gives them: each seed's lowest, averaged.
    const minima = spread(sweeps.width!.groups.map((g) => seedStats(g, (m) => m.minValLoss).mean));
    expect(minima).toBeLessThan(0.15);
    expect(minima).toBeLessThan(spread(ms.map((m) => m.lastValLoss)) / 3);
  });

  it("the validation cross-entropy at the end is far higher (1.5×) for the widest network than for the narrowest, in every seed they share", () => {
    says(nb3, "the validation cross-entropy at the end is far higher for the widest network than for the narrowest");
    const groups = sweeps.width!.groups;
    const [narrow, wide] = [measureSeeds(groups[0]), measureSeeds(groups[groups.length - 1])];
    wide.forEach((w, i) => expect(w.lastValLoss).toBeGreaterThan(1.5 * narrow[i].lastValLoss));
  });
});

describe("notebook 4: more data and the sliders", () => {
  it("with more reviews the minimum is lower, in every seed", () => {
    says(nb4, "With more reviews the minimum is lower, in every seed the line counts");
    const per = sweeps.samples!.groups.map((g) => measureSeeds(g).map((m) => m.minValLoss));
    for (let i = 1; i < per.length; i++) per[i].forEach((v, s) => expect(v).toBeLessThan(per[i - 1][s]));
  });

  it("the stronger the L2 penalty, the less the validation curve climbs after its minimum, and the closer the training curve stays to it", () => {
    says(
      nb4,
      "the stronger the penalty, the less the validation curve climbs after its minimum, and the closer the training curve stays to it",
    );
    const ms = sweeps.l2!.groups.map((g) => measure(g));
    for (let i = 1; i < ms.length; i++) {
      expect(ms[i].rise).toBeLessThan(ms[i - 1].rise);
      expect(ms[i].lastValLoss - ms[i].finalTrainLoss).toBeLessThan(ms[i - 1].lastValLoss - ms[i - 1].finalTrainLoss);
    }
  });

  it("too strong a penalty raises the minimum itself: the strongest has the highest minimum", () => {
    says(nb4, "Too strong, and the minimum itself goes up");
    const minima = sweeps.l2!.groups.map((g) => measure(g).minValLoss);
    expect(minima[minima.length - 1]).toBe(Math.max(...minima));
  });

  it("at the highest dropout rate the training curve ends well above (2×) the original's", () => {
    says(nb4, "at the highest rates the training curve ends well above the original's");
    const ms = sweeps.dropout!.groups.map((g) => measure(g));
    expect(sweeps.dropout!.values[0]).toBe(0);
    expect(ms[ms.length - 1].finalTrainLoss).toBeGreaterThan(2 * ms[0].finalTrainLoss);
  });
});
