/**
 * A disk cache of finished training runs, so re-running a notebook reuses every run whose inputs did
 * not change and retrains only what was edited.
 *
 * An entry is two files in the cache directory (default `<project root>/data/runs/`):
 *   `<key>.bin`  the weights, float32 little-endian, concatenated in manifest order;
 *   `<key>.json` the manifest: format version, key, name, history, meta, and each weight's name,
 *                shape and offset, plus the size and sha256 of `<key>.bin`, and `entrySha256`, a
 *                sha256 of the canonical JSON of everything else in the manifest: the history, the
 *                meta and (through the weights' sha256) the weights are all covered.
 * Both are written to temporary files and renamed into place, weights first, so a reader sees either
 * the old entry, the new one, or a manifest whose checksum does not match (treated as corrupt).
 * A bad entry of any kind (edited, truncated, half-written) is deleted with a warning on stderr and
 * reported as a miss (an entry of an older format version is replaced quietly), so the run is trained again: the cache never throws for, nor trusts, what it
 * finds on disk. A folder it cannot use (a file in its place, read-only, full) is said once
 * (warnCacheFault) and runs train without it.
 *
 * The checksums are plain sha256: they catch accidents (truncation, a torn write, a hand edit), not
 * an edit whose author recomputes them. The cache is a convenience, not a security boundary: whoever
 * can write its folder decides what a cached run says (the README says so too).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Features, History } from "../types";
import { isRecord, showValue } from "../check";
import { findProjectRoot } from "../system/project";
import { writeFileAtomicSync } from "../system/atomicWrite";

/** Bump when the on-disk layout changes: older entries then read as misses and are replaced. */
export const RUN_CACHE_FORMAT = 2;
const FORMAT_TAG = "fitlab-run";

/** One trained weight tensor as plain data; `values.length` equals the product of `shape`. */
export interface CachedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface CacheEntry {
  /** `runKey(...)` of everything that determined the run. */
  key: string;
  /** A short display name, e.g. "original". */
  name: string;
  history: History;
  /** The trained weights in `model.getWeights()` order. */
  weights: CachedWeight[];
  /** Anything else the trainer wants back (spec, options, timings); must be JSON data. */
  meta: Record<string, unknown>;
}

export interface RunCacheOptions {
  /** The cache directory. Default: `<project root>/data/runs` (or `$FITLAB_RUNS_DIR` when set). */
  dir?: string;
}

// ---------------------------------------------------------------------------------------------
// Keys

/**
 * A sha256 (64 hex digits) of a canonical JSON of `parts`: object keys sorted, so key order does
 * not matter; undefined object properties omitted (an unset option equals an absent one);
 * NaN/±Infinity/-0, undefined array items, bigints and typed arrays encoded as tagged values (typed
 * arrays by their type, length and a sha256 of their bytes), so distinct inputs never share a key.
 * Pass plain descriptions (spec, options, `fingerprint(data)`, seed, backend, version), not tensors
 * or models: class instances other than Date/Map/Set are rejected.
 */
export function runKey(parts: Record<string, unknown>): string {
  if (parts === null || typeof parts !== "object" || Array.isArray(parts)) {
    throw new Error(
      `runKey(parts): parts must be a plain object such as { spec, options, data, seed }, got ${showValue(parts)}.`,
    );
  }
  return createHash("sha256").update(canonicalJson(parts)).digest("hex");
}

