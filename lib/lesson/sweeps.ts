/**
 * The lesson's sweeps as vocabulary: one setting of the original IMDB model varied over a list of
 * values (the width of its two hidden layers, its L2 strength, its dropout rate, or how many training
 * reviews it sees), what each value is called and which spec it is. Training a sweep is
 * runs/trainSweep.ts's job; this module trains nothing, so lines and figures can read it.
 */
import { variant, variants, type ModelSpec } from "./models";
import type { Run } from "../runs/train";
import type { SeedGroup } from "../types";

export type SweepKind = "width" | "l2" | "dropout" | "samples";

/** A sweep: `groups[i]` is the original model at `values[i]` (values ascending). */
export interface Sweep {
  kind: SweepKind;
  values: number[];
  groups: SeedGroup<Run>[];
}

/** What each kind varies, for legends, axes and lines: "64 units", "L2 0.001", "dropout 0.3", "5,000 reviews". */
export function sweepLabel(kind: SweepKind, value: number): string {
  switch (kind) {
    case "width":
      return `${value} units`;
    case "l2":
      return `L2 ${value}`;
    case "dropout":
      return `dropout ${value}`;
    case "samples":
      return `${value.toLocaleString("en-US")} reviews`;
  }
}

/** The spec of the original model at `value`: the catalogue's own spec where the lesson has one (so its runs come from the cache). */
export function sweepSpec(kind: SweepKind, value: number): ModelSpec {
  switch (kind) {
    case "width":
      if (value === 4) return variants.imdb.smaller;
      if (value === 16) return variants.imdb.original;
      if (value === 512) return variants.imdb.larger;
      return variant("imdb.original", { units: value });
    case "l2":
      return value === 0 ? variants.imdb.original : variant("imdb.l2", { l2: value });
    case "dropout":
      return value === 0 ? variants.imdb.original : variant("imdb.dropout", { dropout: value });
    case "samples":
      return variants.imdb.original;
  }
}

/**
 * The article's own value of what a sweep varies, read from the catalogue: the original's width (16),
 * L2(0.002), Dropout(0.5); undefined for training rows (the article uses them all).
 */
export function lessonValue(kind: SweepKind): number | undefined {
  switch (kind) {
    case "width":
      return variants.imdb.original.hidden[0].units;
    case "l2":
      return variants.imdb.l2.hidden[0].l2;
    case "dropout":
      return variants.imdb.dropout.hidden[0].dropout;
    case "samples":
      return undefined;
  }
}
