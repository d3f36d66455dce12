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
 */
import { isMainThread } from "worker_threads";

export const INTERRUPTED_MESSAGE = "train: interrupted (SIGINT, e.g. the notebook's stop button); the run was stopped, its worker freed, and nothing was cached";

const active = new Set<AbortController>();
let listening = false;

function onSigint(): void {
  const runs = [...active];
  active.clear();
  stopListening();
  for (const run of runs) run.abort(new Error(INTERRUPTED_MESSAGE));
  // Nobody else handles SIGINT (not a tslab kernel): end the process as Node's default would.
  if (process.listenerCount("SIGINT") === 0) process.kill(process.pid, "SIGINT");
}

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