/** The canonical JSON text `runKey` hashes (exported for debugging why two keys differ). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value, "parts", new Set()));
}

function canonicalize(value: unknown, where: string, seen: Set<object>): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isNaN(value)) return { $number: "NaN" };
      if (value === Infinity) return { $number: "Infinity" };
      if (value === -Infinity) return { $number: "-Infinity" };
      if (Object.is(value, -0)) return { $number: "-0" };
      return value;
    case "bigint":
      return { $bigint: value.toString() };
    case "undefined":
      return { $undefined: true };
    case "function":
    case "symbol":
      throw new Error(`runKey: ${where} is a ${typeof value}; only data can be part of a cache key.`);
  }
  if (value === null) return null;
  const obj = value as object;
  if (ArrayBuffer.isView(obj)) {
    const bytes = Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength);
    const length = "length" in obj ? (obj as unknown as { length: number }).length : obj.byteLength;
    return { $typed: obj.constructor.name, length, sha256: createHash("sha256").update(bytes).digest("hex") };
  }
  if (obj instanceof ArrayBuffer) {
    return {
      $typed: "ArrayBuffer",
      length: obj.byteLength,
      sha256: createHash("sha256").update(Buffer.from(obj)).digest("hex"),
    };
  }
  if (obj instanceof Date) return { $date: obj.toISOString() };
  if (seen.has(obj)) throw new Error(`runKey: ${where} refers back to itself; a cache key must be a tree of data.`);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((item, i) => canonicalize(item, `${where}[${i}]`, seen));
    if (obj instanceof Map) {
      const entries = [...obj.entries()].map(([k, v]) => [
        canonicalize(k, `${where} key`, seen),
        canonicalize(v, `${where}.get(${String(k)})`, seen),
      ]);
      entries.sort((a, b) => compareText(JSON.stringify(a[0]), JSON.stringify(b[0])));
      return { $map: entries };
    }
    if (obj instanceof Set) {
      const items = [...obj].map((v) => canonicalize(v, `${where} item`, seen));
      items.sort((a, b) => compareText(JSON.stringify(a), JSON.stringify(b)));
      return { $set: items };
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(
        `runKey: ${where} is a ${obj.constructor?.name ?? "class instance"}; pass plain data (e.g. the spec, not a model or tensor; fingerprint(x) for data).`,
      );
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(obj).sort(compareText)) {
      const v = (obj as Record<string, unknown>)[k];
      if (v === undefined) continue;
      // Keys starting with "$" would collide with our tags; escape them.
      out[k.startsWith("$") ? `$${k}` : k] = canonicalize(v, `${where}.${k}`, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** Code-unit order: locale-independent, so keys are the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Data fingerprints

type Fingerprintable = Features | Float32Array | Int32Array | Uint8Array | ArrayLike<number>;

/**
 * A fast content hash (sha1, 40 hex digits) of training data, for cache keys. Each argument is
 * hashed with its kind and dimensions:
 *   DenseMatrix [rows, cols]: rows, cols and the float32 bytes;
 *   MultiHotMatrix: rows, cols and, per row, its id count followed by its ids, so moving an id
 *     between rows (a different split) always changes the hash;
 *   typed arrays: their type, length and bytes; other number arrays: their values as float64.
 * Several arguments (features, labels, ...) are hashed in order.
 */
export function fingerprint(x: Fingerprintable, ...more: Fingerprintable[]): string {
  const hash = createHash("sha1");
  [x, ...more].forEach((item, i) => hashData(hash, item, i));
  return hash.digest("hex");
}

