/**
 * The stop button while fitlab trains: fitlab's message ends the cell, not tslab's.
 *
 * tslab 1.0.22 answers SIGINT (Jupyter's interrupt_request; the kernel spec's interrupt mode is
 * "signal") with `executor.interrupt()` (tslab/dist/main.js), which rejects the promise the running
 * cell is raced against: the cell ends at once with "Error: Interrupted asynchronously" and a stack
 * through tslab's internals, before fitlab's own SIGINT listener (lib/training/interrupt.ts) has
 * stopped the runs, and the runs' own message (what was stopped, what was kept) reached nobody.
 *
 * So the kernel holds tslab's interrupt back while a listener marked STOPS_RUNS is registered (that
 * is, while fitlab trains): the runs stop and reject with fitlab's message, which ends the cell as any
 * error does. If the cell is still running `graceMs` later (it awaited something besides the runs),
 * tslab interrupts it as before. With no fitlab run going, or between cells, tslab's interrupt
 * runs at once, unchanged.
 */
import { STOPS_RUNS } from "../../lib/training/interrupt";

type Listener = (...args: unknown[]) => void;

/** Long enough for stopped runs to reject (a worker is terminated at once; a thread's loop stops at its next batch). */
export const INTERRUPT_GRACE_MS = 5_000;

/** Whether a listener stops fitlab's runs (marked by lib/training/interrupt.ts). */
function stopsRuns(listener: Listener): boolean {
  return (listener as unknown as Record<symbol, unknown>)[STOPS_RUNS] === true;
}

export interface InterruptOptions {
  /** The process whose SIGINT is handled (tests pass an EventEmitter). */
  proc?: Pick<NodeJS.Process, "listeners" | "removeListener" | "on">;
  graceMs?: number;
  /** A token of the running cell, or undefined between cells. */
  currentCell: () => object | undefined;
  /** Timer (tests pass their own). */
  setTimer?: (run: () => void, ms: number) => void;
}

/**
 * Takes tslab's SIGINT listeners (`tslabListeners`, registered by its startKernel) off the process
 * and puts one in their place that calls them at once, or after the grace while fitlab trains.
 */
export function deferTslabInterrupt(tslabListeners: Listener[], options: InterruptOptions): void {
  const proc = options.proc ?? process;
  const graceMs = options.graceMs ?? INTERRUPT_GRACE_MS;
  const setTimer = options.setTimer ?? ((run: () => void, ms: number) => void setTimeout(run, ms).unref());
  if (tslabListeners.length === 0) {
    throw new Error(
      "tslab registered no SIGINT listener: this tslab is not 1.0.22; update scripts/kernel/interrupts.ts for it",
    );
  }
  for (const listener of tslabListeners) proc.removeListener("SIGINT", listener);
  const interruptCell = (): void => tslabListeners.forEach((listener) => listener("SIGINT"));
  proc.on("SIGINT", () => {
    const cell = options.currentCell();
    // Node calls fitlab's listener itself, right after this one (same signal).
    if (cell === undefined || !(proc.listeners("SIGINT") as Listener[]).some(stopsRuns)) return interruptCell();
    setTimer(() => {
      if (options.currentCell() === cell) interruptCell();
    }, graceMs);
  });
}
