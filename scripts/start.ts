/**
 * `npm start`: opens JupyterLab on notebooks/ with this project's tslab registered in
 * <root>/.jupyter/data, put first on JUPYTER_PATH so Jupyter finds it. Nothing outside the project
 * changes, and the user's own Jupyter data folder (extensions, other kernels, trusted notebooks)
 * stays in use. Whatever it starts it stops: SIGINT, SIGTERM and SIGHUP are forwarded to the
 * Jupyter server as its own clean shutdown (which shuts its kernels down), and after a grace period
 * the server and every process it started (kernels run in sessions of their own) are killed.
 *
 *   npm start                      open the notebooks (JupyterLab from .venv/, else from PATH)
 *   npm start -- --no-browser      extra arguments go to Jupyter (--port 9000, --ip 0.0.0.0, …)
 *   npm start -- --dry-run         print what would run, then exit
 *   npm start -- --plotly-extension   keep plotly's own JupyterLab renderer on (off for the lesson)
 *
 * plotly's JupyterLab extension (`jupyterlab-plotly`, which PyPI's plotly 7 installs next to
 * JupyterLab) is switched off for this server only, in the project's own page config
 * (<root>/.jupyter/config/labconfig/page_config.json, first on JUPYTER_CONFIG_PATH): with it, a
 * notebook saved and reopened shows static PNGs it wrote into the outputs instead of interactive
 * charts (measured in test/jupyterlab-e2e.test.ts; README "Where the figures show").
 *
 * `startJupyter` is the same start as a function: the end-to-end tests run the lesson in the very
 * server `npm start` would start. This file does not touch the kernel or the notebooks.
 */
import { type ChildProcess, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { existsSync, promises as fs } from "fs";
import * as net from "net";
import * as path from "path";
import { projectRoot } from "../lib/system/project";
import { jupyterEnv, registerKernel } from "./jupyter/kernelspec";
import { type ProcessId, ancestors, commandLine, descendants, isAlive, remember, signalAll } from "./processTree";

/** The one command that installs the project's pinned JupyterLab (and Notebook 7, plotly) into .venv/. */
export const INSTALL_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt";

export const INSTALL_HELP = `fitlab: JupyterLab is not installed, so there is nothing to open the notebooks in. Install it into the project (the pinned JupyterLab 4, Notebook 7 and plotly of requirements.txt, nothing global) with:
  ${INSTALL_COMMAND}
then run \`npm start\` again. (A \`jupyter lab\` on your PATH works too.) \`npm run lesson\` needs no Jupyter: it runs the notebooks headlessly and writes out/*.html reports.`;

export type FrontEnd = "lab" | "notebook";

export interface FoundJupyter {
  /** The `jupyter` program: <root>/.venv/bin/jupyter, or "jupyter" from PATH. */
  command: string;
  app: FrontEnd;
  /** What `jupyter <app> --version` printed, e.g. "4.6.6". */
  version: string;
  /** For messages: "JupyterLab 4.6.6", "Notebook 7.6.5", "classic Notebook 6.4.12". */
  name: string;
  /** True when it runs on jupyter_server (JupyterLab, Notebook 7), false for the classic Notebook 6. */
  jupyterServer: boolean;
}

function probe(command: string, app: FrontEnd, env: NodeJS.ProcessEnv): FoundJupyter | null {
  const result = spawnSync(command, [app, "--version"], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 60_000,
  });
  if (result.error || result.status !== 0) return null;
  const version = result.stdout.trim().split("\n").pop() ?? "";
  const major = Number(version.split(".")[0]);
  const jupyterServer = app === "lab" || major >= 7;
  const name =
    app === "lab" ? `JupyterLab ${version}` : jupyterServer ? `Notebook ${version}` : `classic Notebook ${version}`;
  return { command, app, version, name, jupyterServer };
}

/**
 * The Jupyter to open: the project's .venv/ first, then PATH; JupyterLab before the Notebook unless
 * `app` is "notebook" (then only the Notebook). Null when there is none.
 */
export function findJupyter(root: string, env: NodeJS.ProcessEnv, app?: FrontEnd): FoundJupyter | null {
  const venv = path.join(root, ".venv", "bin", "jupyter");
  const commands = existsSync(venv) ? [venv, "jupyter"] : ["jupyter"];
  const apps: FrontEnd[] = app ? [app] : ["lab", "notebook"];
  for (const a of apps) {
    for (const command of commands) {
      const found = probe(command, a, env);
      if (found) return found;
    }
  }
  return null;
}

