/**
 * Registers the project's tslab as a Jupyter kernel in a project-local data folder. Nothing global
 * is touched: the caller puts the folder first on JUPYTER_PATH (see jupyterEnv), so Jupyter finds
 * the kernel there while the user's own data folder (labextensions, other kernels, the trust
 * database) stays what it was. Which Jupyter to run is scripts/start.ts's business.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../../lib/system/atomicWrite";
import { projectRoot } from "../../lib/system/project";
import { kernelCommand } from "./kernel";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal";
}

/**
 * Writes `<dataDir>/kernels/tslab/kernel.json`, starting this project's tslab through fitlab's kernel
 * wrapper (scripts/kernel/tslabKernel.ts: the same kernel `npm run lesson` uses, which survives an
 * uncaught error or a malformed message), and returns its path. This is what `tslab install --prefix`
 * writes, without needing Python for the install step.
 */
export async function registerKernel(dataDir: string, root = projectRoot()): Promise<string> {
  const spec: KernelSpec = {
    argv: kernelCommand(root, "{connection_file}"),
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

/**
 * The environment that makes Jupyter find kernels in `dataDir` first: `dataDir` is prepended to
 * JUPYTER_PATH (the highest-priority data search path) and any existing entries follow it.
 *
 * JUPYTER_DATA_DIR is deliberately left alone: it is the user's *writable* data folder, and
 * pointing it into the project would hide ~/.local/share/jupyter (labextensions such as
 * jupyterlab-plotly, other kernels) and move the notebook trust database and cookie secret into
 * the repository. Callers that want an isolated data folder (the tests' workspaces) set it themselves.
 */
export function jupyterEnv(dataDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const existing = (base.JUPYTER_PATH ?? "").split(path.delimiter).filter((entry) => entry !== "" && entry !== dataDir);
  return { ...base, JUPYTER_PATH: [dataDir, ...existing].join(path.delimiter) };
}
