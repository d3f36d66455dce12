/**
 * A throw-away folder laid out like the project, so that copies of the lesson notebooks import the
 * library exactly as the originals do (`from ".."` → package.json → dist/lib/index.js):
 *
 *   <tmp>/package.json          a copy of the project's
 *   <tmp>/dist, node_modules    symlinks to the project's (Node and TypeScript follow them to the
 *                               real files, so every other path the library computes from __dirname
 *                               still points into the project)
 *   <tmp>/notebooks/*.ipynb     copies with the parameters injected (runner's injectParameters)
 *   <tmp>/jupyter/data          first on JUPYTER_PATH (jupyterEnv), holding this project's tslab
 *                               kernelspec (runner's registerKernel); also JUPYTER_DATA_DIR, so the
 *                               notebook server's trust database and secret stay in the workspace
 *   <tmp>/jupyter/{config,runtime}  so no user configuration or global runtime file is read or written
 *   <tmp>/images/<label>        a fresh static-image cache per execution (FITLAB_IMAGES_DIR)
 *   <tmp>/runs/<label>          a fresh run cache per execution (FITLAB_RUNS_DIR): every execution trains
 *
 * Nothing is written inside the project; `dispose()` removes the folder.
 */
import { promises as fs, readdirSync } from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../../lib/system/project";
import { resolveParameters } from "../jupyter/execute";
import { jupyterEnv, registerKernel } from "../jupyter/kernelspec";
import { readNotebook, writeNotebookAtomic } from "../jupyter/notebook";
import { ParameterValue, injectParameters } from "../jupyter/parameters";

/** The backend every execution of a test uses (Jupyter's kernel and the runner's alike). */
export const TEST_BACKEND = process.env.FITLAB_BACKEND ?? "wasm";

export interface WorkspaceNotebook {
  /** The lesson notebook it was copied from. */
  source: string;
  /** The copy with the parameters injected. */
  file: string;
  /** Base name without .ipynb, e.g. "01-underfitting-mnist". */
  name: string;
  /** The overrides injected into the copy (metadata.fitlab.quick when quick). */
  parameters: Record<string, ParameterValue>;
}

export interface Workspace {
  dir: string;
  notebooksDir: string;
  jupyterDataDir: string;
  notebooks: WorkspaceNotebook[];
  /** Environment for Jupyter programs and kernels: the local kernelspec, FITLAB_BACKEND, a fresh run cache. */
  env(label: string): NodeJS.ProcessEnv;
  /** A new empty folder inside the workspace. */
  mkdir(name: string): Promise<string>;
  dispose(): Promise<void>;
}

export interface WorkspaceOptions {
  /** Lesson notebooks to copy (absolute paths). */
  notebooks: string[];
  /** Inject each notebook's metadata.fitlab.quick overrides, as `npm run lesson --quick` does. */
  quick: boolean;
}

/**
 * Where the notebooks under test are: notebooks/, or FITLAB_REAL_CLIENT_NOTEBOOKS (a folder, e.g.
 * test/fixtures/real-clients, to check the harness itself). Copies always sit one level below the
 * workspace root, so `..` means the package root for either.
 */
export function notebooksDir(): string {
  return path.resolve(projectRoot(), process.env.FITLAB_REAL_CLIENT_NOTEBOOKS ?? "notebooks");
}

/** The notebooks under test (*.ipynb in reading order), synchronously so jest can name a test per notebook. */
export function lessonNotebooks(): string[] {
  const dir = notebooksDir();
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".ipynb") && !n.startsWith("."))
      .sort();
  } catch {
    // reported below
  }
  return names.map((n) => path.join(dir, n));
}

export async function createWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const root = projectRoot();
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "fitlab-real-clients-")));
  try {
    await fs.copyFile(path.join(root, "package.json"), path.join(dir, "package.json"));
    await fs.symlink(path.join(root, "dist"), path.join(dir, "dist"), "dir");
    await fs.symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    const notebooksDir = path.join(dir, "notebooks");
    const jupyterDataDir = path.join(dir, "jupyter", "data");
    await fs.mkdir(notebooksDir, { recursive: true });
    await fs.mkdir(path.join(dir, "jupyter", "config"), { recursive: true });
    await fs.mkdir(path.join(dir, "jupyter", "runtime"), { recursive: true });
    await registerKernel(jupyterDataDir, root);

    const notebooks: WorkspaceNotebook[] = [];
    for (const source of options.notebooks) {
      const base = path.basename(source);
      const nb = await readNotebook(source);
      const { params, origins } = resolveParameters(nb, base, { quick: options.quick });
      const file = path.join(notebooksDir, base);
      await writeNotebookAtomic(file, injectParameters(nb, params, { file: base, origins }));
      notebooks.push({ source, file, name: path.basename(source, ".ipynb"), parameters: params });
    }

    return {
      dir,
      notebooksDir,
      jupyterDataDir,
      notebooks,
      env(label: string) {
        return {
          ...jupyterEnv(jupyterDataDir),
          // jupyterEnv only adds the kernel's folder to JUPYTER_PATH (npm start keeps the user's
          // data folder); a test must not read or write the user's trust database, so isolate it.
          JUPYTER_DATA_DIR: jupyterDataDir,
          JUPYTER_CONFIG_DIR: path.join(dir, "jupyter", "config"),
          JUPYTER_RUNTIME_DIR: path.join(dir, "jupyter", "runtime"),
          // Jupyter warns when the platform dirs are not used; the explicit ones above are the point.
          JUPYTER_PLATFORM_DIRS: "0",
          FITLAB_BACKEND: TEST_BACKEND,
          FITLAB_RUNS_DIR: path.join(dir, "runs", label),
          // Static images drawn afresh too: a cached image must not hide a broken drawing path.
          FITLAB_IMAGES_DIR: path.join(dir, "images", label),
        };
      },
      async mkdir(name: string) {
        const made = path.join(dir, name);
        await fs.mkdir(made, { recursive: true });
        return made;
      },
      async dispose() {
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
}
