/**
 * `npm run lesson`: executes the lesson's notebooks headlessly on the real tslab kernel (no Python,
 * no Jupyter), writes out/<name>.ipynb and a self-contained out/<name>.html per notebook, and prints
 * the results table of every training run.
 *
 * Exit codes: 0 all notebooks ran; 1 a notebook failed (error, timeout, dead kernel); 2 bad command
 * line, parameter override or output folder (nothing was executed); 130 interrupted (SIGINT, SIGTERM
 * or SIGHUP).
 *
 * Interrupted, the runner stops the kernel, writes the notebook that was running as far as it got
 * (complete files, marked `metadata.fitlab.executed.interrupted`), skips the rest and exits 130. A
 * second signal exits at once; temporary files are removed on the way out either way.
 */
import { randomBytes } from "crypto";
import { promises as fs } from "fs";
import * as path from "path";
import { SpareKernels } from "./jupyter/spareKernel";
import { ExecutedNotebook, executeNotebook, formatFailure, resolveParameters } from "./jupyter/execute";
import { projectRoot } from "../lib/system/project";
import { MAX_TIMER_MS, shutdownAllKernels } from "./jupyter/kernel";
import { readNotebook, serializeNotebook } from "./jupyter/notebook";
import { OutputWriteError, writeOutputFile } from "./jupyter/outputWrite";
import {
  ParameterError,
  findParametersCell,
  injectParameters,
  parseParametersCell,
  parseSetArgument,
} from "./jupyter/parameters";
import { renderHtmlReport } from "./jupyter/report";
import { createStaticImager } from "./jupyter/staticImages";
import { NotebookResultRow, collectResults, formatResultsTable } from "./jupyter/results";

export const USAGE = `Usage: npm run lesson -- [notebook.ipynb ...] [options]

Runs the notebooks (default: notebooks/*.ipynb in order) on the tslab kernel and writes
<out>/<name>.ipynb, <out>/<name>.html and <out>/results.json.

Options:
  --set name=value   override a parameter of the cell tagged "parameters" (repeatable);
                     values: 2, 0.5, true, "text" or 'text', [1,2] (JSON); a number must lie in
                     the range its declaration's comment starts with, e.g. // integer 1..500
  --quick            apply each notebook's metadata.fitlab.quick overrides (under --set)
  --timeout <s>      per-cell timeout in seconds (default 600; at most 2147483)
  --out <dir>        output folder (default out/; not the folder of the notebooks)
  --backend <name>   FITLAB_BACKEND for the kernel (e.g. wasm, cpu, tensorflow)
  --jobs <n>         notebooks run at once, each on its own kernel (default 2; 1 runs them one
                     after another); a run two notebooks need is trained once, the other waits
  --help             this text

Ctrl-C (or SIGTERM, SIGHUP) stops the kernel, writes the notebook that was running as far as it
got and exits 130; Ctrl-C again quits at once.`;

export interface LessonArgs {
  notebooks: string[];
  set: Record<string, string>;
  quick: boolean;
  timeoutSeconds: number;
  out: string;
  backend?: string;
  jobs: number;
}

/**
 * Notebooks run at once by default. Two: a notebook alone leaves a core idle between its training
 * cells (data loading, figures, the kernel's start) and during the last seed of a cell whose seeds
 * do not divide over the two workers; a second notebook fills those gaps. More only oversubscribe the
 * cores and add a kernel's memory each (≈ 0.5–1.8 GB). Measured in the README's speed section.
 */
export const DEFAULT_JOBS = 2;

export class UsageError extends Error {
  override name = "UsageError";
}

