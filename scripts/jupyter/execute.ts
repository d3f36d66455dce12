/**
 * Executes one notebook on a fresh tslab kernel, cell by cell, recording outputs as Jupyter does.
 * Stops at the first failing cell (error, timeout or dead kernel) and returns the partially executed
 * notebook with a description of the failure; never throws for a cell's failure.
 */
import { readFileSync } from "fs";
import * as path from "path";
import { showValue } from "../../lib/check";
import {
  CellTimeoutError,
  INTERRUPT_GRACE_MS,
  KernelClient,
  KernelDiedError,
  KernelOptions,
  MAX_TIMER_MS,
} from "./kernel";
import { CodeCell, Notebook, codeCells, hasTag, readNotebook } from "./notebook";
import { OutputRecorder } from "./outputs";
import {
  INJECTED_TAG,
  ParameterError,
  ParameterValue,
  findParametersCell,
  injectParameters,
  parseParameterValue,
  parseParametersCell,
} from "./parameters";

export interface ExecuteNotebookOptions {
  /** `--set` overrides as raw strings (name → "2", "'relu'", "true"), parsed against the parameters cell. */
  set?: Record<string, string>;
  /** Merge the notebook's `metadata.fitlab.quick` overrides (under any `set`). */
  quick?: boolean;
  /** Per-cell timeout in seconds; default 600. */
  timeoutSeconds?: number;
  /** How long a timed-out cell's kernel may take to honour the interrupt, in seconds; default 5. */
  interruptGraceSeconds?: number;
  /** Passed to the kernel as FITLAB_BACKEND. */
  backend?: string;
  /** Extra kernel options (heartbeat, tslab path, environment). */
  kernel?: Partial<KernelOptions>;
  /**
   * Stops the run when aborted (the runner's SIGINT/SIGTERM/SIGHUP): the kernel is shut down and the
   * notebook comes back as far as it ran, failing with kind "interrupted" and
   * `metadata.fitlab.executed.interrupted` set to the abort reason.
   */
  signal?: AbortSignal;
  /**
   * Starts the kernel (default `KernelClient.start`); the runner passes one that hands over a kernel
   * it started ahead (see scripts/jupyter/spareKernel.ts).
   */
  startKernel?: (options: KernelOptions) => Promise<KernelClient>;
  /** Progress: called after each executed cell. */
  onCell?: (event: { number: number; total: number; ms: number; ok: boolean }) => void;
}

