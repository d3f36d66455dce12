/**
 * `npm start`: opens JupyterLab (or the classic Notebook) on notebooks/ with this project's tslab
 * registered in <root>/.jupyter/data, put first on JUPYTER_PATH so Jupyter finds it. Nothing outside
 * the project changes, and the user's own Jupyter data folder (extensions, other kernels, trusted
 * notebooks) stays in use.
 *
 *   npm start                      open the notebooks
 *   npm start -- --no-browser      extra arguments go to Jupyter
 *   npm start -- --dry-run         print what would run, then exit
 */
import { spawn } from "child_process";
import * as path from "path";
import { projectRoot } from "../lib/project";
import { findJupyter, jupyterEnv, registerKernel } from "./jupyter/kernelspec";

export const INSTALL_HELP = `Jupyter is not installed, so there is nothing to open the notebooks in.
Install one of:
  pip install jupyterlab                 (JupyterLab, recommended)
  sudo apt-get install jupyter-notebook  (Debian/Ubuntu: the classic Notebook)
then run \`npm start\` again.

\`npm run lesson\` needs no Jupyter: it runs the notebooks headlessly and writes out/*.html reports.`;

async function main(argv: string[]): Promise<number> {
  const dryRun = argv.includes("--dry-run");
  const extra = argv.filter((arg) => arg !== "--dry-run");
  const root = projectRoot();
  const dataDir = path.join(root, ".jupyter", "data");
  const env = jupyterEnv(dataDir);
  const app = findJupyter(env);
  if (!app) {
    process.stderr.write(INSTALL_HELP + "\n");
    return 1;
  }
  const spec = await registerKernel(dataDir, root);
  const args = [app, `--notebook-dir=${path.join(root, "notebooks")}`, ...extra];
  console.log(`fitlab: tslab kernel registered in ${spec}`);
  console.log(`fitlab: JUPYTER_PATH=${env.JUPYTER_PATH}`);
  console.log(`fitlab: jupyter ${args.join(" ")}`);
  if (dryRun) return 0;
  const child = spawn("jupyter", args, { cwd: root, env, stdio: "inherit" });
  // Ctrl-C reaches Jupyter too (same process group); it asks to confirm, so we only wait for it.
  process.on("SIGINT", () => undefined);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on("error", (error) => {
      process.stderr.write(`fitlab: could not start jupyter: ${error.message}\n`);
      resolve(1);
    });
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`fitlab: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
