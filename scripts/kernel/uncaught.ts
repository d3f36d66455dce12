/**
 * What the kernel does with an error nothing caught: a promise that rejected with nobody awaiting it
 * (a forgotten `await`), or an exception thrown in a timer or an event handler. It reports it in the
 * notebook and lives on, as ipykernel does, so the learner keeps every variable defined so far.
 *
 * Why this is needed: tslab itself only logs such errors, but Emscripten's start-up code in
 * @tensorflow/tfjs-backend-wasm (loaded by `initBackend()`) adds process listeners that rethrow
 * them (`process.on("unhandledRejection", r => { throw r })`), and an exception thrown by such a
 * listener ends Node at once with exit code 7: the kernel died and took the notebook's state along.
 * So every listener for these two events runs guarded here (a throw inside it is swallowed), and
 * fitlab's reporter replaces tslab's `console.error`, which printed into the last cell's output
 * even when that cell had finished (front ends show nothing arriving for a finished cell).
 *
 * Where a report goes: into the running cell; between cells, into the kernel's log at once and at the
 * top of the next cell's output. Runs in the kernel process only (scripts/kernel/tslabKernel.ts).
 */
import { writeSync } from "fs";
import { inspect } from "util";

/** The two process events whose listeners must never throw. */
const GUARDED_EVENTS: ReadonlySet<string | symbol> = new Set(["uncaughtException", "unhandledRejection"]);

type WriteStream = (name: "stdout" | "stderr", text: string) => void;
type Listener = (...args: unknown[]) => void;

/** The kernel's own stderr (its log), which tslab's redirection of process.stderr into cells does not reach. */
function writeKernelLog(text: string): void {
  try {
    writeSync(2, text.endsWith("\n") ? text : `${text}\n`);
  } catch {
    // Nobody reads the log (a closed pipe): the report in the notebook is what counts.
  }
}

/** `error` as the notebook shows it: its stack when it has one, else its inspected value. */
function describe(error: unknown): string {
  if (error instanceof Error && typeof error.stack === "string") return error.stack;
  return inspect(error, { depth: 4 });
}

export interface UncaughtReporter {
  /** A cell starts: reports held since the last cell go into it, and new ones too until it ends. */
  cellStarted(write: WriteStream): void;
  /** The cell that started with `write` has ended: reports are held for the next one. */
  cellEnded(write: WriteStream): void;
  /** Reports one uncaught error (what the process listeners call). */
  report(kind: "rejection" | "exception", error: unknown): void;
  /**
   * Runs `start` (tslab's startKernel) with its own process listeners for the guarded events left
   * out: this reporter does their job (tslab's only print the error).
   */
  withoutListenersOf(start: () => void): void;
}

/**
 * Installs the reporter as the first listener of both events and guards every listener added later
 * (by Emscripten, by tslab, by a notebook). Call once, before anything else registers listeners.
 */
export function installUncaughtReporter(proc: NodeJS.Process = process): UncaughtReporter {
  let current: WriteStream | undefined;
  const held: string[] = [];
  let skipping = false;

  const reporter: UncaughtReporter = {
    cellStarted(write) {
      current = write;
      const earlier = held.splice(0);
      if (earlier.length > 0) write("stderr", earlier.map((text) => `Before this cell ran, ${text}`).join(""));
    },
    cellEnded(write) {
      if (current === write) current = undefined;
    },
    report(kind, error) {
      const what =
        kind === "rejection"
          ? "a promise failed and nothing awaited it (did a call miss `await`?):"
          : "an error was thrown where no cell could catch it (in a timer or an event handler):";
      const text = `${what}\n${describe(error)}\nThe kernel carries on: every variable is kept.\n`;
      writeKernelLog(`fitlab kernel: ${text}`);
      if (current) current("stderr", `${text.charAt(0).toUpperCase()}${text.slice(1)}`);
      else held.push(text);
    },
    withoutListenersOf(start) {
      skipping = true;
      try {
        start();
      } finally {
        skipping = false;
      }
    },
  };

  const onRejection = (reason: unknown) => reporter.report("rejection", reason);
  const onException = (error: unknown) => reporter.report("exception", error);
  proc.on("unhandledRejection", onRejection);
  proc.on("uncaughtException", onException);

  for (const method of ["on", "addListener", "prependListener", "once", "prependOnceListener"] as const) {
    const original = proc[method] as (event: string | symbol, listener: Listener) => NodeJS.Process;
    (proc as unknown as Record<string, unknown>)[method] = function (
      this: NodeJS.Process,
      event: string | symbol,
      listener: Listener,
    ) {
      if (!GUARDED_EVENTS.has(event) || typeof listener !== "function") return original.call(this, event, listener);
      if (skipping) return this;
      const guarded = function (this: unknown, ...args: unknown[]): void {
        try {
          listener.apply(this, args);
        } catch (thrown) {
          // Emscripten's listeners rethrow the very error the reporter has just shown: nothing to add.
          if (thrown !== args[0])
            writeKernelLog(`fitlab kernel: a ${String(event)} listener threw (ignored): ${describe(thrown)}`);
        }
      };
      // As Node's own once() wrappers do: listeners() and removeListener() see the original function
      // (Emscripten removes its listeners again by the functions listeners() returned).
      (guarded as unknown as { listener: Listener }).listener = listener;
      return original.call(this, event, guarded);
    };
  }
  return reporter;
}