/** A failure of npm start said in one line (the CLI prints it after "fitlab: " and exits 1). */
export class StartError extends Error {}

/** The value of `--name=value` or `--name value` for any of `names` in `args` (the last one wins). */
export function optionValue(args: string[], names: string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    for (const name of names) {
      if (args[i] === name && i + 1 < args.length) value = args[i + 1];
      else if (args[i].startsWith(`${name}=`)) value = args[i].slice(name.length + 1);
    }
  }
  return value;
}

const PORT_OPTIONS = ["--port", "--ServerApp.port", "--NotebookApp.port"];
const IP_OPTIONS = ["--ip", "--ServerApp.ip", "--NotebookApp.ip"];

/** Whether `port` can be listened on at `host` right now. */
export function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The first free port from `from` on (Jupyter's own default is 8888, then the next ones). */
async function firstFreePort(from: number, host: string): Promise<number> {
  for (let port = from; port < from + 50; port++) if (await portIsFree(port, host)) return port;
  throw new StartError(`no free port among ${from}–${from + 49} on ${host}; pass one with \`npm start -- --port <n>\``);
}

export interface StartOptions {
  /** The project (default: this one); the kernel is registered in <root>/.jupyter/data. */
  root?: string;
  /** The folder Jupyter serves (default <root>/notebooks). */
  notebookDir?: string;
  /** "lab" (default: JupyterLab, else the Notebook) or "notebook" (the Notebook only). */
  app?: FrontEnd;
  /** Which Jupyter to run (default: findJupyter). */
  jupyter?: FoundJupyter;
  /** The environment Jupyter gets, before JUPYTER_PATH is set (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Arguments passed on to Jupyter as given (--port, --ip and a token option among them are read). */
  extraArgs?: string[];
  /** The token (default: random, unless extraArgs set one). */
  token?: string;
  /** Let Jupyter open a browser (default true; false adds --no-browser). */
  openBrowser?: boolean;
  /** Lines for the user ("fitlab: …"). Default: stdout. */
  say?: (line: string) => void;
  /** Jupyter's own output as it comes. Default: passed through to stdout/stderr; tests collect it. */
  passThrough?: boolean;
  /** How long Jupyter may take to answer (default 120 s). */
  startTimeoutMs?: number;
  /** uid to decide root by (default process.getuid()); tests pretend. */
  uid?: number;
  /** Keep plotly's JupyterLab extension on (default false: fitlab's own HTML draws the charts). */
  plotlyExtension?: boolean;
}

/**
 * The plugin of the JupyterLab extension PyPI's plotly installs (package jupyterlab-plotly), which npm
 * start switches off for the lesson. JupyterLab matches disabledExtensions against plugin ids (and
 * their part before ":"), not package names: "jupyterlab-plotly" there disables nothing (measured:
 * the charts were still plotly's, with the PNGs it stores).
 */
export const PLOTLY_PLUGIN = "@jupyterlab/plotly-extension:factory";

/**
 * Writes the project's page config (plotly's extension disabled) and returns `env` with its folder
 * first on JUPYTER_CONFIG_PATH, so only the servers fitlab starts read it.
 */
export async function withLessonPageConfig(root: string, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const dir = path.join(root, ".jupyter", "config");
  await fs.mkdir(path.join(dir, "labconfig"), { recursive: true });
  await fs.writeFile(
    path.join(dir, "labconfig", "page_config.json"),
    `${JSON.stringify({ disabledExtensions: { [PLOTLY_PLUGIN]: true } }, null, 1)}\n`,
  );
  const existing = (env.JUPYTER_CONFIG_PATH ?? "")
    .split(path.delimiter)
    .filter((entry) => entry !== "" && entry !== dir);
  return { ...env, JUPYTER_CONFIG_PATH: [dir, ...existing].join(path.delimiter) };
}

export interface StopReport {
  /** The server did not exit within the grace period and was killed. */
  serverKilled: boolean;
  /** Pids of processes it started (kernels) that outlived it and were killed. */
  killed: number[];
}

export interface RunningJupyter {
  jupyter: FoundJupyter;
  pid: number;
  /** http://<ip>:<port> */
  baseUrl: string;
  /** The token (null when the user set their own through extraArgs). */
  token: string | null;
  /** The page to open: /lab or /tree, with the token. */
  url: string;
  /** REST call with the token. */
  api(pathname: string, init?: RequestInit): Promise<Response>;
  /** Everything Jupyter printed so far. */
  log(): string;
  /** Resolves when the server process has exited (its code, or 1 after a signal). */
  exited: Promise<number>;
  /**
   * Asks the server to shut down (SIGTERM: Jupyter's own clean stop, kernels included), waits up to
   * `graceMs` (default 10 s), then kills it and anything it started that is still alive. Safe to
   * call more than once (later calls wait for the first; `graceMs` 0 hurries a stop under way).
   */
  stop(graceMs?: number): Promise<StopReport>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Why Jupyter stopped before serving, from its log: one line. */
export function startFailure(log: string, port: number, host: string, code: number | null): string {
  if (/port \d+ is not available|is already in use|Address already in use/i.test(log)) {
    return `port ${port} on ${host} is in use (another Jupyter?); pass another with \`npm start -- --port <n>\`, or leave --port out and fitlab picks a free one`;
  }
  if (/Running as root is not recommended/.test(log)) {
    return "Jupyter refuses to run as root; run `npm start -- --allow-root` (or as an ordinary user)";
  }
  const lines = log
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const reason =
    [...lines].reverse().find((l) => /\b(Error|ERROR|Exception)\b|^\[C /.test(l) && !/^Traceback/.test(l)) ??
    lines[lines.length - 1] ??
    "no output";
  return `Jupyter exited (code ${code ?? "?"}) before it served the notebooks: ${reason.replace(/^\[[A-Z] [^\]]*\]\s*/, "")}`;
}

/**
 * Registers the tslab kernel in <root>/.jupyter/data and starts Jupyter on the notebooks, resolved
 * once it answers. Throws StartError (one line) when there is no Jupyter, the kernel spec cannot be
 * written, the port is taken, or Jupyter exits or stays silent.
 */
export async function startJupyter(options: StartOptions = {}): Promise<RunningJupyter> {
  const root = options.root ?? projectRoot();
  const say = options.say ?? ((line: string) => console.log(line));
  const dataDir = path.join(root, ".jupyter", "data");
  let env = jupyterEnv(dataDir, options.env ?? process.env);
  const jupyter = options.jupyter ?? findJupyter(root, env, options.app);
  if (!jupyter) throw new StartError(INSTALL_HELP.replace(/^fitlab: /, ""));

  try {
    await registerKernel(dataDir, root);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new StartError(
      `cannot write the tslab kernel spec in ${path.join(dataDir, "kernels", "tslab")} (${e.code ?? e.message}): npm start registers the kernel inside the project, so ${path.join(root, ".jupyter")} must be a folder you can write`,
    );
  }
  if (!options.plotlyExtension) {
    try {
      env = await withLessonPageConfig(root, env);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new StartError(
        `cannot write the lesson's page config in ${path.join(root, ".jupyter", "config")} (${e.code ?? e.message}); pass --plotly-extension to start without it`,
      );
    }
  }

  const extra = [...(options.extraArgs ?? [])];
  const host = optionValue(extra, IP_OPTIONS) ?? "127.0.0.1";
  const given = optionValue(extra, PORT_OPTIONS);
  let port: number;
  if (given !== undefined) {
    port = Number(given);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new StartError(`--port ${given}: expected a port number 1..65535`);
    const probeHost = host === "0.0.0.0" || host === "" || host === "*" ? "0.0.0.0" : host;
    if (!(await portIsFree(port, probeHost)))
      throw new StartError(startFailure("port is already in use", port, host, null));
  } else {
    port = await firstFreePort(8888, host === "0.0.0.0" || host === "*" || host === "" ? "0.0.0.0" : host);
  }
  const userToken = extra.some((arg) => /^--(\w+\.)?token\b/i.test(arg));
  const token = userToken ? null : (options.token ?? randomBytes(24).toString("hex"));
  const notebookDir = options.notebookDir ?? path.join(root, "notebooks");

  const uid = options.uid ?? process.getuid?.();
  const args = [jupyter.app, `--notebook-dir=${notebookDir}`];
  if (optionValue(extra, IP_OPTIONS) === undefined) args.push(`--ip=${host}`);
  if (given === undefined) args.push(`--port=${port}`);
  if (!extra.some((arg) => arg.startsWith("--port-retries") || /\.port_retries/.test(arg)))
    args.push("--port-retries=0");
  if (token !== null) args.push(`--${jupyter.jupyterServer ? "IdentityProvider" : "NotebookApp"}.token=${token}`);
  if (options.openBrowser === false && !extra.includes("--no-browser")) args.push("--no-browser");
  if (uid === 0 && !extra.includes("--allow-root")) {
    say(
      "fitlab: you are root, and Jupyter refuses root unless told (a notebook runs code with the rights of whoever started the server), so fitlab passes --allow-root; the server listens on " +
        `${host} with a token. Run npm start as an ordinary user to avoid this.`,
    );
    args.push("--allow-root");
  }
  args.push(...extra);

  const child = spawn(jupyter.command, args, { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const passThrough = options.passThrough ?? true;
  child.stdout!.on("data", (chunk: Buffer) => {
    log += chunk.toString("utf8");
    if (passThrough) process.stdout.write(chunk);
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    log += chunk.toString("utf8");
    if (passThrough) process.stderr.write(chunk);
  });
  let spawnError: Error | undefined;
  child.on("error", (error) => (spawnError = error));
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on("error", () => resolve(1));
  });
  // Keep a list of what the server started, so kernels orphaned by a hard crash are found too.
  let started: ProcessId[] = [];
  const watch = setInterval(() => {
    if (child.pid !== undefined && !hasExited(child)) started = remember(started, descendants(child.pid));
  }, 2_000);
  watch.unref();
  void exited.then(() => clearInterval(watch));

  const urlHost =
    host === "0.0.0.0" || host === "" || host === "*" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}`;
  const api = (pathname: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${pathname}`, {
      ...init,
      headers: { ...(token ? { Authorization: `token ${token}` } : {}), ...(init.headers ?? {}) },
    });

  let stopping: Promise<StopReport> | undefined;
  let hurry: (() => void) | undefined;
  const stop = (graceMs = 10_000): Promise<StopReport> => {
    if (stopping) {
      if (graceMs === 0) hurry?.();
      return stopping;
    }
    stopping = (async () => {
      let serverKilled = false;
      if (child.pid !== undefined && !hasExited(child)) {
        started = remember(started, descendants(child.pid));
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // already gone
        }
        const ended = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), graceMs);
          hurry = () => {
            clearTimeout(timer);
            resolve(false);
          };
          void exited.then(() => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        if (!ended && !hasExited(child)) {
          started = remember(started, descendants(child.pid));
          serverKilled = true;
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
          await Promise.race([exited, sleep(5_000)]);
        }
      }
      // Kernels live in sessions of their own: whatever of them the shutdown did not end gets a short
      // while more (a kernel asked to shut down may still be exiting), then SIGKILL.
      for (let waited = 0; started.some(isAlive) && waited < 3_000; waited += 100) await sleep(100);
      const killed = signalAll(started, "SIGKILL");
      for (let waited = 0; killed.some(isAlive) && waited < 2_000; waited += 50) await sleep(50);
      clearInterval(watch);
      return { serverKilled, killed: killed.map((id) => id.pid) };
    })();
    return stopping;
  };

  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      await stop(0);
      throw new StartError(`could not start ${jupyter.command}: ${spawnError.message}`);
    }
    if (hasExited(child)) {
      await stop(0);
      throw new StartError(startFailure(log, port, host, child.exitCode));
    }
    try {
      // /api answers without a token on JupyterLab, Notebook 7 and the classic Notebook alike.
      const response = await fetch(`${baseUrl}/api`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop(5_000);
      throw new StartError(
        `${jupyter.name} did not answer on ${baseUrl} within ${timeoutMs / 1000} s; its log ends: ${log.trim().split("\n").slice(-3).join(" | ")}`,
      );
    }
    await sleep(200);
  }
  const page = jupyter.app === "lab" ? "/lab" : "/tree";
  const url = `${baseUrl}${page}${token ? `?token=${token}` : ""}`;
  return { jupyter, pid: child.pid!, baseUrl, token, url, api, log: () => log, exited, stop };
}

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * When npm runs this (`npm start`), the processes between it and npm, npm included (`sh -c …`,
 * `npm start`). npm passes SIGTERM only to the shell, which dies without passing it on, and SIGHUP
 * not at all: watching them is how this process learns that `npm start` was stopped. Empty when not
 * run by npm (then signals come straight here).
 */
