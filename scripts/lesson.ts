/**
 * `npm run lesson`: executes the lesson's notebooks headlessly on the real tslab kernel (no Python,
 * no Jupyter), writes out/<name>.ipynb and a self-contained out/<name>.html per notebook, and prints
 * the summary table of every training run.
 *
 * Exit codes: 0 all notebooks ran; 1 a notebook failed (error, timeout, dead kernel); 2 bad command
 * line or parameter override (nothing was executed); 130 interrupted.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { ExecutedNotebook, executeNotebook, formatFailure, resolveParameters } from "./jupyter/execute";
import { projectRoot, shutdownAllKernels } from "./jupyter/kernel";
import { readNotebook, writeFileAtomic, writeNotebookAtomic } from "./jupyter/notebook";
import { ParameterError, injectParameters, parseSetArgument } from "./jupyter/parameters";
import { renderHtmlReport } from "./jupyter/report";
import { createStaticImager } from "./jupyter/staticImages";
import { NotebookSummaryRow, collectSummary, formatSummaryTable } from "./jupyter/summary";

export const USAGE = `Usage: npm run lesson -- [notebook.ipynb ...] [options]

Runs the notebooks (default: notebooks/*.ipynb in order) on the tslab kernel and writes
<out>/<name>.ipynb, <out>/<name>.html and <out>/summary.json.

Options:
  --set name=value   override a parameter of the cell tagged "parameters" (repeatable);
                     values: 2, 0.5, true, "text" or 'text', [1,2] (JSON)
  --quick            apply each notebook's metadata.fitlab.quick overrides (under --set)
  --timeout <s>      per-cell timeout in seconds (default 600)
  --out <dir>        output folder (default out/)
  --backend <name>   FITLAB_BACKEND for the kernel (e.g. wasm, cpu, tensorflow)
  --help             this text`;

export interface LessonArgs {
  notebooks: string[];
  set: Record<string, string>;
  quick: boolean;
  timeoutSeconds: number;
  out: string;
  backend?: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** Parses the command line (flags may also be written --flag=value). Throws UsageError. */
export function parseLessonArgs(argv: string[]): LessonArgs | "help" {
  const args: LessonArgs = { notebooks: [], set: {}, quick: false, timeoutSeconds: 600, out: "out" };
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
        args.timeoutSeconds = seconds;
        break;
      }
      case "--out":
        args.out = value();
        break;
      case "--backend":
        args.backend = value();
        break;
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
  const notebooks = names.filter((n) => n.endsWith(".ipynb")).sort().map((n) => path.join(dir, n));
  if (notebooks.length === 0) throw new UsageError(`no notebooks found in ${dir}`);
  return notebooks;
}

/** Checks every override against every notebook before anything runs, so a typo costs no kernel time. */
async function checkParameters(notebooks: string[], args: LessonArgs): Promise<void> {
  for (const file of notebooks) {
    const nb = await readNotebook(file).catch((error: Error) => {
      throw new UsageError(error.message.includes(file) ? error.message : `${file}: ${error.message}`);
    });
    const { params, origins } = resolveParameters(nb, path.basename(file), args);
    injectParameters(nb, params, { file: path.basename(file), origins });
  }
}

async function writeOutputs(run: ExecutedNotebook, outDir: string): Promise<void> {
  await writeNotebookAtomic(path.join(outDir, `${run.name}.ipynb`), run.notebook);
  const html = renderHtmlReport(run.notebook, {
    title: run.name,
    failure: run.failure ? `This run stopped early.\n${formatFailure(run)}` : undefined,
  });
  await writeFileAtomic(path.join(outDir, `${run.name}.html`), html);
}

export async function main(argv: string[]): Promise<number> {
  let args: LessonArgs | "help";
  let notebooks: string[];
  try {
    args = parseLessonArgs(argv);
    if (args === "help") {
      console.log(USAGE);
      return 0;
    }
    notebooks = args.notebooks.length ? args.notebooks.map((n) => path.resolve(n)) : await defaultNotebooks();
    await checkParameters(notebooks, args);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ParameterError) {
      process.stderr.write(`fitlab lesson: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const outDir = path.resolve(args.out);
  const summary: NotebookSummaryRow[] = [];
  const failed: string[] = [];
  const images = createStaticImager();
  for (const file of notebooks) {
    const label = path.relative(process.cwd(), file) || file;
    console.log(`▶ ${label}${args.quick ? " (quick)" : ""}`);
    const run = await executeNotebook(file, {
      set: args.set,
      quick: args.quick,
      timeoutSeconds: args.timeoutSeconds,
      backend: args.backend,
      onCell: ({ number, total, ms, ok }) =>
        console.log(`  cell ${number}/${total} ${ok ? "ok" : "FAILED"} ${(ms / 1000).toFixed(1)} s`),
    }).catch((error: Error) => {
      // The kernel could not start: nothing was executed, so there is no notebook to write.
      process.stderr.write(`✖ ${label}: ${error.message}\n`);
      return null;
    });
    if (!run) {
      failed.push(label);
      continue;
    }
    await images.addTo(run.notebook);
    await writeOutputs(run, outDir);
    console.log(`  kernel start ${(run.kernelStartMs / 1000).toFixed(1)} s; wrote ${path.join(args.out, run.name)}.{ipynb,html}`);
    if (run.droppedMessages > 0) console.log(`  dropped ${run.droppedMessages} messages with a bad signature`);
    if (!run.ok) {
      failed.push(label);
      process.stderr.write(`✖ ${formatFailure(run)}\n`);
      continue;
    }
    try {
      summary.push(...collectSummary(run.notebook, run.name));
    } catch (error) {
      failed.push(label);
      process.stderr.write(`✖ ${(error as Error).message}\n`);
    }
  }

  await images.close();
  await writeFileAtomic(
    path.join(outDir, "summary.json"),
    JSON.stringify({ notebooks: notebooks.map((n) => path.basename(n)), failed, rows: summary }, null, 2) + "\n",
  );
  if (summary.length > 0) console.log(`\nSummary of every run:\n${formatSummaryTable(summary)}`);
  if (failed.length > 0) {
    process.stderr.write(`\n${failed.length} of ${notebooks.length} notebooks failed: ${failed.join(", ")}\n`);
    return 1;
  }
  console.log(`\n${notebooks.length === 1 ? "The notebook" : `All ${notebooks.length} notebooks`} ran; reports in ${args.out}/`);
  return 0;
}

if (require.main === module) {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nfitlab lesson: ${signal}: stopping the kernels\n`);
    void shutdownAllKernels().finally(() => process.exit(130));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`fitlab lesson: ${error.stack ?? error.message}\n`);
      void shutdownAllKernels().finally(() => process.exit(1));
    },
  );
}