export interface CellFailure {
  kind: "error" | "timeout" | "died" | "interrupted";
  /** 1-based among code cells (the injected parameters cell counts, as in the written notebook). */
  cellNumber: number;
  /** 0-based index among all cells of the executed notebook. */
  cellIndex: number;
  cellId: string;
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface ExecutedNotebook {
  /** The source notebook's path and its base name without .ipynb. */
  path: string;
  name: string;
  notebook: Notebook;
  ok: boolean;
  failure?: CellFailure;
  /** The overrides that were injected, after --quick and --set were merged. */
  parameters: Record<string, ParameterValue>;
  /** How long the notebook waited for its kernel (about 0 for one started ahead). */
  kernelStartMs: number;
  /** Milliseconds per executed code cell, in order. */
  cellMs: number[];
  /** Messages the client dropped for a bad signature. */
  droppedMessages: number;
  /** The kernel process's peak resident memory (Linux's VmHWM, its training workers included), when known. */
  peakRssBytes?: number;
}

/** A process's peak resident set size from /proc (Linux), or undefined elsewhere or once it has gone. */
export function peakRssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the overrides (quick metadata under --set), typed against the parameters cell. Throws ParameterError. */
export function resolveParameters(
  nb: Notebook,
  file: string,
  options: Pick<ExecuteNotebookOptions, "set" | "quick">,
): { params: Record<string, ParameterValue>; origins: Record<string, string> } {
  // No prototype: a parameter named "__proto__" is then an own key, refused as unknown by injectParameters.
  const params = Object.create(null) as Record<string, ParameterValue>;
  const origins = Object.create(null) as Record<string, string>;
  const quick = options.quick ? nb.metadata.fitlab?.quick : undefined;
  if (quick !== undefined && (quick === null || typeof quick !== "object" || Array.isArray(quick))) {
    throw new ParameterError(`${file}: metadata.fitlab.quick must be an object of parameter overrides`);
  }
  for (const [name, value] of Object.entries(quick ?? {})) {
    params[name] = value as ParameterValue;
    origins[name] = `metadata.fitlab.quick of ${file}`;
  }
  const setNames = Object.keys(options.set ?? {});
  if (setNames.length > 0) {
    const declarations = parseParametersCell(findParametersCell(nb, file).cell.source);
    for (const name of setNames) {
      const declaration = declarations.find((d) => d.name === name);
      // Unknown names are reported by injectParameters with the list of known ones.
      params[name] = declaration ? parseParameterValue(options.set![name], declaration) : options.set![name];
      origins[name] = "--set";
    }
  }
  return { params, origins };
}

/** ename/evalue from the reply, else from iopub error outputs, else from tslab's stderr text. */
function describeError(
  cell: CodeCell,
  reply: Record<string, unknown>,
): Pick<CellFailure, "ename" | "evalue" | "traceback"> {
  if (typeof reply.ename === "string") {
    return {
      ename: reply.ename,
      evalue: String(reply.evalue ?? ""),
      traceback: Array.isArray(reply.traceback) ? reply.traceback.map(String) : [],
    };
  }
  const errorOutput = cell.outputs.find((o) => o.output_type === "error");
  if (errorOutput?.output_type === "error") return errorOutput;
  // tslab reports errors by printing them to stderr (no `error` message): parse "Name: message".
  const stderr = cell.outputs.map((o) => (o.output_type === "stream" && o.name === "stderr" ? o.text : "")).join("");
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  const named = lines.map((line) => /^([A-Za-z_$][\w$]*(?:Error|Exception)|Error): ?(.*)$/.exec(line)).find(Boolean);
  if (named) return { ename: named[1], evalue: named[2], traceback: lines };
  if (lines.length > 0) return { ename: "CompileError", evalue: lines.join("; "), traceback: lines };
  return { ename: "Error", evalue: "the kernel reported an error without a message", traceback: [] };
}

/**
 * Runs every code cell of the notebook at `file` in order on a new tslab kernel started in the
 * notebook's folder. Bad parameters throw ParameterError before any kernel starts; a failing cell
 * ends the run with `ok: false` and `failure`. The kernel is always shut down.
 */
export async function executeNotebook(file: string, options: ExecuteNotebookOptions = {}): Promise<ExecutedNotebook> {
  const name = path.basename(file, ".ipynb");
  for (const [option, seconds] of [
    ["timeoutSeconds", options.timeoutSeconds],
    ["interruptGraceSeconds", options.interruptGraceSeconds],
  ] as const) {
    if (seconds !== undefined && !(seconds > 0 && seconds * 1000 <= MAX_TIMER_MS)) {
      throw new RangeError(
        `executeNotebook: ${option} = ${showValue(seconds)}; it must be a number of seconds > 0 and ≤ ${Math.floor(MAX_TIMER_MS / 1000)} (Node's timers cannot wait longer).`,
      );
    }
  }
  if (options.signal?.aborted)
    throw new Error(`executeNotebook: interrupted (${String(options.signal.reason)}) before it started`);
  const source = await readNotebook(file);
  const { params, origins } = resolveParameters(source, path.basename(file), options);
  const nb = injectParameters(source, params, { file: path.basename(file), origins });
  nb.metadata = {
    ...nb.metadata,
    fitlab: { ...nb.metadata.fitlab, executed: { parameters: params, quick: !!options.quick } },
  };
  const cells = codeCells(nb);
  for (const { cell } of cells) {
    cell.outputs = [];
    cell.execution_count = null;
  }

  const result: ExecutedNotebook = {
    path: file,
    name,
    notebook: nb,
    ok: true,
    parameters: params,
    kernelStartMs: 0,
    cellMs: [],
    droppedMessages: 0,
  };
  const env = { ...options.kernel?.env };
  if (options.backend) env.FITLAB_BACKEND = options.backend;
  const waited = Date.now();
  const kernel = await (options.startKernel ?? KernelClient.start)({
    ...options.kernel,
    cwd: path.dirname(path.resolve(file)),
    env,
  });
  result.kernelStartMs = Date.now() - waited;
  const signal = options.signal;
  // Shutting the kernel down ends the running cell with KernelDiedError, reported below as interrupted.
  const onAbort = () => void kernel.shutdown(INTERRUPT_GRACE_MS);
  signal?.addEventListener("abort", onAbort, { once: true });
  const recorder = new OutputRecorder();
  const timeoutMs = (options.timeoutSeconds ?? 600) * 1000;
  try {
    for (const { cell, index, number } of cells) {
      // As nbclient: cells with only whitespace are not sent to the kernel.
      if (cell.source.trim() === "") continue;
      const began = Date.now();
      recorder.startCell();
      const fail = (kind: CellFailure["kind"], details: Pick<CellFailure, "ename" | "evalue" | "traceback">) => {
        result.ok = false;
        result.failure = { kind, cellNumber: number, cellIndex: index, cellId: cell.id, ...details };
      };
      try {
        const reply = await kernel.execute(cell.source, {
          timeoutMs,
          interruptGraceMs:
            options.interruptGraceSeconds === undefined ? undefined : options.interruptGraceSeconds * 1000,
          onIopub: (message) => recorder.record(cell, message),
        });
        if (reply.executionCount !== null) cell.execution_count = reply.executionCount;
        if (reply.status !== "ok") fail("error", describeError(cell, reply.content));
      } catch (error) {
        if (signal?.aborted && (error instanceof KernelDiedError || error instanceof CellTimeoutError)) {
          fail("interrupted", {
            ename: "Interrupted",
            evalue: `the run was stopped by ${String(signal.reason)}`,
            traceback: [],
          });
        } else if (error instanceof CellTimeoutError) {
          fail("timeout", { ename: "CellTimeoutError", evalue: error.message, traceback: [] });
        } else if (error instanceof KernelDiedError) {
          const log = kernel.log;
          fail("died", { ename: "KernelDiedError", evalue: error.message, traceback: log ? log.split("\n") : [] });
        } else {
          throw error;
        }
      }
      result.cellMs.push(Date.now() - began);
      options.onCell?.({ number, total: cells.length, ms: Date.now() - began, ok: result.ok });
      if (!result.ok) break;
      if (signal?.aborted) {
        // The cell finished just as the signal came: stop before the next one.
        const next = cells.find((c) => c.number > number && c.cell.source.trim() !== "");
        if (next) {
          result.ok = false;
          result.failure = {
            kind: "interrupted",
            cellNumber: next.number,
            cellIndex: next.index,
            cellId: next.cell.id,
            ename: "Interrupted",
            evalue: `the run was stopped by ${String(signal.reason)} before this cell`,
            traceback: [],
          };
        }
        break;
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (signal?.aborted) {
      const fitlab = nb.metadata.fitlab ?? {};
      nb.metadata.fitlab = {
        ...fitlab,
        executed: { ...(fitlab.executed as object), interrupted: String(signal.reason) },
      };
    }
    result.droppedMessages = kernel.dropped.shell + kernel.dropped.iopub + kernel.dropped.control;
    result.peakRssBytes = peakRssOf(kernel.pid);
    await kernel.shutdown();
  }
  return result;
}

/** A multi-line description of a failure for the terminal. */
export function formatFailure(run: ExecutedNotebook): string {
  const f = run.failure;
  if (!f) return "";
  const cell = run.notebook.cells[f.cellIndex];
  const injected = hasTag(cell, INJECTED_TAG) ? " (the injected parameters cell)" : "";
  const what = { error: "failed", timeout: "timed out", died: "lost its kernel", interrupted: "was interrupted" }[
    f.kind
  ];
  const head = `${run.path}: code cell ${f.cellNumber}${injected} (cell index ${f.cellIndex}, id ${f.cellId}) ${what}`;
  const source = cell.source
    .split("\n")
    .slice(0, 6)
    .map((line) => `  | ${line}`)
    .join("\n");
  const trace = f.traceback.length ? `\n${f.traceback.map((line) => `    ${line}`).join("\n")}` : "";
  return `${head}\n${source}\n${f.ename}: ${f.evalue}${trace}`;
}
