/**
 * The article's training settings, in one place: every run of the lesson trains with rmsprop for
 * 20 epochs, MNIST with batches of 128 and the last 20% of the training images held out for
 * validation, IMDB with batches of 512, the last 40% of the training reviews held out, and the
 * 10,000 most frequent words. The notebooks' parameters cells show the same values (a test checks
 * they agree), the bench trains with them.
 *
 *   const fit = { ...lessonSettings.imdb, seed: 42 };   // { epochs: 20, batchSize: 512, validationSplit: 0.4, seed: 42 }
 */
import type { OptimizerSpec } from "./models";

/** How a dataset's runs are fitted: the options of `train` that the article fixes. */
export interface FitSettings {
  epochs: number;
  batchSize: number;
  validationSplit: number;
}

export interface LessonSettings {
  /** `model.fit(x, y, epochs=20, batch_size=128, validation_split=0.2)` */
  mnist: Readonly<FitSettings>;
  /** `model.fit(x, y, epochs=20, batch_size=512, validation_split=0.4)` */
  imdb: Readonly<FitSettings>;
  /** `imdb.load_data(num_words=10000)`: the vocabulary, and the width of the multi-hot rows. */
  imdbNumWords: number;
  /** `compile(optimizer="rmsprop")` with Keras's defaults, as every variant's spec says. */
  optimizer: Readonly<OptimizerSpec>;
}

export const lessonSettings: Readonly<LessonSettings> = Object.freeze({
  mnist: Object.freeze({ epochs: 20, batchSize: 128, validationSplit: 0.2 }),
  imdb: Object.freeze({ epochs: 20, batchSize: 512, validationSplit: 0.4 }),
  imdbNumWords: 10000,
  optimizer: Object.freeze({ name: "rmsprop" as const }),
});
