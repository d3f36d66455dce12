/**
 * Stops training on an interrupt (SIGINT: Jupyter's stop button, Ctrl-C).
 *
 * How tslab 1.0.22 handles Jupyter's interrupt (node_modules/tslab/dist/main.js and executor.js):
 * the kernel process gets SIGINT, its handler calls `executor.interrupt()`, which rejects the
 * promise the running cell is raced against ("Interrupted asynchronously"). The cell ends, but the
 * work behind its promise is not stopped: a training loop would go on in the background, holding
 * a core and its memory, and its late epoch callbacks would draw into the next cell's output.
 * So while any run is going, fitlab listens for SIGINT itself and aborts every active run: the
 * loop on this thread throws at the next batch, a pool worker is terminated (its thread and wasm
 * memory freed), and each run's promise rejects with INTERRUPTED_MESSAGE.
 *
 * The listener is there only while runs are active (nothing at import time). In a plain Node
 * process where nobody else listens for SIGINT (a script), the signal is re-raised after the runs
 * are stopped, so the process still ends as Ctrl-C ends it.
 *
 * What the learner reads: a stopped run rejects with TrainingInterrupted, whose message `train` and
 * `trainSeeds` rewrite to say what was stopped, which epochs were kept (a run is stored in the run
 * cache only once it finishes) and that the kernel is still usable (interruptedMessage). fitlab's
 * kernel (scripts/kernel/interrupts.ts) holds tslab's own interrupt back while this listener is
 * registered (it carries STOPS_RUNS), so that message, not tslab's "Interrupted asynchronously",
 * ends the cell.
 */
import { inspect } from "util";
import { isMainThread } from "worker_threads";

export const INTERRUPTED_MESSAGE =
  "train: interrupted (SIGINT, e.g. the notebook's stop button); the run was stopped, its worker freed, and nothing was cached";

/**
 * Marks a SIGINT listener that stops fitlab's runs (a property set to true on the function); a
 * global symbol, so the kernel sees it whichever copy of the library the notebook loaded.
 */
export const STOPS_RUNS = Symbol.for("fitlab.sigint.stopsRuns");

/** Where one stopped run was: what `train` knew when the interrupt came. */
export interface StoppedRun {
  name: string;
  seed?: number;
  /** Epochs it had (trained now, plus any of a stored run it continued). */
  epochs: number;
  planned: number;
  /** Epochs that came from a stored shorter run it continued (those stay in the run cache). */
  stored: number;
}

/** A seed of a group that had finished when the others were stopped. */
export interface FinishedSeed {
  seed?: number;
  epochs: number;
  /** Stored in the run cache (trained with the cache on, or read from it). */
  cached: boolean;
}

/**
 * What a run stopped by SIGINT rejects with. Printed as its message alone (tslab prints a failing
 * cell's error with console.error): no stack trace, as nothing in it is the learner's to debug.
 */
export class TrainingInterrupted extends Error {
  constructor(
    message: string,
    readonly stopped: readonly StoppedRun[] = [],
    readonly context?: InterruptContext,
  ) {
    super(message);
    this.name = "TrainingInterrupted";
  }

  [inspect.custom](): string {
    return this.message;
  }
}

function seedsText(seeds: (number | undefined)[]): string {
  const known = seeds.filter((s): s is number => s !== undefined);
  if (known.length === 0) return "";
  const list =
    known.length === 1 ? String(known[0]) : `${known.slice(0, -1).join(", ")} and ${known[known.length - 1]}`;
  return `${known.length === 1 ? "seed" : "seeds"} ${list}`;
}

function epochsText(n: number): string {
  return `${n} epoch${n === 1 ? "" : "s"}`;
}

