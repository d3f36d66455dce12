/**
 * Several seeds of one configuration as one curve: the per-epoch mean, and the min–max band a figure
 * shades. Pure arithmetic on plain histories (no tensors, no I/O), so training (which runs the seeds)
 * and figures (which draw them) share one definition of "the mean of the seeds".
 */
import type { Band, History, Metric, RunLike, SeedGroup } from "../types";

/**
 * Groups runs of one configuration that differ only in their seed. The mean and the bands cover the
 * epochs every run has (a run stopped early shortens the group), NaN where any seed is not finite.
 * `seeds[i]` is the seed of `runs[i]`.
 */
export function groupRuns<R extends RunLike>(name: string, runs: R[], seeds: number[]): SeedGroup<R> {
  if (typeof name !== "string" || name === "")
    throw new Error(`groupRuns: name must be a non-empty string, got ${JSON.stringify(name)}.`);
  if (!Array.isArray(runs) || runs.length === 0)
    throw new Error(`groupRuns(${JSON.stringify(name)}): pass at least one run.`);
  if (!Array.isArray(seeds) || seeds.length !== runs.length) {
    throw new Error(
      `groupRuns(${JSON.stringify(name)}): ${runs.length} run(s) but ${Array.isArray(seeds) ? seeds.length : "no"} seed(s); give one seed per run.`,
    );
  }
  const epochs = Math.min(...runs.map((r) => r.history.epoch.length));
  const metrics = (Object.keys(runs[0].history.history) as Metric[]).filter((m) =>
    runs.every((r) => Array.isArray(r.history.history[m])),
  );
  const series: Partial<Record<Metric, number[]>> = {};
  const bands: Partial<Record<Metric, Band>> = {};
  for (const m of metrics) {
    const mean: number[] = [];
    const low: number[] = [];
    const high: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const values = runs.map((r) => r.history.history[m]![e]);
      const finite = values.every(Number.isFinite);
      mean.push(finite ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
      low.push(finite ? Math.min(...values) : NaN);
      high.push(finite ? Math.max(...values) : NaN);
    }
    series[m] = mean;
    bands[m] = { low, high };
  }
  const first = runs[0].history;
  const history: History = {
    history: series as History["history"],
    epoch: first.epoch.slice(0, epochs),
    params: { ...first.params },
  };
  return { name, history, seedRuns: runs, seeds: [...seeds], bands };
}

/** True for a group of seeds (what `groupRuns` returns), false for a single run. */
export function isSeedGroup(run: RunLike): run is SeedGroup {
  return Array.isArray(run.seedRuns) && run.seedRuns.length > 0 && "bands" in run;
}

/** The seeds a notebook's `seed` and `seeds` parameters mean: `seeds` consecutive seeds from `seed`. */
export function seedList(seed: number, seeds: number): number[] {
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`seedList: seed = ${String(seed)}; it must be an integer ≥ 0.`);
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 100)
    throw new Error(`seedList: seeds = ${String(seeds)}; it must be an integer in 1..100 (how many seeds to train).`);
  return Array.from({ length: seeds }, (_, i) => seed + i);
}
