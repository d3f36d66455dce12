/**
 * What a training cell stopped by the stop button says (lib/training/interrupt.ts's message), and how
 * fitlab's kernel holds tslab's own interrupt back while fitlab's runs stop (scripts/kernel/interrupts.ts).
 * test/kernel.test.ts interrupts a real kernel; test/jupyterlab-e2e.test.ts clicks JupyterLab's stop button.
 */
import { EventEmitter } from "events";
import { inspect } from "util";
import { STOPS_RUNS, TrainingInterrupted, interruptedMessage } from "../lib/training/interrupt";
import { deferTslabInterrupt } from "../scripts/kernel/interrupts";

const KERNEL = { cache: true, kernel: true };

describe("interruptedMessage", () => {
  it("says where a single run stopped, that its epochs were not kept, and that the kernel lives on", () => {
    expect(
      interruptedMessage("original", [{ name: "original", seed: 7, epochs: 5, planned: 20, stored: 0 }], [], KERNEL),
    ).toBe(
      'Training stopped (the stop button, or Ctrl-C): "original" (seed 7). It was stopped after 5 of 20 epochs; those 5 epochs were not kept. ' +
        "(The run cache stores a run only once it has trained all its epochs.) " +
        "The kernel is still running and keeps every variable defined so far: run the cell again to train, or go on with other cells.",
    );
  });

  it("names the seeds of a group that had finished (stored) and where each stopped one was", () => {
    const text = interruptedMessage(
      "small",
      [{ name: "small", seed: 44, epochs: 1, planned: 20, stored: 0 }],
      [
        { seed: 43, epochs: 20, cached: true },
        { seed: 42, epochs: 20, cached: true },
      ],
      KERNEL,
    );
    expect(text).toBe(
      'Training stopped (the stop button, or Ctrl-C): "small" (seeds 42, 43 and 44). Seeds 42 and 43 had finished (20 epochs) and are stored in the run cache. ' +
        "Seed 44 was stopped after 1 of 20 epochs; that epoch was not kept. (The run cache stores a run only once it has trained all its epochs.) " +
        "The kernel is still running and keeps every variable defined so far: run the cell again to train (the finished seeds come from the run cache), or go on with other cells.",
    );
  });

  it("says that a continued run's stored epochs stay in the run cache", () => {
    expect(
      interruptedMessage(
        "small, longer",
        [{ name: "small, longer", seed: 42, epochs: 27, planned: 40, stored: 20 }],
        [],
        KERNEL,
      ),
    ).toContain(
      "It was stopped after 27 of 40 epochs: epochs 1–20 are the stored 20-epoch run's, which stays in the run cache; the 7 epochs trained after them were not kept.",
    );
  });

  it("leaves out the run cache without one, and the kernel in a plain script", () => {
    const text = interruptedMessage(
      "m",
      [{ name: "m", epochs: 0, planned: 3, stored: 0 }],
      [{ epochs: 3, cached: false }],
      { cache: false, kernel: false },
    );
    expect(text).toBe(
      'Training stopped (the stop button, or Ctrl-C): "m". The finished run had finished (3 epochs) but is not stored (cache: false). It was stopped after 0 of 3 epochs; nothing had been trained.',
    );
  });

  it("prints as its message alone (tslab prints a failing cell's error with console.error)", () => {
    expect(inspect(new TrainingInterrupted("Training stopped: x."))).toBe("Training stopped: x.");
  });
});

describe("deferTslabInterrupt (fitlab's kernel)", () => {
  function setUp(running: { cell?: object }) {
    const proc = new EventEmitter();
    const calls: string[] = [];
    const timers: { run: () => void; ms: number }[] = [];
    const tslab = () => calls.push("tslab interrupt");
    proc.on("SIGINT", tslab);
    deferTslabInterrupt([tslab], {
      proc: proc as unknown as NodeJS.Process,
      currentCell: () => running.cell,
      setTimer: (run, ms) => timers.push({ run, ms }),
      graceMs: 5_000,
    });
    const fitlab = Object.assign(() => calls.push("fitlab stops its runs"), { [STOPS_RUNS]: true });
    return { proc, calls, timers, fitlab };
  }

  it("interrupts at once when no fitlab run is going (tslab's behaviour)", () => {
    const { proc, calls, timers } = setUp({ cell: {} });
    proc.emit("SIGINT");
    expect(calls).toEqual(["tslab interrupt"]);
    expect(timers).toEqual([]);
  });

  it("while fitlab trains, lets fitlab stop the runs and interrupts only a cell still running after the grace", () => {
    const running: { cell?: object } = { cell: {} };
    const { proc, calls, timers, fitlab } = setUp(running);
    proc.on("SIGINT", fitlab);
    proc.emit("SIGINT");
    expect(calls).toEqual(["fitlab stops its runs"]);
    expect(timers.map((t) => t.ms)).toEqual([5_000]);
    // The cell is still the same one after the grace: tslab interrupts it.
    timers[0].run();
    expect(calls).toEqual(["fitlab stops its runs", "tslab interrupt"]);
    // The runs' rejection ended the cell (a new one runs, or none): nothing more.
    proc.emit("SIGINT");
    running.cell = {};
    timers[1].run();
    // Between cells tslab's interrupt runs at once (it ends nothing), before fitlab's listener.
    running.cell = undefined;
    proc.emit("SIGINT");
    expect(calls).toEqual([
      "fitlab stops its runs",
      "tslab interrupt",
      "fitlab stops its runs",
      "tslab interrupt",
      "fitlab stops its runs",
    ]);
  });

  it("refuses a tslab that registered no SIGINT listener", () => {
    expect(() =>
      deferTslabInterrupt([], { proc: new EventEmitter() as unknown as NodeJS.Process, currentCell: () => undefined }),
    ).toThrow(/tslab registered no SIGINT listener/);
  });
});