function hashData(hash: ReturnType<typeof createHash>, x: Fingerprintable, index: number): void {
  const header = (text: string): void => void hash.update(`\u0000${index}:${text}\u0000`);
  const bytes = (view: ArrayBufferView): void =>
    void hash.update(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
  if (x === null || typeof x !== "object") {
    throw new Error(
      `fingerprint: argument ${index + 1} is ${showValue(x)}; pass a DenseMatrix, MultiHotMatrix, typed array or number array.`,
    );
  }
  if (ArrayBuffer.isView(x)) {
    header(`${x.constructor.name}:${(x as ArrayLike<number>).length}`);
    bytes(x);
    return;
  }
  const kind = (x as { kind?: unknown }).kind;
  if (kind === "dense") {
    const m = x as Extract<Features, { kind: "dense" }>;
    if (!(m.data instanceof Float32Array) || m.data.length !== m.rows * m.cols) {
      throw new Error(
        `fingerprint: DenseMatrix argument ${index + 1} has data of length ${m.data?.length} but rows × cols = ${m.rows} × ${m.cols}; data must be a Float32Array of rows × cols values.`,
      );
    }
    header(`dense:${m.rows}x${m.cols}`);
    bytes(m.data);
    return;
  }
  if (kind === "multihot") {
    const m = x as Extract<Features, { kind: "multihot" }>;
    if (!Array.isArray(m.ids) || m.ids.length !== m.rows) {
      throw new Error(
        `fingerprint: MultiHotMatrix argument ${index + 1} has ${m.ids?.length} id rows but rows = ${m.rows}; ids must hold one Int32Array per row.`,
      );
    }
    header(`multihot:${m.rows}x${m.cols}`);
    // All row lengths first (one update), then the ids: together they fix every row's boundaries.
    const lengths = new Int32Array(m.rows);
    for (let r = 0; r < m.rows; r++) lengths[r] = m.ids[r].length;
    bytes(lengths);
    for (let r = 0; r < m.rows; r++) bytes(m.ids[r]);
    return;
  }
  if (typeof (x as ArrayLike<number>).length === "number") {
    const values = Float64Array.from(x as ArrayLike<number>);
    header(`array:${values.length}`);
    bytes(values);
    return;
  }
  throw new Error(
    `fingerprint: argument ${index + 1} is ${showValue(x)}; pass a DenseMatrix, MultiHotMatrix, typed array or number array.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Reading and writing

/** `<project root>/data/runs`: the project root is the nearest folder above this file with fitlab's package.json. */
export function defaultRunsDir(): string {
  if (process.env.FITLAB_RUNS_DIR) return path.resolve(process.env.FITLAB_RUNS_DIR);
  return path.join(findProjectRoot() ?? process.cwd(), "data", "runs");
}

/** What the run cache found on disk where it expected a folder or a file, in words, with what to do. */
function describeCacheFault(target: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOTDIR":
    case "EEXIST":
      return `${target} is (or lies under) a file, not a folder: point FITLAB_RUNS_DIR at a folder, or unset it`;
    case "EISDIR": {
      // A rename names the folder it met as `dest`, an open as `path`; Node's message names neither.
      const { dest, path: at } = error as { dest?: string; path?: string };
      return `${dest ?? at ?? target} is a folder where the run cache keeps a file: remove it`;
    }
    case "EACCES":
    case "EPERM":
      return `no permission to write in ${target}`;
    case "EROFS":
      return `${target} is on a read-only file system`;
    case "ENOSPC":
      return `the disk holding ${target} is full`;
    default:
      return `${target} cannot be used (${code ?? (error as Error | undefined)?.message ?? String(error)})`;
  }
}

const warnedFaults = new Set<string>();

/**
 * Says once per place and cause (not once per run) that the run cache cannot use `target` and that
 * runs train without it. The cache never throws for what it finds on disk; this is how it tells.
 */
export function warnCacheFault(target: string, error: unknown, consequence = "training without the run cache"): void {
  const key = `${target}\0${(error as NodeJS.ErrnoException | undefined)?.code ?? ""}`;
  if (warnedFaults.has(key)) return;
  warnedFaults.add(key);
  console.warn(`fitlab run cache: ${describeCacheFault(target, error)}; ${consequence}.`);
}

function cacheDir(options: RunCacheOptions | undefined): string {
  const dir = options?.dir;
  if (dir !== undefined && (typeof dir !== "string" || dir === "")) {
    throw new Error(
      `run cache: options.dir must be a non-empty path, got ${showValue(dir)}; omit it to use ${defaultRunsDir()}.`,
    );
  }
  return dir === undefined ? defaultRunsDir() : path.resolve(dir);
}

const KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

function checkKey(key: unknown, where: string): asserts key is string {
  if (typeof key !== "string" || !KEY_PATTERN.test(key)) {
    throw new Error(
      `${where}: key must be 1–128 letters, digits, "-" or "_" (as runKey() returns), got ${showValue(key)}.`,
    );
  }
}

function entryPaths(dir: string, key: string): { manifest: string; weights: string } {
  return { manifest: path.join(dir, `${key}.json`), weights: path.join(dir, `${key}.bin`) };
}

interface ManifestWeight {
  name: string;
  shape: number[];
  /** Offset and length in float32 elements within the weights file. */
  offset: number;
  length: number;
}

interface Manifest {
  format: typeof FORMAT_TAG;
  version: number;
  key: string;
  name: string;
  history: unknown;
  meta: unknown;
  weights: ManifestWeight[];
  weightsBytes: number;
  weightsSha256: string;
  savedAt: string;
  /** sha256 of canonicalJson(the manifest without this field). */
  entrySha256: string;
}

/** The checksum of a manifest: every field but `entrySha256`, as canonical JSON (key order and number formatting do not matter). */
function entryChecksum(manifest: Record<string, unknown>): string {
  const { entrySha256: _, ...rest } = manifest;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

/** Why an entry was refused, for the warning. */
class BadEntry extends Error {}
/** An entry of another format version: replaced without a warning (an upgrade, not damage). */
class StaleEntry extends Error {}

/**
 * The cached run for `key`, or undefined when there is none. An entry that is unreadable,
 * truncated, fails its checksum, belongs to another key or another format version is deleted and
 * reported as undefined, so the caller retrains and rewrites it.
 */
export function readRun(key: string, options?: RunCacheOptions): CacheEntry | undefined {
  checkKey(key, "readRun");
  const dir = cacheDir(options);
  const files = entryPaths(dir, key);
  let text: string;
  try {
    text = fs.readFileSync(files.manifest, "utf8");
  } catch {
    // No manifest: a miss. A lone .bin may belong to a writer between its two renames; leave it.
    return undefined;
  }
  try {
    return parseEntry(key, text, files.weights);
  } catch (error) {
    const reason = error instanceof BadEntry ? error.message : `unreadable: ${(error as Error).message}`;
    if (!(error instanceof StaleEntry))
      console.warn(`fitlab run cache: dropped ${files.manifest} (${reason}); the run will be trained again.`);
    removeEntry(dir, key);
    return undefined;
  }
}

function parseEntry(key: string, text: string, weightsPath: string): CacheEntry {
  const m = JSON.parse(text, reviveNumbers) as Manifest;
  if (!isRecord(m) || m.format !== FORMAT_TAG) throw new BadEntry("not a fitlab run manifest");
  if (m.version !== RUN_CACHE_FORMAT)
    throw new StaleEntry(`written in format ${showValue(m.version)}, this fitlab reads format ${RUN_CACHE_FORMAT}`);
  if (typeof m.entrySha256 !== "string" || entryChecksum(m as unknown as Record<string, unknown>) !== m.entrySha256) {
    throw new BadEntry("its checksum does not match: the manifest was edited or corrupted");
  }
  if (m.key !== key || typeof m.name !== "string")
    throw new BadEntry(`it belongs to another key (${showValue(m.key)})`);
  if (!isRecord(m.meta) || !isHistory(m.history) || !Array.isArray(m.weights))
    throw new BadEntry("its history, meta or weights are malformed");
  let bin: Buffer;
  try {
    bin = fs.readFileSync(weightsPath);
  } catch (error) {
    throw new BadEntry(
      `its weights file ${weightsPath} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (bin.length !== m.weightsBytes || bin.length % 4 !== 0)
    throw new BadEntry(`its weights file holds ${bin.length} bytes, the manifest says ${showValue(m.weightsBytes)}`);
  if (createHash("sha256").update(bin).digest("hex") !== m.weightsSha256)
    throw new BadEntry("the weights' checksum does not match: the weights file was edited or corrupted");
  // Copy into an aligned buffer: a Float32Array view needs a 4-byte-aligned offset.
  const all = new Float32Array(bin.length / 4);
  new Uint8Array(all.buffer).set(bin);
  if (!isLittleEndian()) byteSwap32(all);
  let expectedOffset = 0;
  const weights = m.weights.map((w): CachedWeight => {
    if (
      !isRecord(w) ||
      typeof w.name !== "string" ||
      !Array.isArray(w.shape) ||
      !w.shape.every((d) => Number.isInteger(d) && d >= 0)
    ) {
      throw new BadEntry("a weight's name or shape is malformed");
    }
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.offset !== expectedOffset || w.length !== size || w.offset + w.length > all.length)
      throw new BadEntry("the weights' layout does not match their shapes");
    expectedOffset += size;
    return { name: w.name, shape: [...w.shape], values: all.slice(w.offset, w.offset + w.length) };
  });
  if (expectedOffset !== all.length) throw new BadEntry("the weights' layout does not match their shapes");
  return { key, name: m.name, history: m.history as History, weights, meta: m.meta as Record<string, unknown> };
}

/**
 * Stores `run` under `run.key`, replacing any entry for that key. Atomic per file (temporary file,
 * then rename); creates the directory. Throws for a run that cannot be stored faithfully (bad key,
 * weight values not matching their shape, meta that is not JSON data).
 */
export function writeRun(run: CacheEntry, options?: RunCacheOptions): void {
  if (!isRecord(run))
    throw new Error(`writeRun(run): run must be { key, name, history, weights, meta }, got ${showValue(run)}.`);
  checkKey(run.key, "writeRun");
  if (typeof run.name !== "string") throw new Error(`writeRun: run.name must be a string, got ${showValue(run.name)}.`);
  if (!isHistory(run.history)) {
    throw new Error(
      "writeRun: run.history must be a Keras-shaped History ({ history: { loss: number[], ... }, epoch: number[], params }).",
    );
  }
  if (!Array.isArray(run.weights))
    throw new Error(
      `writeRun: run.weights must be an array of { name, shape, values }, got ${showValue(run.weights)}.`,
    );
  if (!isRecord(run.meta))
    throw new Error(`writeRun: run.meta must be a plain object (use {} for none), got ${showValue(run.meta)}.`);
  checkJsonData(run.meta, "run.meta");

  let total = 0;
  const layout: ManifestWeight[] = run.weights.map((w, i) => {
    const where = `run.weights[${i}]`;
    if (!isRecord(w) || typeof w.name !== "string")
      throw new Error(`writeRun: ${where} must be { name: string, shape: number[], values: Float32Array }.`);
    if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(
        `writeRun: ${where}.shape must be non-negative integers, got ${Array.isArray(w.shape) ? `[${w.shape.map(showValue).join(", ")}]` : showValue(w.shape)}.`,
      );
    }
    if (!(w.values instanceof Float32Array))
      throw new Error(
        `writeRun: ${where}.values must be a Float32Array (e.g. await tensor.data()), got ${showValue(w.values)}.`,
      );
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.values.length !== size) {
      throw new Error(
        `writeRun: ${where} ("${w.name}") has ${w.values.length} values but shape [${w.shape.join(", ")}] needs ${size}.`,
      );
    }
    const entry = { name: w.name, shape: [...w.shape], offset: total, length: size };
    total += size;
    return entry;
  });

  const all = new Float32Array(total);
  run.weights.forEach((w, i) => all.set(w.values, layout[i].offset));
  if (!isLittleEndian()) byteSwap32(all);
  const bin = Buffer.from(all.buffer, all.byteOffset, all.byteLength);

  const fields: Omit<Manifest, "entrySha256"> = {
    format: FORMAT_TAG,
    version: RUN_CACHE_FORMAT,
    key: run.key,
    name: run.name,
    history: run.history,
    meta: run.meta,
    weights: layout,
    weightsBytes: bin.length,
    weightsSha256: createHash("sha256").update(bin).digest("hex"),
    savedAt: new Date().toISOString(),
  };
  const manifest: Manifest = { ...fields, entrySha256: entryChecksum(fields) };
  const text = JSON.stringify(manifest, replaceNumbers);

  const dir = cacheDir(options);
  fs.mkdirSync(dir, { recursive: true });
  const files = entryPaths(dir, run.key);
  // Weights first: until the new manifest lands, readers see the old manifest, whose checksum no
  // longer matches, or no manifest at all; both read as a miss, never as a wrong run.
  // No fsync: a file torn by a power loss fails its checksum and reads as a miss, as above.
  writeFileAtomicSync(files.weights, bin, { fsync: false });
  writeFileAtomicSync(files.manifest, text, { fsync: false });
}

