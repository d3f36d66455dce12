/**
 * `trainSeeds(spec, x, y, { ...options, seeds })`: one configuration trained once per seed, returned as
 * a `SeedGroup` (mean curve, min–max bands, the runs inside) that figures, `diagnose`, summaries and
 * the run cache accept. Each seed's run is an ordinary `train` run, cached on its own; the seeds
 * train in parallel on the training pool (one worker per core), with the same numbers as one after
 * another.
 */
import type * as tf from "@tensorflow/tfjs";
import { fail } from "../check";
import { fixed4 } from "../format";
import type { ModelSpec } from "../lesson/models";
import { groupRuns } from "./seeds";
import { CACHE_HINT, train, type Run, type TrainOptions } from "./train";
import { TrainingInterrupted, interruptedMessage } from "../training/interrupt";
import { callbacksOf, logLevel } from "../training/options";
import type { Band, EpochCallback, EpochInfo, Features, History, Metric, SeedGroup } from "../types";

export interface SeedOptions extends Omit<TrainOptions, "seed"> {
  /** The seeds, one run each, e.g. `seedList(42, 3)` → [42, 43, 44]. */
  seeds: number[];
}

/**
 * Trains `spec` once per seed, all seeds at once on the training pool; the group is named
 * `options.name ?? spec.name`.
 *
 * `onEpochEnd` callbacks receive the group's progress: `(epoch, history)` where `history` is the
 * per-epoch MEAN over the seeds (as `groupRuns` computes it) over the epochs every seed has
 * finished, called once for each epoch as that count grows (so a live figure advances at the pace
 * of the slowest seed; a seed stopped early ends the group's epochs there). Cached seeds replay at
 * once. Log: one line per group epoch with the mean values (off when a callback shows its own
 * progress, see TrainOptions.verbose); each seed's own notes (early stopping, an exploding loss)
 * are prefixed with its seed; `verbose: 1` also prints every seed's per-epoch lines, prefixed.
 */
export async function trainSeeds(
  spec: ModelSpec,
  x: Features | tf.Tensor,
  y: tf.Tensor | ArrayLike<number>,
  options: SeedOptions,
): Promise<SeedGroup<Run>> {
  const { seeds, onEpochEnd, ...rest } = options ?? ({} as SeedOptions);
  if (!Array.isArray(seeds) || seeds.length === 0)
    fail("trainSeeds", "seeds", seeds, "it must be a non-empty array of seeds, e.g. seedList(42, 3)");
  if (new Set(seeds).size !== seeds.length) fail("trainSeeds", "seeds", seeds, "each seed must appear once");
  const callbacks = callbacksOf({ onEpochEnd });
  const level = logLevel(options, callbacks);
  const log = rest.log ?? ((line: string) => console.log(line));
  const name = rest.name ?? spec.name ?? "model";
  const notes = cacheNotes(seeds, (line) => log(line, "cache"));
  const progress = groupProgress(name, seeds, callbacks, (line) => level.epochLines && log(line, "epoch"), notes.flush);
  // Each seed's own per-epoch lines only on an explicit verbose: 1; its notes keep the group's setting.
  const seedCallback = (i: number): EpochCallback =>
    Object.assign((_e: number, h: History, info?: EpochInfo) => progress.update(i, h, info?.replayed === true), {
      showsProgress: true,
    });
  const settled = await Promise.allSettled(
    seeds.map((seed, i) =>
      train(spec, x, y, {
        ...rest,
        verbose: options.verbose,
        name,
        seed,
        log: (line, kind) => (kind === "cache" ? notes.add(seed, line) : log(`[seed ${seed}] ${line}`, kind)),
        onEpochEnd: seedCallback(i),
      }),
    ),
  );
  notes.flush();
  const runs = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    runs.forEach((r) => r.model.dispose()); // the group is lost: free the seeds that finished
    throw interruptedGroup(name, settled, runs) ?? failed.reason;
  }
  return groupRuns(name, runs, seeds);
}

/**
 * The group's own message when the stop button stopped its seeds (every failure an interrupt): which
 * seeds had finished and are stored, where each stopped one was. Undefined for any other failure.
 */
function interruptedGroup(
  name: string,
  settled: PromiseSettledResult<Run>[],
  finished: Run[],
): TrainingInterrupted | undefined {
  const reasons = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  if (!reasons.every((r) => r instanceof TrainingInterrupted && r.stopped.length === 1 && r.context)) return undefined;
  const interrupts = reasons as TrainingInterrupted[];
  const stopped = interrupts.map((r) => r.stopped[0]).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  const context = interrupts[0].context!;
  const done = finished.map((r) => ({
    seed: r.options.seed,
    epochs: r.history.epoch.length,
    cached: r.fromCache || context.cache,
  }));
  return new TrainingInterrupted(interruptedMessage(name, stopped, done, context), stopped, context);
}

