/**
 * Jupyter's own programs, run as child processes: nbconvert's executor (nbclient driving the tslab
 * kernel), the nbformat validator, the notebook signature check, and the runner's CLI for comparison.
 */
import { spawn } from "child_process";
import * as path from "path";
import { projectRoot } from "../../lib/system/project";
import { PYTHON, jupyterCommand } from "../../scripts/browser/prerequisites";

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command to completion, capturing its output; kills its process group at `timeoutMs`
 * (the child is started detached, so the group is exactly it and what it started, e.g. a kernel).
 */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ProcessResult> {
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs / 1000} s]`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - began });
    });
  });
}

/**
 * `jupyter nbconvert --to notebook --execute <file>` writing `<name>.nbconvert.ipynb` beside it.
 * nbclient stops at the first cell whose execute_reply is an error (exit code 1).
 */
export async function executeWithNbconvert(
  file: string,
  env: NodeJS.ProcessEnv,
  options: { cellTimeoutSeconds: number; timeoutMs: number; allowErrors?: boolean },
): Promise<ProcessResult & { output: string }> {
  const output = file.replace(/\.ipynb$/, options.allowErrors ? ".allow-errors.ipynb" : ".nbconvert.ipynb");
  const { command, args } = jupyterCommand([
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    `--ExecutePreprocessor.timeout=${options.cellTimeoutSeconds}`,
    ...(options.allowErrors ? ["--allow-errors"] : []),
    "--output",
    path.basename(output),
    file,
  ]);
  const result = await run(command, args, { cwd: path.dirname(file), env, timeoutMs: options.timeoutMs });
  return { ...result, output };
}

/**
 * Why nbconvert failed, readably: nbclient's "An error occurred while executing the following
 * cell" block (the cell's source) without the Python traceback around it. tslab sends no traceback
 * in its error reply (it prints the error to stderr), so the block's error part is empty: see
 * kernelStderr for the text.
 */
export function nbconvertFailure(result: ProcessResult): string {
  const text = `${result.stdout}\n${result.stderr}`;
  const at = text.indexOf("An error occurred while executing the following cell");
  if (at >= 0) return text.slice(at).trim().split("\n").slice(0, 30).join("\n");
  return tail(result);
}

const VALIDATE = `
import json, sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)
errors = [str(e.message) for e in nbformat.validator.iter_validate(nb)]
print(json.dumps({"version": [nb.nbformat, nb.nbformat_minor], "nbformat": nbformat.__version__, "errors": errors}))
`;

/** Python nbformat's own validator on the file as written (no conversion): its version and every error. */
export async function validateWithNbformat(
  file: string,
): Promise<{ version: [number, number]; nbformat: string; errors: string[] }> {
  const result = await run(PYTHON, ["-c", VALIDATE, file], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`nbformat could not read ${file}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as { version: [number, number]; nbformat: string; errors: string[] };
}

const CHECK_SIGNATURE = `
import sys, nbformat
from nbformat.sign import NotebookNotary
nb = nbformat.read(sys.argv[1], as_version=4)
print("trusted" if NotebookNotary(data_dir=sys.argv[2]).check_signature(nb) else "untrusted")
`;

/**
 * Whether the notebook's signature is in the trust database of `dataDir` (what classic Notebook
 * checks on open to decide if saved HTML/JavaScript outputs may run).
 */
export async function isTrusted(file: string, dataDir: string): Promise<boolean> {
  const result = await run(PYTHON, ["-c", CHECK_SIGNATURE, file, dataDir], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`nbformat could not check the signature of ${file}:\n${result.stderr}`);
  return result.stdout.trim() === "trusted";
}

/**
 * `npm run lesson` (node dist/scripts/lesson.js) on the given notebooks, writing into `outDir`.
 * `quick` passes --quick; `backend` passes --backend.
 */
export function runLesson(
  notebooks: string[],
  options: { outDir: string; quick: boolean; backend: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ProcessResult> {
  const root = projectRoot();
  const args = [
    path.join(root, "dist", "scripts", "lesson.js"),
    ...(options.quick ? ["--quick"] : []),
    "--backend",
    options.backend,
    "--out",
    options.outDir,
    ...notebooks,
  ];
  return run(process.execPath, args, { cwd: root, env: options.env, timeoutMs: options.timeoutMs });
}

/** The last lines of a process's output, for failure messages. */
export function tail(result: ProcessResult, lines = 40): string {
  return `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-lines).join("\n");
}
