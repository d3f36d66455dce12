/**
 * `npm start` (scripts/start.ts): which Jupyter it finds, the kernel it registers, and that it stops
 * whatever it started: real signals to the real CLI running the project's JupyterLab with a tslab
 * kernel, then a stand-in server that ignores SIGTERM or dies hard, leaving a "kernel" in a session of
 * its own. Port in use, a Jupyter that fails, a kernel spec that cannot be written, root: one line each.
 */
import { type ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, mkdtempSync, promises as fs, readFileSync, symlinkSync, writeFileSync } from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { jupyterEnv } from "../scripts/jupyter/kernelspec";
import { type ProcessId, descendants, isAlive } from "../scripts/processTree";
import { INSTALL_COMMAND, type FoundJupyter, StartError, findJupyter, startJupyter } from "../scripts/start";
import { requirePrerequisites } from "../scripts/browser/prerequisites";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "dist", "scripts", "start.js");
const IS_ROOT = process.getuid?.() === 0;

function tmpDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `fitlab-${prefix}-`));
}

/** Jupyter's config and runtime folders in a temporary place: nothing of the user's is read or written. */
function isolatedEnv(): NodeJS.ProcessEnv {
  const dir = tmpDir("start-jupyter");
  return {
    ...process.env,
    JUPYTER_CONFIG_DIR: path.join(dir, "config"),
    JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
    JUPYTER_PLATFORM_DIRS: "0",
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

let lab: FoundJupyter | null | undefined;
/** The JupyterLab npm start finds (probed once: each `jupyter lab --version` takes seconds). */
function jupyterLab(): FoundJupyter {
  lab ??= findJupyter(ROOT, process.env, "lab");
  const found = lab;
  if (!found)
    throw new Error(
      `JupyterLab is not installed in ${ROOT}/.venv nor on PATH; install it with: ${INSTALL_COMMAND} (.ci/run does)`,
    );
  return found;
}

describe("finding Jupyter", () => {
  it("takes the project's .venv first, JupyterLab 4 there", () => {
    const found = jupyterLab();
    expect(found.command).toBe(path.join(ROOT, ".venv", "bin", "jupyter"));
    expect(found.app).toBe("lab");
    expect(found.version).toMatch(/^4\./);
    expect(found.jupyterServer).toBe(true);
    const notebook = findJupyter(ROOT, process.env, "notebook");
    expect(notebook?.name).toMatch(/^Notebook 7\./);
  });

  it("without JupyterLab, says the one command that installs it and fails", async () => {
    const bin = tmpDir("path");
    symlinkSync(process.execPath, path.join(bin, "node"));
    const root = tmpDir("no-venv");
    const env = { ...process.env, PATH: bin };
    expect(findJupyter(root, env)).toBeNull();
    const error = await startJupyter({ root, env, say: () => undefined }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toContain(INSTALL_COMMAND);
    expect((error as Error).message).toContain("`npm run lesson` needs no Jupyter");
  });

  it("registers the kernel in .jupyter/ and prints what it would run (dry run), changing only JUPYTER_PATH", () => {
    const dataDir = path.join(ROOT, ".jupyter", "data");
    const result = spawnSync(process.execPath, [CLI, "--dry-run", "--no-browser"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: "/nonexistent/jupyter" },
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`fitlab: JupyterLab 4`);
    expect(result.stdout).toContain(
      `(.venv/bin/jupyter) lab --notebook-dir=${path.join(ROOT, "notebooks")} --no-browser`,
    );
    expect(result.stdout).toContain(`fitlab: JUPYTER_PATH=${dataDir}${path.delimiter}/nonexistent/jupyter\n`);
    // plotly's JupyterLab extension is off for the lesson, in the project's own page config only.
    const configDir = path.join(ROOT, ".jupyter", "config");
    expect(result.stdout).toContain(
      `fitlab: JUPYTER_CONFIG_PATH=${configDir} (plotly's JupyterLab extension off for the lesson`,
    );
    expect(JSON.parse(readFileSync(path.join(configDir, "labconfig", "page_config.json"), "utf8"))).toEqual({
      disabledExtensions: { "@jupyterlab/plotly-extension:factory": true },
    });
    expect(existsSync(path.join(dataDir, "kernels", "tslab", "kernel.json"))).toBe(true);
    // The Jupyter it would start lists that kernel.
    const listed = spawnSync(jupyterLab().command, ["kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: jupyterEnv(dataDir),
    });
    expect(JSON.parse(listed.stdout).kernelspecs.tslab.resource_dir).toBe(path.join(dataDir, "kernels", "tslab"));
  });
});

/** The CLI started as a user starts it, its output collected, its URL read from its own line. */
class StartedCli {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (chunk: Buffer) => (this.stdout += chunk.toString("utf8")));
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.exit = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** The fitlab lines (Jupyter's own log left out). */
  lines(): string {
    return (this.stdout + this.stderr)
      .split("\n")
      .filter((l) => l.startsWith("fitlab:"))
      .join("\n");
  }

  async url(): Promise<URL> {
    const match = await until(
      `npm start to say where JupyterLab serves (its output so far:\n${this.stdout}\n${this.stderr})`,
      () => (this.child.exitCode === null && /is serving notebooks\/ at (\S+)/.exec(this.stdout)) || undefined,
      120_000,
    );
    return new URL(match[1]);
  }

  kill(signal: NodeJS.Signals): void {
    try {
      this.child.kill(signal);
    } catch {
      // gone
    }
  }
}

describe("npm start stops what it started", () => {
  const leftovers: ProcessId[] = [];
  afterAll(() => {
    // Whatever a failed test left behind is killed here, never left running.
    for (const id of leftovers) if (isAlive(id)) process.kill(id.pid, "SIGKILL");
  });

  it.each(["SIGTERM", "SIGHUP", "SIGINT"] as const)(
    "%s to npm start ends JupyterLab and its tslab kernel, exits 128+n and frees the port",
    async (signal) => {
      jupyterLab();
      const cli = new StartedCli(["--no-browser"], isolatedEnv());
      try {
        const url = await cli.url();
        const token = url.searchParams.get("token")!;
        // As the page does: the _xsrf cookie from a page load, sent back with the POST (jupyter_server
        // does not always skip the check for token-authenticated requests).
        const page = await fetch(url);
        const xsrf = /_xsrf=([^;]+)/.exec(page.headers.get("set-cookie") ?? "")?.[1] ?? "";
        const created = await fetch(`${url.origin}/api/kernels`, {
          method: "POST",
          headers: {
            Authorization: `token ${token}`,
            "Content-Type": "application/json",
            "X-XSRFToken": xsrf,
            Cookie: `_xsrf=${xsrf}`,
          },
          body: JSON.stringify({ name: "tslab" }),
        });
        if (created.status !== 201)
          throw new Error(
            `starting a kernel through ${url.origin}/api/kernels: HTTP ${created.status} ${await created.text()}`,
          );
        // The server and the kernel it started (its own session, so no group signal reaches it).
        const server = await until(
          "the Jupyter server process",
          () => descendants(cli.child.pid!).find(() => true),
          10_000,
        );
        const kernel = await until(
          "the tslab kernel process",
          () => descendants(server.pid).find((id) => /tslab/.test(readCmdline(id.pid))),
          30_000,
        );
        leftovers.push(server, kernel);
        expect(readCmdline(server.pid)).toMatch(/jupyter-lab/);

        cli.kill(signal);
        const exit = await Promise.race([cli.exit, sleep(30_000).then(() => null)]);
        if (!exit) throw new Error(`npm start did not exit within 30 s of ${signal}:\n${cli.lines()}`);
        expect(exit.code).toBe(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
        expect(isAlive(server)).toBe(false);
        expect(isAlive(kernel)).toBe(false);
        expect(cli.lines()).toContain(`fitlab: ${signal}: stopping JupyterLab`);
        // Jupyter shut the kernel down itself: nothing had to be killed.
        expect(cli.lines()).not.toMatch(/killed/);
        await expect(fetch(`${url.origin}/api`)).rejects.toThrow();
      } finally {
        cli.kill("SIGKILL");
      }
    },
    90_000,
  );

  it.each(["SIGHUP", "SIGTERM"] as const)(
    "%s to `npm start`'s npm process (which does not pass it on to the script) still ends JupyterLab",
    async (signal) => {
      jupyterLab();
      const npm = spawn("npm", ["start", "--", "--no-browser"], {
        cwd: ROOT,
        env: isolatedEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      npm.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      npm.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      let script: ProcessId | undefined;
      try {
        await until(
          `npm start to serve (its output so far:\n${output})`,
          () => /is serving notebooks\//.test(output),
          120_000,
        );
        script = descendants(npm.pid!).find((id) => /dist\/scripts\/start\.js/.test(readCmdline(id.pid)));
        if (!script) throw new Error("no start.js process under npm");
        const server = descendants(script.pid).find((id) => /jupyter-lab/.test(readCmdline(id.pid)));
        if (!server) throw new Error("no jupyter-lab process under start.js");
        leftovers.push(script, server);
        npm.kill(signal);
        await until(
          `start.js and JupyterLab to end after ${signal} to npm (output:\n${output})`,
          () => !isAlive(script!) && !isAlive(server),
          30_000,
        );
        expect(output).toMatch(
          /fitlab: npm start \(pid \d+\) was stopped without passing the signal on: stopping Jupyter and its kernels/,
        );
      } finally {
        npm.kill("SIGKILL");
      }
    },
    90_000,
  );

  /** A stand-in Jupyter: answers /api on --port, starts a "kernel" in a session of its own; both can ignore SIGTERM. */
  function fakeJupyter(behaviour: "ignore-sigterm" | "obedient"): FoundJupyter {
    const dir = tmpDir("fake-jupyter");
    const kernel = path.join(dir, "kernel.js");
    writeFileSync(kernel, `process.on("SIGTERM", () => {}); setInterval(() => {}, 1000);\n`);
    const server = path.join(dir, "jupyter");
    writeFileSync(
      server,
      `#!${process.execPath}
const http = require("http");
const { spawn } = require("child_process");
const port = Number(process.argv.find((a) => a.startsWith("--port=")).slice(7));
${behaviour === "ignore-sigterm" ? 'process.on("SIGTERM", () => {});' : ""}
spawn(process.execPath, [${JSON.stringify(kernel)}], { detached: true, stdio: "ignore" });
http.createServer((req, res) => res.end("{}")).listen(port, "127.0.0.1");
`,
      { mode: 0o755 },
    );
    return { command: server, app: "lab", version: "0.0", name: "a stand-in Jupyter", jupyterServer: true };
  }

  it("kills a server that ignores SIGTERM after the grace period, and the kernel it left", async () => {
    const running = await startJupyter({
      jupyter: fakeJupyter("ignore-sigterm"),
      openBrowser: false,
      passThrough: false,
      say: () => undefined,
      env: isolatedEnv(),
    });
    const kernel = await until("the stand-in kernel", () => descendants(running.pid)[0], 10_000);
    leftovers.push(kernel);
    const began = Date.now();
    const report = await running.stop(1_000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1_000);
    expect(report).toEqual({ serverKilled: true, killed: [kernel.pid] });
    expect(isAlive(kernel)).toBe(false);
  });

  it("kills the kernels of a server that died hard (SIGKILL), which Jupyter could not shut down", async () => {
    const running = await startJupyter({
      jupyter: fakeJupyter("obedient"),
      openBrowser: false,
      passThrough: false,
      say: () => undefined,
      env: isolatedEnv(),
    });
    const kernel = await until("the stand-in kernel", () => descendants(running.pid)[0], 10_000);
    leftovers.push(kernel);
    // Long enough for the watch (every 2 s) to have seen the kernel.
    await sleep(2_500);
    process.kill(running.pid, "SIGKILL");
    await running.exited;
    expect(isAlive(kernel)).toBe(true);
    const report = await running.stop();
    expect(report).toEqual({ serverKilled: false, killed: [kernel.pid] });
    expect(isAlive(kernel)).toBe(false);
  });
});

describe("npm start's failures: one line, non-zero exit", () => {
  const runCli = (args: string[], env: NodeJS.ProcessEnv = isolatedEnv()) =>
    spawnSync(process.execPath, [CLI, "--no-browser", ...args], { encoding: "utf8", env, timeout: 120_000 });
  const fitlabLines = (text: string) => text.split("\n").filter((l) => l.startsWith("fitlab:"));

  it("a port in use", async () => {
    jupyterLab();
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as net.AddressInfo).port)),
    );
    try {
      const result = runCli(["--port", String(port)]);
      expect(result.status).toBe(1);
      expect(fitlabLines(result.stderr)).toEqual([
        `fitlab: port ${port} on 127.0.0.1 is in use (another Jupyter?); pass another with \`npm start -- --port <n>\`, or leave --port out and fitlab picks a free one`,
      ]);
    } finally {
      blocker.close();
    }
  });

  it("a Jupyter that fails to start says why, from its log", () => {
    jupyterLab();
    const result = runCli(["--ServerApp.root_dir=/nonexistent/fitlab-notebooks"]);
    expect(result.status).toBe(1);
    const lines = fitlabLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^fitlab: Jupyter exited \(code 1\) before it served the notebooks: .*\/nonexistent\/fitlab-notebooks/,
    );
  });

  it("a kernel spec that cannot be written (the project's .jupyter is not a writable folder)", async () => {
    const root = tmpDir("unwritable-project");
    // A file where the folder should be: refused even for root, which ignores read-only modes.
    writeFileSync(path.join(root, ".jupyter"), "");
    const error = await startJupyter({ root, jupyter: jupyterLab(), say: () => undefined }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot write the tslab kernel spec in ${root}/\\.jupyter/data/kernels/tslab \\((ENOTDIR|EEXIST)\\): npm start registers the kernel inside the project, so ${root}/\\.jupyter must be a folder you can write$`,
      ),
    );
    await fs.rm(root, { recursive: true, force: true });
  });

  it("as root, says so in fitlab's words and passes --allow-root; Jupyter's own refusal becomes one line", async () => {
    const said: string[] = [];
    const env = isolatedEnv();
    const running = await startJupyter({
      jupyter: jupyterLab(),
      uid: 0,
      openBrowser: false,
      passThrough: false,
      say: (l) => said.push(l),
      env,
    });
    try {
      expect(said).toEqual([
        expect.stringMatching(
          /^fitlab: you are root, .* so fitlab passes --allow-root; .*Run npm start as an ordinary user to avoid this\.$/,
        ),
      ]);
      expect((await running.api("/api/status")).ok).toBe(true);
    } finally {
      await running.stop();
    }
    if (IS_ROOT) {
      // Pretending not to be root while being root: Jupyter refuses, and npm start says what to do.
      const refused = await startJupyter({
        jupyter: jupyterLab(),
        uid: 1000,
        openBrowser: false,
        passThrough: false,
        say: () => undefined,
        env,
      }).catch((e: Error) => e);
      expect(refused).toBeInstanceOf(StartError);
      expect((refused as Error).message).toBe(
        "Jupyter refuses to run as root; run `npm start -- --allow-root` (or as an ordinary user)",
      );
    }
  }, 90_000);
});

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

beforeAll(() => requirePrerequisites(["build"]));