/** What one stopped run had, and what of it was kept. */
function stoppedText(run: StoppedRun, withSeed: boolean): string {
  const who = withSeed && run.seed !== undefined ? `seed ${run.seed}` : "it";
  const at = `${who} was stopped after ${run.epochs} of ${run.planned} epochs`;
  const trained = run.epochs - run.stored;
  if (run.stored > 0) {
    return `${at}: epochs 1–${run.stored} are the stored ${run.stored}-epoch run's, which stays in the run cache; ${trained > 0 ? `the ${epochsText(trained)} trained after them were not kept` : "none were trained after them"}`;
  }
  return `${at}; ${run.epochs === 0 ? "nothing had been trained" : run.epochs === 1 ? "that epoch was not kept" : `those ${run.epochs} epochs were not kept`}`;
}

/** How the message ends: whether the runs used the run cache, and whether a kernel lives on after the interrupt. */
export interface InterruptContext {
  /** The runs were to be stored in the run cache (seeded, `cache` not false). */
  cache: boolean;
  /** Something else handles SIGINT too (a notebook kernel), so the process lives on. */
  kernel: boolean;
}

/**
 * The message of a training cell stopped by the stop button (or Ctrl-C): what was stopped, which
 * epochs were kept (the run cache stores a run only once it finishes), and that the kernel and its
 * variables are still there. `finished`: the group's seeds that had finished (trainSeeds).
 */
export function interruptedMessage(
  name: string,
  stopped: readonly StoppedRun[],
  finished: readonly FinishedSeed[],
  context: InterruptContext,
): string {
  const group = stopped.length + finished.length > 1;
  const seeds = seedsText(
    [...finished.map((f) => f.seed), ...stopped.map((s) => s.seed)].sort((a, b) => (a ?? 0) - (b ?? 0)),
  );
  const parts = [`Training stopped (the stop button, or Ctrl-C): "${name}"${seeds ? ` (${seeds})` : ""}.`];
  const bySeed = [...finished].sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  const cached = bySeed.filter((f) => f.cached);
  const uncached = bySeed.filter((f) => !f.cached);
  if (cached.length > 0)
    parts.push(
      `${capitalized(seedsText(cached.map((f) => f.seed)) || "the finished run")} had finished (${epochsText(cached[0].epochs)}) and ${cached.length === 1 ? "is" : "are"} stored in the run cache.`,
    );
  if (uncached.length > 0)
    parts.push(
      `${capitalized(seedsText(uncached.map((f) => f.seed)) || "the finished run")} had finished (${epochsText(uncached[0].epochs)}) but ${uncached.length === 1 ? "is" : "are"} not stored (cache: false).`,
    );
  for (const run of stopped) parts.push(`${capitalized(stoppedText(run, group))}.`);
  if (context.cache && stopped.some((s) => s.epochs > s.stored))
    parts.push("(The run cache stores a run only once it has trained all its epochs.)");
  if (context.kernel) {
    parts.push(
      `The kernel is still running and keeps every variable defined so far: run the cell again to train${cached.length > 0 ? " (the finished seeds come from the run cache)" : ""}, or go on with other cells.`,
    );
  }
  return parts.join(" ");
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const active = new Set<AbortController>();
let listening = false;

function onSigint(): void {
  const runs = [...active];
  active.clear();
  stopListening();
  for (const run of runs) run.abort(new TrainingInterrupted(INTERRUPTED_MESSAGE));
  // Nobody else handles SIGINT (not a tslab kernel): end the process as Node's default would.
  if (process.listenerCount("SIGINT") === 0) process.kill(process.pid, "SIGINT");
}

(onSigint as unknown as Record<symbol, boolean>)[STOPS_RUNS] = true;

function stopListening(): void {
  if (!listening) return;
  process.removeListener("SIGINT", onSigint);
  listening = false;
}

/** An abort signal for one run, fired by SIGINT; call `done()` when the run ends (listener removed with the last run). */
export function watchInterrupt(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  // Signals reach only the main thread; a run inside a worker thread is stopped by its parent.
  if (!isMainThread) return { signal: controller.signal, done: () => undefined };
  active.add(controller);
  if (!listening) {
    process.on("SIGINT", onSigint);
    listening = true;
  }
  return {
    signal: controller.signal,
    done: () => {
      active.delete(controller);
      if (active.size === 0) stopListening();
    },
  };
}
