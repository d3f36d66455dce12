/**
 * A small seeded pseudo-random generator for everything fitlab draws at random: dataset splits and
 * orders, initial weights, the per-epoch shuffle, dropout seeds. Drawn in JavaScript (not by a backend) so that the same seed
 * gives the same run on every backend and every machine.
 */

/** A seeded stream of numbers. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An unsigned 32-bit integer. */
  nextUint32(): number;
  /** Where the stream is: `rngFromState(rng.state())` goes on with the very numbers `rng` would draw next. */
  state(): number[];
}

/**
 * sfc32 ("small fast counter") seeded through splitmix32: fast, passes PractRand, and gives
 * well-spread streams even for neighbouring seeds 0, 1, 2, … (readers pick small seeds).
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}.`);
  let s = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const rng = sfc32([splitmix(), splitmix(), splitmix(), splitmix()]);
  // Warm up: the first outputs of a fresh state are correlated with the seed.
  for (let i = 0; i < 12; i++) rng.nextUint32();
  return rng;
}

/** Whether `state` is what an Rng's `state()` returns: four unsigned 32-bit integers. */
export function isRngState(state: unknown): state is number[] {
  return (
    Array.isArray(state) && state.length === 4 && state.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)
  );
}

/** The stream a `state()` was taken from, from that point on. */
export function rngFromState(state: readonly number[]): Rng {
  if (!isRngState(state)) {
    throw new Error(
      `rngFromState: expected four unsigned 32-bit integers (an Rng's state()), got ${JSON.stringify(state)}.`,
    );
  }
  return sfc32(state);
}

function sfc32(initial: readonly number[]): Rng {
  let [a, b, c, d] = initial;
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  return { nextUint32, next: () => nextUint32() / 4294967296, state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0] };
}

/** A seed for a run whose caller gave none, as Keras draws fresh weights on every unseeded run. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** Fisher–Yates shuffle of `items` in place, drawing from `rng`. Returns `items`. */
export function shuffleInPlace(items: Int32Array, rng: Rng): Int32Array {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** A uniformly random permutation of 0 … n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, rng);
}

/**
 * Keras's default kernel initializer, glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)).
 * Returns fanIn × fanOut values, row-major (the [inputDim, units] layout of a Dense kernel).
 */
export function glorotUniform(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < values.length; i++) values[i] = (rng.next() * 2 - 1) * limit;
  return values;
}
