/**
 * How fitlab prints numbers and counts in its sentences and logs: each format named once, here, and
 * imported wherever a number is printed, so two lines that print the same kind of number print it
 * the same way. Pure functions of numbers.
 *
 * Losses have three formats, kept apart because the lines that use them were measured and quoted
 * with them (a different switch point would change printed numbers): all print three decimals and
 * switch to two significant digits where three decimals would hide a small value.
 */

/** Keras's log format: four decimals (0.2310); NaN and ±Infinity as written. */
export function fixed4(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

/**
 * A loss in a computed line: three decimals (0.291); under 0.001 two significant digits (0.00042), so
 * a tiny loss never reads 0.000; from 10,000 on as a power of ten (1.9e+4).
 */
export function loss(x: number): string {
  if (Math.abs(x) >= 1e4) return x.toExponential(1);
  return Math.abs(x) < 0.001 && x !== 0 ? x.toPrecision(2) : x.toFixed(3);
}

/**
 * A loss in a diagnosis's reason: three decimals, and two significant digits only where three
 * decimals would read 0.000 (under 0.0005: a memorized training loss).
 */
export function reasonLoss(x: number): string {
  return Math.abs(x) < 0.0005 && x !== 0 ? x.toPrecision(2) : x.toFixed(3);
}

/** A loss that may be exploding, in a diagnosis's reason: three decimals, from 10,000 on as a power of ten (1.95e+4). */
export function explodingLoss(x: number): string {
  return Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toFixed(3);
}

/**
 * A loss of the exercises, sweeps and closing table, where training losses near zero are compared:
 * three decimals from 0.01 on, two significant digits below (0.0041); NaN and ±Infinity as written.
 */
export function smallLoss(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(3) : x.toPrecision(2);
}

/** Three significant digits: an exploded loss reads 1.95e+4, a sane one 2.05. */
export function significant3(x: number): string {
  return x.toPrecision(3);
}

/** A fraction as a percentage with one decimal: 0.975 → "97.5%" (accuracies). */
export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** A fraction as a percentage with two decimals: 0.9288 → "92.88%" (accuracies a tenth of a point apart). */
export function percent2(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** A fraction as a whole percentage: 1.034 → "103%". */
export function wholePercent(x: number): string {
  return `${Math.round(100 * x)}%`;
}

/**
 * A fraction as a whole percentage, with one decimal below 1% so a small one is not "0%": 0.104 → "10%",
 * 0.004 → "0.4%". Whole ones rounded as wholePercent rounds them (Math.round), so one rise reads the same in both.
 */
export function roughPercent(x: number): string {
  const p = 100 * x;
  return `${Math.abs(p) < 1 && p !== 0 ? p.toFixed(1) : Math.round(p)}%`;
}

/** A signed change as a percentage with one decimal: "+2.4%", "−0.3%". */
export function signedPercent(x: number): string {
  return `${x >= 0 ? "+" : "−"}${(Math.abs(x) * 100).toFixed(1)}%`;
}

/** A ratio: "4×" from 3 on, "1.5×" below. */
export function times(f: number): string {
  return f >= 3 ? `${Math.round(f)}×` : `${f.toFixed(1)}×`;
}

/** "all 3" when every one of n counts, else "2 of 3". */
export function countText(k: number, n: number): string {
  return k === n ? `all ${n}` : `${k} of ${n}`;
}

/** "1 epoch", "3 epochs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** One decimal: 2.9 (a ratio, a factor). */
export function fixed1(x: number): string {
  return x.toFixed(1);
}
