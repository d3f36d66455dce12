/**
 * Lines about the data itself, printed under the cells that prepare it (notebook 3's multi-hot
 * matrix), so the notebook computes no statistics of its own. Pure functions of plain matrices.
 */
import type { MultiHotMatrix } from "../types";

/**
 * The size of a multi-hot matrix and how sparse it is: "25000 × 10000 multi-hot matrix: 234 distinct
 * words per review on average, 2.34% of the columns".
 */
export function multiHotLine(x: MultiHotMatrix): string {
  const wordsPerReview = x.ids.reduce((s, r) => s + r.length, 0) / x.rows;
  return `${x.rows} × ${x.cols} multi-hot matrix: ${wordsPerReview.toFixed(0)} distinct words per review on average, ${((100 * wordsPerReview) / x.cols).toFixed(2)}% of the columns`;
}