/**
 * Follows the seeds' histories as they arrive and calls the group's callbacks with the mean history
 * each time the number of epochs every seed has finished grows. Calls are chained, so callbacks run
 * one at a time, in epoch order; `update` returns that chain so a seed waits for a slow figure.
 */
function groupProgress(
  name: string,
  seeds: number[],
  callbacks: EpochCallback[],
  line: (text: string) => void,
  beforeFirst: () => void,
) {
  const latest: (History | undefined)[] = seeds.map(() => undefined);
  // How many of each seed's first epochs were replayed from the run cache (replays come first).
  const replayedEpochs = seeds.map(() => 0);
  let reported = 0;
  let chain = Promise.resolve();
  return {
    update(i: number, history: History, replayed: boolean): Promise<void> {
      latest[i] = history;
      if (replayed) replayedEpochs[i] = history.epoch.length;
      if (latest.some((h) => h === undefined)) return chain;
      const done = Math.min(...latest.map((h) => h!.epoch.length));
      const runs = latest.map((h) => ({ name, history: h! }));
      if (reported === 0 && done > 0) beforeFirst();
      for (; reported < done; reported++) {
        const epoch = reported;
        const grouped = groupRuns(name, runs, seeds);
        const mean = grouped.history;
        const upTo = {
          ...mean,
          history: Object.fromEntries(
            Object.entries(mean.history).map(([k, v]) => [k, (v as number[]).slice(0, epoch + 1)]),
          ) as History["history"],
          epoch: mean.epoch.slice(0, epoch + 1),
        };
        const bands = Object.fromEntries(
          Object.entries(grouped.bands).map(([k, b]) => [
            k,
            { low: b!.low.slice(0, epoch + 1), high: b!.high.slice(0, epoch + 1) },
          ]),
        ) as Partial<Record<Metric, Band>>;
        // Stored epochs are replayed to the callbacks (a live figure draws them) but not logged again:
        // the note on where they came from stands for them, as a cached run prints no epochs.
        const replayed = epoch < Math.min(...replayedEpochs);
        chain = chain.then(async () => {
          if (!replayed) line(meanLine(upTo, epoch, seeds.length));
          for (const cb of callbacks) await cb(epoch, upTo, { replayed, seeds: seeds.length, bands });
        });
      }
      return chain;
    },
  };
}

/**
 * The seeds' notes on where their epochs came from ("loaded from the run cache", "epochs 1–20 are
 * the stored 20-epoch run's"), said once for the seeds they are the same for: "[seeds 42, 43, 44]
 * small: loaded from the run cache (…)" instead of three lines. Each seed says its note before its
 * first epoch, so they are all in when the group reports its first epoch (or ends): `flush` then.
 */
function cacheNotes(seeds: number[], say: (line: string) => void) {
  const bySeed = new Map<number, string>();
  let flushed = false;
  return {
    add(seed: number, line: string): void {
      if (flushed) say(`[seed ${seed}] ${line}`);
      else bySeed.set(seed, line);
    },
    flush(): void {
      if (flushed) return;
      flushed = true;
      // The retrain hint comes with the first cached seed only (train says it once per process): group
      // the notes without it, and give it to the group's first line.
      const plain = (s: number): string => bySeed.get(s)!.replace(CACHE_HINT, "");
      let hint = seeds.some((s) => bySeed.get(s)?.includes(CACHE_HINT));
      const texts = [...new Set(seeds.flatMap((s) => (bySeed.has(s) ? [plain(s)] : [])))];
      for (const text of texts) {
        const these = seeds.filter((s) => bySeed.has(s) && plain(s) === text);
        const shown = hint ? text.replace(/\)$/, `${CACHE_HINT})`) : text;
        hint = false;
        say(`[${these.length > 1 ? "seeds" : "seed"} ${these.join(", ")}] ${shown}`);
      }
    },
  };
}

function meanLine(h: History, i: number, seeds: number): string {
  const parts = [`Epoch ${i + 1}/${h.params.epochs} (mean of ${seeds} seeds)`];
  for (const key of ["loss", "accuracy", "val_loss", "val_accuracy"] as const) {
    const v = h.history[key]?.[i];
    if (v !== undefined) parts.push(`${key}: ${fixed4(v)}`);
  }
  return parts.join(" - ");
}