/** Parses the command line (flags may also be written --flag=value). Throws UsageError. */
export function parseLessonArgs(argv: string[]): LessonArgs | "help" {
  // `set` has no prototype: `--set __proto__=1` is then an unknown name like any other (it was
  // swallowed by Object.prototype's __proto__ setter, and the run went on without it).
  const set = Object.create(null) as Record<string, string>;
  const args: LessonArgs = { notebooks: [], set, quick: false, timeoutSeconds: 600, out: "out", jobs: DEFAULT_JOBS };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--help":
      case "-h":
        return "help";
      case "--quick":
        args.quick = true;
        break;
      case "--set": {
        const { name, raw } = parseSetArgument(value());
        args.set[name] = raw;
        break;
      }
      case "--timeout": {
        const v = value();
        const seconds = Number(v);
        if (!Number.isFinite(seconds) || seconds <= 0) {
          throw new UsageError(`--timeout ${v}: expected a positive number of seconds, e.g. --timeout 600`);
        }
        if (seconds * 1000 > MAX_TIMER_MS) {
          // Node's timers hold 32 bits: a longer delay fires after 1 ms, timing out every cell at once.
          throw new UsageError(
            `--timeout ${v}: at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24.8 days; Node's timers cannot wait longer)`,
          );
        }
        args.timeoutSeconds = seconds;
        break;
      }
      case "--out":
        args.out = value();
        break;
      case "--backend":
        args.backend = value();
        break;
      case "--jobs": {
        const v = value();
        const jobs = Number(v);
        if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) {
          throw new UsageError(
            `--jobs ${v}: expected a whole number of notebooks to run at once, 1 to 16 (e.g. --jobs 1 for one after another)`,
          );
        }
        args.jobs = jobs;
        break;
      }
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${argv[i]}; see --help`);
        args.notebooks.push(arg);
    }
  }
  return args;
}

async function defaultNotebooks(): Promise<string[]> {
  const dir = path.join(projectRoot(), "notebooks");
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const notebooks = names
    .filter((n) => n.endsWith(".ipynb"))
    .sort()
    .map((n) => path.join(dir, n));
  if (notebooks.length === 0) throw new UsageError(`no notebooks found in ${dir}`);
  return notebooks;
}

/**
 * Checks every override against every notebook before anything runs, so a typo costs no kernel time,
 * and returns the overrides each notebook gets. Over several notebooks a `--set` name applies to
 * those whose parameters cell declares it (`--set seed=7` for the lesson, though the appendix declares
 * no seed); a name no notebook declares is an error, as it is for a single notebook.
 */
async function checkParameters(notebooks: string[], args: LessonArgs): Promise<Map<string, Record<string, string>>> {
  const read = await Promise.all(
    notebooks.map(async (file) => {
      const nb = await readNotebook(file).catch((error: Error) => {
        throw new UsageError(error.message.includes(file) ? error.message : `${file}: ${error.message}`);
      });
      const declared = new Set(
        parseParametersCell(findParametersCell(nb, path.basename(file)).cell.source).map((d) => d.name),
      );
      return { file, nb, declared };
    }),
  );
  const names = Object.keys(args.set);
  const nowhere = names.filter((name) => read.every((r) => !r.declared.has(name)));
  const perNotebook = new Map<string, Record<string, string>>();
  for (const { file, nb, declared } of read) {
    // No prototype, as args.set: `__proto__` stays an unknown name.
    const set = Object.create(null) as Record<string, string>;
    for (const name of names)
      if (declared.has(name) || nowhere.includes(name) || read.length === 1) set[name] = args.set[name];
    const { params, origins } = resolveParameters(nb, path.basename(file), { ...args, set });
    injectParameters(nb, params, { file: path.basename(file), origins });
    perNotebook.set(file, set);
  }
  for (const name of names) {
    const without = read.filter((r) => !r.declared.has(name)).map((r) => path.basename(r.file));
    if (without.length > 0)
      console.log(
        `--set ${name}: ${without.join(", ")} declare${without.length === 1 ? "s" : ""} no "${name}" and run${without.length === 1 ? "s" : ""} without it`,
      );
  }
  return perNotebook;
}

/** The files the run writes into the output folder. */
function outputFiles(notebooks: string[], outDir: string): string[] {
  const names = notebooks.flatMap((n) => [`${path.basename(n, ".ipynb")}.ipynb`, `${path.basename(n, ".ipynb")}.html`]);
  return [...names, "results.json"].map((name) => path.join(outDir, name));
}

/** `file` with symbolic links resolved, also when its last parts do not exist yet. */
async function realPathOf(file: string): Promise<string> {
  const rest: string[] = [];
  let at = path.resolve(file);
  for (;;) {
    try {
      return path.join(await fs.realpath(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.resolve(file);
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

/** Why `code` keeps us from writing into a folder, in words. */
function explainWriteError(error: NodeJS.ErrnoException, shown: string, at: string): string {
  switch (error.code) {
    case "ENOTDIR":
      return `--out ${shown}: ${at} is a file, not a folder`;
    case "EROFS":
      return `--out ${shown}: ${at} is on a read-only file system`;
    case "EACCES":
    case "EPERM":
      return `--out ${shown}: no permission to write in ${at}`;
    case "ENOSPC":
      return `--out ${shown}: the disk holding ${at} is full`;
    case "ENOENT":
      return `--out ${shown}: cannot create files in ${at} (this file system holds no ordinary files, e.g. /proc)`;
    default:
      return `--out ${shown}: cannot write in ${at} (${error.code ?? error.message})`;
  }
}

/**
 * Refuses an output folder before any kernel starts: one that holds an input notebook (the executed
 * copy would overwrite the source), or one that cannot be created or written. Creates the folder.
 *
 * Why not fs.mkdir(recursive): on Node 20 it never returns for a path under /proc (measured: still
 * spinning after 5 s), so the folders are made one at a time.
 */
export async function checkOutputFolder(notebooks: string[], out: string): Promise<void> {
  const outDir = path.resolve(out);
  const realOut = await realPathOf(outDir);
  for (const notebook of notebooks) {
    const source = await realPathOf(notebook);
    if (path.dirname(source) === realOut) {
      throw new UsageError(
        `--out ${out}: that folder holds the source notebook ${path.relative(process.cwd(), notebook) || notebook}, ` +
          `which the executed copy would overwrite; choose another folder, e.g. --out out`,
      );
    }
  }
  const missing: string[] = [];
  for (let at = outDir; ; at = path.dirname(at)) {
    const stat = await fs.stat(at).catch((error: NodeJS.ErrnoException) => error);
    if (!(stat instanceof Error)) {
      if (!stat.isDirectory())
        throw new UsageError(explainWriteError(Object.assign(new Error(), { code: "ENOTDIR" }), out, at));
      break;
    }
    if (stat.code === "ENOTDIR") continue; // a file further up: found when reaching it
    if (stat.code !== "ENOENT") throw new UsageError(explainWriteError(stat, out, at));
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const dir of missing.reverse()) {
    await fs.mkdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw new UsageError(explainWriteError(error, out, path.dirname(dir)));
    });
  }
  const probe = path.join(outDir, `.fitlab-write-check.${process.pid}.${randomBytes(4).toString("hex")}`);
  await fs.writeFile(probe, "", { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(explainWriteError(error, out, outDir));
  });
  await fs.rm(probe, { force: true });
  for (const file of outputFiles(notebooks, outDir)) {
    const stat = await fs.lstat(file).catch(() => null);
    if (stat && !stat.isFile()) {
      throw new UsageError(
        `--out ${out}: ${file} exists and is not a file, so the output cannot replace it; move it away`,
      );
    }
  }
}

/** Writes the executed notebook and its report; throws OutputWriteError (one line) when one cannot be written. */
async function writeOutputs(run: ExecutedNotebook, outDir: string, shownDir: string): Promise<void> {
  await writeOutputFile(
    path.join(outDir, `${run.name}.ipynb`),
    serializeNotebook(run.notebook),
    path.join(shownDir, `${run.name}.ipynb`),
  );
  const html = renderHtmlReport(run.notebook, {
    title: run.name,
    failure: run.failure ? `This run stopped early.\n${formatFailure(run)}` : undefined,
  });
  await writeOutputFile(path.join(outDir, `${run.name}.html`), html, path.join(shownDir, `${run.name}.html`));
}

/** Aborted by the first SIGINT, SIGTERM or SIGHUP; its reason is the signal's name. */
const interruption = new AbortController();

export async function main(argv: string[]): Promise<number> {
  let args: LessonArgs | "help";
  let notebooks: string[];
  let setFor: Map<string, Record<string, string>>;
  try {
    args = parseLessonArgs(argv);
    if (args === "help") {
      console.log(USAGE);
      return 0;
    }
    notebooks = args.notebooks.length ? args.notebooks.map((n) => path.resolve(n)) : await defaultNotebooks();
    setFor = await checkParameters(notebooks, args);
    await checkOutputFolder(notebooks, args.out);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ParameterError) {
      process.stderr.write(`fitlab lesson: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const lessonArgs: LessonArgs = args;
  const outDir = path.resolve(args.out);
  const perNotebook: NotebookResultRow[][] = notebooks.map(() => []);
  const failed: string[] = [];
  const images = createStaticImager();
  const spares = new SpareKernels();
  const signal = interruption.signal;
  const together = Math.min(args.jobs, notebooks.length) > 1;
  const began = Date.now();
  /** An output file could not be written (a full disk): no further notebook starts. */
  let writeFailed = false;

  async function runOne(file: string, index: number): Promise<void> {
    const label = path.relative(process.cwd(), file) || file;
    // Side by side, each line names its notebook (its number, "01"), so the two logs can be told apart.
    const tag = together ? `[${path.basename(file, ".ipynb").split("-")[0]}] ` : "";
    console.log(`▶ ${label}${lessonArgs.quick ? " (quick)" : ""}`);
    const run = await executeNotebook(file, {
      set: setFor.get(file) ?? lessonArgs.set,
      quick: lessonArgs.quick,
      timeoutSeconds: lessonArgs.timeoutSeconds,
      backend: lessonArgs.backend,
      signal,
      // While this notebook runs, the next notebook's kernel starts (see spareKernel.ts).
      startKernel: async (options) => {
        const kernel = await spares.take(options);
        // One at a time: a cached notebook is CPU-bound, and two spares starting beside two running
        // notebooks slowed them as much as they saved (measured: 20.7 s against 19.9 s for the lesson).
        if (next < notebooks.length && spares.count === 0 && !signal.aborted)
          spares.prepare({ ...options, cwd: path.dirname(notebooks[next]) });
        return kernel;
      },
      onCell: ({ number, total, ms, ok }) =>
        console.log(`  ${tag}cell ${number}/${total} ${ok ? "ok" : "FAILED"} ${(ms / 1000).toFixed(1)} s`),
    }).catch((error: Error) => {
      // The kernel could not start: nothing was executed, so there is no notebook to write.
      if (!signal.aborted) process.stderr.write(`✖ ${label}: ${error.message}\n`);
      return null;
    });
    if (!run) {
      failed.push(label);
      return;
    }
    // Stops at the first figure after an interrupt: the figures left have no static image.
    await images.addTo(run.notebook, tag, signal);
    try {
      await writeOutputs(run, outDir, lessonArgs.out);
    } catch (error) {
      if (!(error instanceof OutputWriteError)) throw error;
      // Files written before stay; no other notebook starts (its outputs would not fit either).
      failed.push(label);
      writeFailed = true;
      process.stderr.write(`✖ fitlab lesson: ${error.message}\n`);
      return;
    }
    const cells = run.cellMs.reduce((a, b) => a + b, 0) / 1000;
    const memory =
      run.peakRssBytes === undefined ? "" : `, kernel peak memory ${(run.peakRssBytes / 1e9).toFixed(2)} GB`;
    console.log(
      `  ${tag}kernel start ${(run.kernelStartMs / 1000).toFixed(1)} s, cells ${cells.toFixed(1)} s${memory}; wrote ${path.join(lessonArgs.out, run.name)}.{ipynb,html}`,
    );
    if (run.droppedMessages > 0) console.log(`  ${tag}dropped ${run.droppedMessages} messages with a bad signature`);
    if (!run.ok) {
      failed.push(label);
      process.stderr.write(`✖ ${formatFailure(run)}\n`);
      return;
    }
    try {
      perNotebook[index] = collectResults(run.notebook, run.name);
    } catch (error) {
      failed.push(label);
      process.stderr.write(`✖ ${(error as Error).message}\n`);
    }
  }

  // A queue of notebooks in order, taken by `jobs` lanes: each lane starts the next notebook when its own ends.
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < notebooks.length && !signal.aborted && !writeFailed) {
      const index = next++;
      await runOne(notebooks[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, notebooks.length) }, lane));
  const results = perNotebook.flat();
  const order = notebooks.map((n) => path.relative(process.cwd(), n) || n);
  failed.sort((a, b) => order.indexOf(a) - order.indexOf(b));

  await Promise.all([images.close(), spares.close()]);
  const interrupted = signal.aborted ? String(signal.reason) : undefined;
  const skipped = writeFailed ? order.filter((n, i) => i >= next) : [];
  try {
    await writeOutputFile(
      path.join(outDir, "results.json"),
      JSON.stringify(
        { notebooks: notebooks.map((n) => path.basename(n)), failed, skipped, rows: results, interrupted },
        null,
        2,
      ) + "\n",
      path.join(args.out, "results.json"),
    );
  } catch (error) {
    if (!(error instanceof OutputWriteError)) throw error;
    process.stderr.write(`✖ fitlab lesson: ${error.message}\n`);
    writeFailed = true;
  }
  if (writeFailed) {
    if (skipped.length > 0)
      process.stderr.write(
        `fitlab lesson: stopped: outputs could not be written; what was written is in ${args.out}/; not run: ${skipped.join(", ")}\n`,
      );
    return 1;
  }
  if (interrupted) {
    process.stderr.write(`fitlab lesson: interrupted (${interrupted}); what ran is in ${args.out}/\n`);
    return 130;
  }
  if (results.length > 0) console.log(`\nResults of every run:\n${formatResultsTable(results)}`);
  const wall = ((Date.now() - began) / 1000).toFixed(1);
  if (failed.length > 0) {
    process.stderr.write(`\n${failed.length} of ${notebooks.length} notebooks failed: ${failed.join(", ")}\n`);
    return 1;
  }
  console.log(
    `\n${notebooks.length === 1 ? "The notebook" : `All ${notebooks.length} notebooks`} ran in ${wall} s; reports in ${args.out}/`,
  );
  return 0;
}

if (require.main === module) {
  const stop = (signal: NodeJS.Signals) => {
    if (interruption.signal.aborted) {
      // A second signal: quit now. The exit handler removes temporary files, and the kernel,
      // watching the pipe from this process, exits when it closes.
      process.stderr.write(`\nfitlab lesson: ${signal} again: quitting at once\n`);
      process.exit(130);
    }
    process.stderr.write(
      `\nfitlab lesson: ${signal}: stopping the kernel and writing what ran (${signal} again quits at once)\n`,
    );
    interruption.abort(signal);
    // Kernels still starting are not yet the running notebook's: stop them here.
    void shutdownAllKernels();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", stop);
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`fitlab lesson: ${error.stack ?? error.message}\n`);
      void shutdownAllKernels().finally(() => process.exit(1));
    },
  );
}
