/**
 * Registers the project's tslab as a Jupyter kernel in a project-local data folder, and finds which
 * Jupyter front end is installed. Nothing global is touched: the caller points Jupyter at the folder
 * through JUPYTER_DATA_DIR / JUPYTER_PATH (see jupyterEnv).
 */
import { spawnSync } from "child_process";
import { promises as fs } from "fs";
import * as path from "path";
import { writeFileAtomic } from "./notebook";
import { projectRoot } from "./kernel";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal";
}

/**
 * Writes `<dataDir>/kernels/tslab/kernel.json`, starting this project's node_modules/.bin/tslab (the
 * same kernel `npm run lesson` uses), and returns its path. This is what `tslab install --prefix`
 * writes, without needing Python for the install step.
 */
export async function registerKernel(dataDir: string, root = projectRoot()): Promise<string> {
  const spec: KernelSpec = {
    argv: [path.join(root, "node_modules", ".bin", "tslab"), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript (tslab)",
    language: "typescript",
    interrupt_mode: "signal",
  };
  const dir = path.join(dataDir, "kernels", "tslab");
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, "kernel.json");
  await writeFileAtomic(file, JSON.stringify(spec, null, 2) + "\n");
  return file;
}

/** The environment that makes Jupyter find kernels in `dataDir` first (existing paths are kept after it). */
export function jupyterEnv(dataDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const jupyterPath = [dataDir, base.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  return { ...base, JUPYTER_DATA_DIR: dataDir, JUPYTER_PATH: jupyterPath };
}

export type JupyterFrontEnd = "lab" | "notebook";

/** JupyterLab if `jupyter lab --version` works, else classic Notebook, else null. */
export function findJupyter(env: NodeJS.ProcessEnv = process.env): JupyterFrontEnd | null {
  for (const app of ["lab", "notebook"] as const) {
    const probe = spawnSync("jupyter", [app, "--version"], { env, stdio: "ignore", timeout: 60_000 });
    if (!probe.error && probe.status === 0) return app;
  }
  return null;
}