/** Deletes every cache entry (and stray temporary files) in the cache directory; returns how many entries. */
export function clearRuns(options?: RunCacheOptions): number {
  const dir = cacheDir(options);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let entries = 0;
  for (const name of names) {
    // Only our own files: never wipe a directory a user pointed us at.
    const ours = /^[A-Za-z0-9_-]{1,128}\.(json|bin)$/.test(name) || /\.tmp-[0-9a-f]+$/.test(name);
    if (!ours) continue;
    if (name.endsWith(".json")) entries++;
    fs.rmSync(path.join(dir, name), { force: true });
  }
  return entries;
}

function removeEntry(dir: string, key: string): void {
  const files = entryPaths(dir, key);
  // Manifest first, so a half-removed entry is a plain miss.
  for (const file of [files.manifest, files.weights]) {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // Read-only cache dir: the entry stays ignored (it fails validation on every read).
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON with non-finite numbers: histories may hold NaN (a diverged run), which JSON cannot.

const NUMBER_TAG = "$fitlab.number";

function replaceNumbers(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === "number" && (!Number.isFinite(value) || Object.is(value, -0))) {
    return { [NUMBER_TAG]: Object.is(value, -0) ? "-0" : String(value) };
  }
  return value;
}

function reviveNumbers(_key: string, value: unknown): unknown {
  if (isRecord(value) && typeof value[NUMBER_TAG] === "string" && Object.keys(value).length === 1) {
    const tag = value[NUMBER_TAG];
    if (tag === "-0") return -0;
    if (tag === "NaN" || tag === "Infinity" || tag === "-Infinity") return Number(tag);
  }
  return value;
}

function checkJsonData(value: unknown, where: string, seen: Set<object> = new Set()): void {
  const t = typeof value;
  if (value === null || t === "string" || t === "number" || t === "boolean") return;
  if (t !== "object")
    throw new Error(
      `writeRun: ${where} is a ${t}; meta must be JSON data (strings, numbers, booleans, null, arrays, plain objects).`,
    );
  const obj = value as object;
  if (seen.has(obj)) throw new Error(`writeRun: ${where} refers back to itself; meta must be a tree of JSON data.`);
  const proto = Object.getPrototypeOf(obj);
  if (!Array.isArray(obj) && proto !== Object.prototype && proto !== null) {
    throw new Error(
      `writeRun: ${where} is a ${obj.constructor?.name}; meta must be JSON data (convert typed arrays with Array.from).`,
    );
  }
  seen.add(obj);
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined && !Array.isArray(obj)) continue;
    checkJsonData(v, Array.isArray(obj) ? `${where}[${k}]` : `${where}.${k}`, seen);
  }
  seen.delete(obj);
}

function isHistory(h: unknown): h is History {
  if (!isRecord(h) || !isRecord(h.history) || !Array.isArray(h.epoch) || !isRecord(h.params)) return false;
  return Object.values(h.history).every(
    (series) => Array.isArray(series) && series.every((v) => typeof v === "number"),
  );
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

function byteSwap32(a: Float32Array): void {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i < b.length; i += 4) {
    [b[i], b[i + 1], b[i + 2], b[i + 3]] = [b[i + 3], b[i + 2], b[i + 1], b[i]];
  }
}
