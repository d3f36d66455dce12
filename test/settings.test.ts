import * as fs from "fs";
import * as path from "path";
import { getVariant, VARIANT_NAMES } from "../lib/lesson/models";
import { lessonSettings } from "../lib/lesson/settings";
import { hasTag, parseNotebook } from "../scripts/jupyter/notebook";

const NOTEBOOKS = path.join(__dirname, "..", "notebooks");

/** The numeric `let name = value;` declarations of a notebook's parameters cell. */
function parameters(file: string): Record<string, number> {
  const nb = parseNotebook(fs.readFileSync(file, "utf8"), file);
  const cell = nb.cells.find((c) => c.cell_type === "code" && hasTag(c, "parameters"));
  if (!cell) throw new Error(`${file} has no parameters cell`);
  const values: Record<string, number> = {};
  for (const m of cell.source.matchAll(/^\s*(?:let|const)\s+(\w+)\s*(?::\s*\w+\s*)?=\s*(-?[\d.]+(?:e-?\d+)?)\s*;/gm))
    values[m[1]] = Number(m[2]);
  return values;
}

/** The lesson notebooks and the dataset each trains on (01–02 MNIST, 03–04 IMDB). */
const lessonNotebooks = fs
  .readdirSync(NOTEBOOKS)
  .filter((name) => /^0[1-4]-.*\.ipynb$/.test(name))
  .sort()
  .map((name) => [name, name < "03" ? "mnist" : "imdb"] as const);

describe("the article's settings (lib/lesson/settings)", () => {
  it("are the article's: rmsprop, 20 epochs, batch 128 / 512, validation split 0.2 / 0.4, 10,000 words", () => {
    expect(lessonSettings).toEqual({
      mnist: { epochs: 20, batchSize: 128, validationSplit: 0.2 },
      imdb: { epochs: 20, batchSize: 512, validationSplit: 0.4 },
      imdbNumWords: 10000,
      optimizer: { name: "rmsprop" },
    });
    expect(Object.isFrozen(lessonSettings.imdb)).toBe(true);
  });

  it("find the four lesson notebooks", () => {
    expect(lessonNotebooks.map(([, dataset]) => dataset)).toEqual(["mnist", "mnist", "imdb", "imdb"]);
  });

  it.each(lessonNotebooks)("agree with the parameters cell of %s (%s)", (name, dataset) => {
    const declared = parameters(path.join(NOTEBOOKS, name));
    const expected: Record<string, number> = { ...lessonSettings[dataset] };
    if (dataset === "imdb") expected.numWords = lessonSettings.imdbNumWords;
    expect(Object.fromEntries(Object.keys(expected).map((key) => [key, declared[key]]))).toEqual(expected);
  });

  it.each(VARIANT_NAMES)("are the optimizer of variant %s", (name) => {
    expect(getVariant(name).optimizer).toEqual(lessonSettings.optimizer);
  });
});
