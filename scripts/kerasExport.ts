/**
 * `node dist/scripts/kerasExport.js [--size small|full|both] [--out dir]`
 *
 * Writes exactly the arrays fitlab trains on, for the Keras reference (reference/keras/) to read, so
 * that any difference between the two comes from training, not from the data:
 *
 *   mnist-<size>: the training images as fitlab's DenseMatrix (float32 pixels / 255, [n, 784]) + labels
 *   imdb-<size>:  the training reviews as fitlab's MultiHotMatrix (each row's sorted word ids, 10,000
 *                 words) + 0/1 labels
 *
 * `full` is every training row (60,000 images, 25,000 reviews); `small` the first SMALL_ROWS rows of
 * each (what the step-for-step test trains on). Each array set is `<name>.json` (shape, files,
 * fingerprint) and raw little-endian files beside it. The fingerprint is the sha256 of the arrays'
 * bytes in a fixed order (fingerprintOf); fitlab prints it here and the Python side recomputes it
 * from the arrays Keras trains on (for IMDB, from the dense 0/1 matrix it builds) and refuses to
 * train when they differ. Default folder: data/keras/ (not committed; re-made in seconds).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { loadMnistFeatures } from "../lib/data/chapter5";
import { loadData as loadImdb } from "../lib/data/imdb";
import { vectorizeSequences } from "../lib/data/vectorize";
import { projectRoot } from "../lib/system/project";
import { lessonSettings } from "../lib/lesson/settings";
import type { Features } from "../lib/types";

export type ExportDataset = "mnist" | "imdb";
export type ExportSize = "small" | "full";

/** Rows of the small export: enough for several batches of 512 after IMDB's 40% validation split. */
export const SMALL_ROWS = 2048;

export interface Arrays {
  x: Features;
  y: Float32Array;
}

/** What `<name>.json` holds. */
export interface ExportManifest {
  name: string;
  kind: Features["kind"];
  rows: number;
  cols: number;
  /** dense: { x, y }; multihot: { offsets, ids, y } (file names beside the manifest). */
  files: Record<string, string>;
  /** sha256 (hex) of the arrays' bytes, as fingerprintOf computes it. */
  sha256: string;
}

/** The lesson's training rows (all, or the first `rows`), exactly as the notebooks train on them. */
export async function lessonArrays(dataset: ExportDataset, rows?: number): Promise<Arrays> {
  if (dataset === "mnist") {
    const { train } = loadMnistFeatures({ trainSamples: rows, testSamples: 1 });
    return { x: train.x, y: train.y };
  }
  const words = lessonSettings.imdbNumWords;
  const [[sequences, labels]] = await loadImdb({ numWords: words, log: () => undefined });
  const n = rows ?? sequences.length;
  return { x: vectorizeSequences(sequences.slice(0, n), words), y: Float32Array.from(labels.subarray(0, n)) };
}

/** A multi-hot matrix as CSR: row r's ids are ids[offsets[r] .. offsets[r + 1]). */
export function toCsr(x: Extract<Features, { kind: "multihot" }>): { offsets: Int32Array; ids: Int32Array } {
  const offsets = new Int32Array(x.rows + 1);
  for (let r = 0; r < x.rows; r++) offsets[r + 1] = offsets[r] + x.ids[r].length;
  const ids = new Int32Array(offsets[x.rows]);
  x.ids.forEach((row, r) => ids.set(row, offsets[r]));
  return { offsets, ids };
}

/** The byte blocks of an array set, in file order (little-endian, as every machine this runs on). */
function blocks(a: Arrays): Record<string, Uint8Array> {
  const bytes = (v: Float32Array | Int32Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (a.x.kind === "dense") return { x: bytes(a.x.data), y: bytes(a.y) };
  const { offsets, ids } = toCsr(a.x);
  return { offsets: bytes(offsets), ids: bytes(ids), y: bytes(a.y) };
}

/**
 * sha256 of `"<kind> <rows> <cols>\n"` followed by the blocks: dense float32 x then float32 y;
 * multi-hot int32 CSR offsets, int32 ids, then float32 y. reference/keras/fitlab_arrays.py computes
 * the same from its numpy arrays.
 */
export function fingerprintOf(a: Arrays): string {
  const hash = createHash("sha256").update(`${a.x.kind} ${a.x.rows} ${a.x.cols}\n`);
  for (const block of Object.values(blocks(a))) hash.update(block);
  return hash.digest("hex");
}

/** Writes `<dir>/<name>.json` and its array files; returns the manifest. */
export function writeArrays(dir: string, name: string, a: Arrays): ExportManifest {
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {};
  for (const [key, block] of Object.entries(blocks(a))) {
    files[key] = `${name}.${key}.${key === "y" || a.x.kind === "dense" ? "f32" : "i32"}`;
    fs.writeFileSync(path.join(dir, files[key]), block);
  }
  const manifest: ExportManifest = {
    name,
    kind: a.x.kind,
    rows: a.x.rows,
    cols: a.x.cols,
    files,
    sha256: fingerprintOf(a),
  };
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

/** Exports one dataset at one size as `<dataset>-<size>`. */
export async function exportLessonArrays(
  dir: string,
  dataset: ExportDataset,
  size: ExportSize,
): Promise<ExportManifest> {
  return writeArrays(dir, `${dataset}-${size}`, await lessonArrays(dataset, size === "small" ? SMALL_ROWS : undefined));
}

/** The default export folder, data/keras/ in the project. */
export function defaultExportDir(): string {
  return path.join(projectRoot("--out dir"), "data", "keras");
}

function parseArgs(argv: string[]): { sizes: ExportSize[]; out: string } {
  let sizes: ExportSize[] = ["small", "full"];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--size") {
      const v = argv[++i];
      if (v !== "small" && v !== "full" && v !== "both")
        throw new Error(`kerasExport: --size ${String(v)}; use small, full or both.`);
      sizes = v === "both" ? ["small", "full"] : [v];
    } else if (a === "--out") {
      out = argv[++i];
      if (!out) throw new Error("kerasExport: --out needs a folder.");
    } else throw new Error(`kerasExport: unknown argument ${a}. Use --size small|full|both and --out dir.`);
  }
  return { sizes, out: out ?? defaultExportDir() };
}

async function main(): Promise<void> {
  const { sizes, out } = parseArgs(process.argv.slice(2));
  for (const size of sizes) {
    for (const dataset of ["mnist", "imdb"] as const) {
      const m = await exportLessonArrays(out, dataset, size);
      console.log(
        `${m.name}: ${m.rows} × ${m.cols} (${m.kind}) sha256 ${m.sha256} → ${path.join(out, m.name + ".json")}`,
      );
    }
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
