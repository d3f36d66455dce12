import { createRng } from "../../lib/system/random";
import type { MultiHotMatrix } from "../../lib/types";

/** Random multi-hot rows and labels that depend on a few columns (learnable, like IMDB's words). */
export function randomMultiHot(
  rows: number,
  cols: number,
  seed: number,
  labelNoise = 0,
): { x: MultiHotMatrix; y: Float32Array } {
  const rng = createRng(seed);
  const ids: Int32Array[] = [];
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const set = new Set<number>();
    const n = 3 + Math.floor(rng.next() * cols * 0.2);
    for (let k = 0; k < n; k++) set.add(Math.floor(rng.next() * cols));
    const row = Int32Array.from([...set].sort((a, b) => a - b));
    ids.push(row);
    let score = 0;
    row.forEach((c) => (score += c % 7 < 3 ? 1 : -1));
    y[r] = (score > 0 ? 1 : 0) ^ (rng.next() < labelNoise ? 1 : 0);
  }
  return { x: { kind: "multihot", rows, cols, ids }, y };
}
