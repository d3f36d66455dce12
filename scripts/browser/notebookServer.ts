/**
 * The classic Notebook server (notebook 6.x) on 127.0.0.1, a free port and a random token, serving
 * one folder. `stop()` shuts its kernels down through the REST API, ends the server, and kills any
 * kernel process still holding a connection file in the workspace's runtime folder.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import { promises as fs } from "fs";
import * as net from "net";
import { jupyterCommand } from "./prerequisites";

export interface NotebookServer {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  token: string;
  /** `${baseUrl}/notebooks/<relative>?token=…` */
  notebookUrl(relative: string): string;
  /** GET/PUT/… on the REST API with the token. */
  api(pathname: string, init?: RequestInit): Promise<Response>;
  /** The server's log so far (stdout and stderr). */
  log(): string;
  /** Shuts kernels and server down; safe to call twice. Returns the pids of kernels that had to be killed. */
  stop(): Promise<number[]>;
}

/** A port that was free a moment ago on 127.0.0.1 (the server is told not to try others). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Pids of live processes whose command line mentions `needle` (here: the workspace's runtime folder). */
async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await fs.readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(needle)) found.push(Number(entry));
  }
  return found;
}

export interface StartOptions {
  notebookDir: string;
  /** The workspace environment (JUPYTER_PATH with the tslab kernelspec, config/runtime dirs, FITLAB_*). */
  env: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export async function startNotebookServer(options: StartOptions): Promise<NotebookServer> {
  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  const baseUrl = `http://127.0.0.1:${port}`;
  const runtimeDir = options.env.JUPYTER_RUNTIME_DIR;
  if (!runtimeDir)
    throw new Error("startNotebookServer: env.JUPYTER_RUNTIME_DIR must be the workspace's own runtime folder");
  const { command, args } = jupyterCommand([
    "notebook",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    `--NotebookApp.token=${token}`,
    `--NotebookApp.notebook_dir=${options.notebookDir}`,
    // No calls home: the server must not fetch anything (nbextensions config, MathJax CDN, …).
    "--NotebookApp.enable_mathjax=False",
    // CI containers run as root, which the server refuses without this.
    ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ]);
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.notebookDir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  let startError: Error | undefined;
  child.on("error", (error) => (startError = error));

  const api = (pathname: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${pathname}`, { ...init, headers: { Authorization: `token ${token}`, ...(init.headers ?? {}) } });

  let stopped = false;
  const stop = async (): Promise<number[]> => {
    if (stopped) return [];
    stopped = true;
    if (!exited(child)) {
      // Kernels first, through the server (it knows their process groups), then the server itself.
      try {
        const kernels = (await (await api("/api/kernels")).json()) as { id: string }[];
        await Promise.all(kernels.map((k) => api(`/api/kernels/${k.id}`, { method: "DELETE" })));
      } catch {
        // the server is not answering: the signals below and the sweep still apply
      }
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      if (!(await waitForExit(child, 15_000))) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
        await waitForExit(child, 5_000);
      }
    }
    // Kernels run in their own sessions (jupyter_client starts them with start_new_session), so the
    // group signal does not reach them: any still alive with a connection file of ours is killed.
    // They get a few seconds to finish the shutdown the server asked for.
    let leftovers = await processesMentioning(runtimeDir);
    for (let waited = 0; leftovers.length > 0 && waited < 5_000; waited += 250) {
      await sleep(250);
      leftovers = await processesMentioning(runtimeDir);
    }
    for (const pid of leftovers) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
    return leftovers;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (startError || exited(child)) {
      await stop();
      throw new Error(
        `the notebook server did not start (${startError?.message ?? `exit ${child.exitCode ?? child.signalCode}`}):\n${log}`,
      );
    }
    try {
      const response = await api("/api/status");
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the notebook server did not answer on ${baseUrl} within ${(options.startTimeoutMs ?? 60_000) / 1000} s:\n${log}`,
      );
    }
    await sleep(250);
  }

  return {
    baseUrl,
    token,
    notebookUrl: (relative) =>
      `${baseUrl}/notebooks/${relative.split("/").map(encodeURIComponent).join("/")}?token=${token}`,
    api,
    log: () => log,
    stop,
  };
}
