/**
 * Notebooks 1–3's runs once more, for notebook 4's closing results table: each trained as its own
 * notebook trained it, so each comes from the run cache when that notebook ran with the same
 * settings (and trains otherwise). One call instead of a cell of five `trainSeeds`.
 */
import type * as tf from "@tensorflow/tfjs";
import { seedList } from "../runs/seeds";
import { trainSeeds, type SeedOptions } from "../runs/trainSeeds";
import type { Run } from "../runs/train";
import type { Features, SeedGroup } from "../types";
import { lessonSettings } from "./settings";
import { variants } from "./models";

/** Training rows and labels, as `trainSeeds` takes them. */
export interface Rows {
  x: Features | tf.Tensor;
  y: tf.Tensor | ArrayLike<number>;
}

export interface EarlierRunsOptions {
  /** How many seeds each run of notebooks 1–3 trains (from `seed` on): MNIST `Dense(10)`, MNIST `Dense(128)×2`, IMDB `Dense(512)×2`. */
  seeds: { small: number; large: number; larger: number };
}

/** The runs of notebooks 1–3 that the closing table shows. */
export interface EarlierRuns {
  small: SeedGroup<Run>;
  large: SeedGroup<Run>;
  tiny: SeedGroup<Run>;
  smaller: SeedGroup<Run>;
  larger: SeedGroup<Run>;
}

/**
 * `imdb`: notebook 3's reviews with notebook 4's settings (`fit`, the same as notebook 3's by
 * default: its seeds are the small IMDB models'); `mnist`: notebooks 1–2's images, trained with the
 * lesson's MNIST settings for `fit.epochs`. Quiet (verbose 0); all started together, the longest first.
 */
export async function earlierRuns(
  imdb: Rows,
  mnist: Rows,
  fit: SeedOptions,
  options: EarlierRunsOptions,
): Promise<EarlierRuns> {
  const seed = fit.seeds[0];
  const imdbFit = { ...fit, verbose: 0 };
  const mnistFit = { ...lessonSettings.mnist, epochs: fit.epochs, verbose: 0 };
  const [larger, large, small, tiny, smaller] = await Promise.all([
    trainSeeds(variants.imdb.larger, imdb.x, imdb.y, { ...imdbFit, seeds: seedList(seed, options.seeds.larger) }),
    trainSeeds(variants.mnist.large, mnist.x, mnist.y, { ...mnistFit, seeds: seedList(seed, options.seeds.large) }),
    trainSeeds(variants.mnist.small, mnist.x, mnist.y, { ...mnistFit, seeds: seedList(seed, options.seeds.small) }),
    trainSeeds(variants.imdb.tiny, imdb.x, imdb.y, imdbFit),
    trainSeeds(variants.imdb.smaller, imdb.x, imdb.y, imdbFit),
  ]);
  return { small, large, tiny, smaller, larger };
}
