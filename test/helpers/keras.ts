/**
 * Running the Keras reference (reference/keras/*.py) from a test: the project's .venv Python, or a
 * clear error saying how to make it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const KERAS_DIR = path.join(ROOT, "reference", "keras");

/** .venv/bin/python, or an error naming the command that installs it. */
export function venvPython(): string {
  const python = path.join(ROOT, ".venv", "bin", "python");
  if (!fs.existsSync(python)) {
    throw new Error(
      `The Keras reference needs the project's Python environment, and ${python} is missing. Make it with:\n` +
        "  python3 -m venv .venv && .venv/bin/pip install -r requirements.txt\n(.ci/run does the same.)",
    );
  }
  return python;
}

/** Runs reference/keras/<script> with `args` under the venv's Python (one TensorFlow thread for its ops); stdout. */
export function runKeras(script: string, args: string[], timeoutMs = 300_000): string {
  try {
    return execFileSync(venvPython(), [path.join(KERAS_DIR, script), ...args], {
      encoding: "utf8",
      timeout: timeoutMs,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2", OMP_NUM_THREADS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `reference/keras/${script} failed: ${e.message}\n${(e.stderr ?? "").split("\n").slice(-15).join("\n")}`,
    );
  }
}