function npmChain(): ProcessId[] {
  if (!process.env.npm_lifecycle_event) return [];
  const chain: ProcessId[] = [];
  for (const id of ancestors(process.pid)) {
    chain.push(id);
    if (/(^|[\s/])npm(-cli\.js)?(\s|$)/.test(commandLine(id.pid))) return chain;
  }
  return [];
}
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The CLI: returns the exit code (0 when Jupyter ended on its own cleanly, 128+n after a signal). */
export async function main(argv: string[]): Promise<number> {
  const dryRun = argv.includes("--dry-run");
  const plotlyExtension = argv.includes("--plotly-extension");
  const extra = argv.filter((arg) => arg !== "--dry-run" && arg !== "--plotly-extension");
  const root = projectRoot();
  const dataDir = path.join(root, ".jupyter", "data");
  const env = jupyterEnv(dataDir);
  const jupyter = findJupyter(root, env);
  if (!jupyter) {
    process.stderr.write(INSTALL_HELP + "\n");
    return 1;
  }
  if (jupyter.app !== "lab") {
    console.log(`fitlab: no JupyterLab found, opening ${jupyter.name} instead; for JupyterLab: ${INSTALL_COMMAND}`);
  }
  const where = path.isAbsolute(jupyter.command) ? path.relative(root, jupyter.command) : "jupyter on PATH";
  if (dryRun) {
    const spec = await registerKernel(dataDir, root);
    console.log(`fitlab: tslab kernel registered in ${spec}`);
    console.log(`fitlab: JUPYTER_PATH=${env.JUPYTER_PATH}`);
    if (!plotlyExtension)
      console.log(
        `fitlab: JUPYTER_CONFIG_PATH=${(await withLessonPageConfig(root, env)).JUPYTER_CONFIG_PATH} (plotly's JupyterLab extension off for the lesson; --plotly-extension keeps it)`,
      );
    console.log(
      `fitlab: ${jupyter.name} (${where}) ${jupyter.app} --notebook-dir=${path.join(root, "notebooks")} ${extra.join(" ")}`.trimEnd(),
    );
    return 0;
  }

  // The terminal or pipe may be gone (a closed terminal, a killed npm): stopping must not fail on it.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  // Signals that arrive while Jupyter starts are kept and acted on as soon as there is a server.
  let received: NodeJS.Signals | undefined;
  let server: RunningJupyter | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received && server) {
      // A second Ctrl-C: no more waiting.
      process.stderr.write(`fitlab: ${signal} again: killing Jupyter and its kernels now\n`);
      void server.stop(0);
      return;
    }
    received = signal;
    if (server) {
      process.stderr.write(
        `fitlab: ${signal}: stopping ${server.jupyter.name} and its kernels (up to 10 s; ${signal === "SIGINT" ? "Ctrl-C again" : "the signal again"} to kill at once)\n`,
      );
      void server.stop();
    }
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  const chain = npmChain();
  const watchNpm = setInterval(() => {
    const gone = chain.find((id) => !isAlive(id));
    if (!gone || received) return;
    process.stderr.write(
      `fitlab: npm start (pid ${chain[chain.length - 1].pid}) was stopped without passing the signal on: stopping Jupyter and its kernels\n`,
    );
    onSignal("SIGHUP");
  }, 1_000);
  watchNpm.unref();

  try {
    server = await startJupyter({ root, jupyter, extraArgs: extra, plotlyExtension });
  } catch (error) {
    if (error instanceof StartError) {
      process.stderr.write(`fitlab: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  console.log(
    `fitlab: tslab kernel registered in ${path.join(dataDir, "kernels", "tslab")} (JUPYTER_PATH=${env.JUPYTER_PATH})`,
  );
  console.log(`fitlab: ${server.jupyter.name} (${where}) is serving notebooks/ at ${server.url}`);
  if (!plotlyExtension)
    console.log(
      "fitlab: plotly's JupyterLab extension is off for this server (fitlab's charts stay interactive when a notebook is reopened); --plotly-extension keeps it on",
    );
  console.log("fitlab: Ctrl-C stops it and its kernels");
  if (received) {
    process.stderr.write(
      `fitlab: ${received} while Jupyter started: stopping ${server.jupyter.name} and its kernels\n`,
    );
    void server.stop();
  }

  const code = await server.exited;
  const report = await server.stop();
  if (report.serverKilled)
    process.stderr.write(`fitlab: ${server.jupyter.name} did not stop within 10 s and was killed\n`);
  if (report.killed.length > 0)
    process.stderr.write(
      `fitlab: killed ${report.killed.length} kernel process(es) Jupyter left behind: ${report.killed.join(", ")}\n`,
    );
  if (received) return 128 + SIGNAL_NUMBERS[received];
  if (code !== 0) process.stderr.write(`fitlab: ${server.jupyter.name} exited with code ${code}\n`);
  return code;
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
