/**
 * The programs the real clients need (Jupyter's executor, the classic Notebook server, Chromium,
 * Python's nbformat) and the built library the notebooks import. A missing one FAILS the test or
 * the script with what to install: a silently skipped test would count as a pass in CI.
 *
 * No jest here: scripts/screenshot.ts and the real-client tests use the same checks.
 */
import { spawnSync } from "child_process";
import { accessSync, constants, existsSync } from "fs";
import * as path from "path";
import { projectRoot } from "../../lib/system/project";
import { CHROMIUM as chromiumPath } from "../jupyter/chromium";

/**
 * The Python that runs Jupyter. Debian's jupyter packages live in /usr/bin/python3; a pyenv or venv
 * `python3` earlier on PATH usually lacks nbformat, so the default is the system one.
 */
export const PYTHON = process.env.FITLAB_PYTHON ?? "/usr/bin/python3";
/** Debian's Chromium (never a downloaded browser): the runner's static images find it the same way. */
export const CHROMIUM = chromiumPath;

/** `jupyter <args>` run by PYTHON, so the executor, the server and the validator share one install. */
export function jupyterCommand(args: string[]): { command: string; args: string[] } {
  return { command: PYTHON, args: ["-m", "jupyter", ...args] };
}

export type Prerequisite = "nbformat" | "nbconvert" | "notebook" | "chromium" | "build";

const DEBIAN_HINT = "CI installs them in .ci/run";

interface Probe {
  check: () => string | null;
  install: string;
}

function runs(command: string, args: string[]): string | null {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
  if (result.error) return result.error.message;
  if (result.status !== 0)
    return (result.stderr || result.stdout || `exit code ${result.status}`).trim().split("\n").slice(-3).join(" ");
  return null;
}

const PROBES: Record<Prerequisite, Probe> = {
  nbformat: {
    check: () => runs(PYTHON, ["-c", "import nbformat, nbclient"]),
    install: `Python's nbformat and nbclient for ${PYTHON}: sudo apt-get install python3-nbformat python3-nbclient (or set FITLAB_PYTHON to a Python that has them)`,
  },
  nbconvert: {
    check: () => runs(PYTHON, ["-m", "jupyter", "nbconvert", "--version"]),
    install: "Jupyter's executor: sudo apt-get install jupyter-nbconvert python3-nbclient",
  },
  notebook: {
    check: () => runs(PYTHON, ["-m", "jupyter", "notebook", "--version"]),
    install: "the classic Notebook server: sudo apt-get install jupyter-notebook",
  },
  chromium: {
    check: () => {
      try {
        accessSync(CHROMIUM, constants.X_OK);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
    install: `Chromium at ${CHROMIUM}: sudo apt-get install chromium (or set FITLAB_CHROMIUM to another Chromium; never a downloaded one)`,
  },
  build: {
    check: () => {
      const root = projectRoot();
      const needed = ["dist/lib/index.js", "dist/lib/index.d.ts", "dist/scripts/lesson.js"];
      const missing = needed.filter((file) => !existsSync(path.join(root, file)));
      return missing.length ? `missing ${missing.join(", ")}` : null;
    },
    install: "the compiled library the notebooks import (`..` → dist/lib/index.js): npm run build",
  },
};

/**
 * Throws one error listing every missing prerequisite, what failed and how to install it.
 * Returns normally only when all are there.
 */
export function requirePrerequisites(needs: Prerequisite[]): void {
  const missing: string[] = [];
  for (const need of needs) {
    const problem = PROBES[need].check();
    if (problem !== null) missing.push(`- ${PROBES[need].install}\n    (${problem})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `The real-client tests need programs that are missing on this machine (${DEBIAN_HINT}):\n${missing.join("\n")}`,
    );
  }
}
