/**
 * `npm run lesson` against faults injected for real: a disk that fills up while the outputs are
 * written (a 1 MB tmpfs, mounted in a private mount namespace so nothing outside the test sees it;
 * where no namespace can be made, a preloaded hook that fails writes with ENOSPC), SIGTERM at each
 * stage (the kernel starting, a cell that never yields, the static images being drawn), and bad
 * parameters and malformed notebooks, which must be refused before any kernel starts.
 */
import { spawn, spawnSync } from "child_process";
import * as fsSync from "fs";
import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { requirePrerequisites } from "../scripts/browser/prerequisites";
import { readNotebook } from "../scripts/jupyter/notebook";
import { formatBytes } from "../scripts/jupyter/outputWrite";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "dist", "scripts", "lesson.js");
const FIXTURES = path.join(__dirname, "fixtures", "notebooks");
const fixture = (name: string) => path.join(FIXTURES, name);

function tmpDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `fitlab-${prefix}-`));
}

beforeAll(() => requirePrerequisites(["build"]));

describe("a full disk while the outputs are written", () => {
  /**
   * A stand-in for a full disk where no tmpfs can be mounted (no CAP_SYS_ADMIN and no user
   * namespaces): preloaded into the runner, it fails writes into one folder with a real ENOSPC error
   * once `FITLAB_FAKE_FULL_BYTES` are used, and reports what is left as that folder's free space.
   */
  const FULL_DISK_HOOK = `"use strict";
const fs = require("fs"), path = require("path");
const dir = path.resolve(process.env.FITLAB_FAKE_FULL_DIR);
let left = Number(process.env.FITLAB_FAKE_FULL_BYTES);
const open = fs.promises.open;
fs.promises.open = async function (file, ...rest) {
  const handle = await open.call(this, file, ...rest);
  if (path.dirname(path.resolve(String(file))) !== dir) return handle;
  const writeFile = handle.writeFile.bind(handle);
  handle.writeFile = async (data, ...more) => {
    const size = Buffer.byteLength(data);
    if (size > left) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });
    left -= size;
    return writeFile(data, ...more);
  };
  return handle;
};
const statfs = fs.promises.statfs;
fs.promises.statfs = async function (p, ...rest) {
  const stats = await statfs.call(this, p, ...rest);
  return path.resolve(String(p)) === dir ? { ...stats, bsize: 1, bavail: left } : stats;
};`;

  /**
   * Runs the CLI with its output folder on a tmpfs of `megabytes`, mounted in a new mount namespace
   * (`unshare --mount`, and a user namespace when not root), so the mount needs no cleanup and no
   * other process sees it; the folder's listing and results.json are printed after the run, since the
   * tmpfs goes with the namespace. Where no namespace can be made, says why and injects the fault
   * with FULL_DISK_HOOK instead.
   */
  function runOnSmallDisk(megabytes: number, args: string[]) {
    const dir = tmpDir("small-disk");
    const out = path.join(dir, "out");
    const script = [
      "size=$1; dir=$2; shift 2",
      'mount -t tmpfs -o size="$size" tmpfs "$dir" || exit 97',
      '"$@"; code=$?',
      'echo "@@@files"; ls -A "$dir/out"',
      'echo "@@@results"; cat "$dir/out/results.json"',
      "exit $code",
    ].join("\n");
    const asRoot = process.getuid?.() === 0;
    const result = spawnSync(
      "unshare",
      [
        ...(asRoot ? [] : ["--user", "--map-root-user"]),
        "--mount",
        "sh",
        "-c",
        script,
        "sh",
        `${megabytes}m`,
        dir,
        process.execPath,
        CLI,
        ...args,
        "--out",
        out,
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 180_000 },
    );
    if (!result.error && result.status !== 97 && !/^unshare: /m.test(result.stderr)) {
      const [output, after = ""] = result.stdout.split("@@@files\n");
      const [files, results] = after.split("@@@results\n");
      return {
        out,
        status: result.status,
        stdout: output,
        stderr: result.stderr,
        files: files.trim().split("\n").filter(Boolean),
        results,
      };
    }
    console.log(
      `no private tmpfs possible here (${(result.error?.message ?? result.stderr).trim().split("\n")[0]}): ENOSPC injected by a preloaded hook instead`,
    );
    return runWithHook(megabytes, args);
  }

  /** The CLI with FULL_DISK_HOOK preloaded: its output folder holds `megabytes` at most. */
  function runWithHook(megabytes: number, args: string[]) {
    const dir = tmpDir("full-hook");
    const out = path.join(dir, "out");
    const hook = path.join(dir, "full-disk.js");
    writeFileSync(hook, FULL_DISK_HOOK);
    fsSync.mkdirSync(out);
    const env = {
      ...process.env,
      FITLAB_FAKE_FULL_DIR: out,
      FITLAB_FAKE_FULL_BYTES: String(megabytes * 1024 * 1024),
      NODE_OPTIONS: `--require ${JSON.stringify(hook)}`,
    };
    const fallback = spawnSync(process.execPath, [CLI, ...args, "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
      env,
      timeout: 180_000,
    });
    return {
      out,
      status: fallback.status,
      stdout: fallback.stdout,
      stderr: fallback.stderr,
      files: readdirSync(out),
      results: readFileSync(path.join(out, "results.json"), "utf8"),
    };
  }

  it.each([
    ["a real 1 MB tmpfs (or the hook where none can be mounted)", false],
    ["the preloaded hook (the fallback itself, so it is known to work)", true],
  ])(
    "says in one line which file did not fit and how much it needed, keeps what was written, exits 1: %s",
    (_how, hookOnly) => {
      // ok.ipynb's executed notebook (~0.1 MB) fits in 1 MB; its report (plotly.js inlined, ~4.6 MB) does not.
      const run = hookOnly
        ? runWithHook(1, [fixture("ok.ipynb"), "--quick", "--jobs", "1"])
        : runOnSmallDisk(1, [fixture("ok.ipynb"), "--quick", "--jobs", "1"]);
      const out = run.out;
      const line = new RegExp(
        `^✖ fitlab lesson: could not write ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/ok\\.html: the disk is full \\(the file needs (\\d+\\.\\d) MB, ([\\d.]+) KB free\\); free some space and run again$`,
        "m",
      );
      expect(run.stderr).toMatch(line);
      const [, needed, free] = line.exec(run.stderr)!;
      expect(Number(needed)).toBeGreaterThan(1); // more than the whole disk
      expect(Number(free)).toBeLessThan(1000);
      expect(run.stderr).not.toMatch(/^\s+at /m); // no stack trace
      expect(run.stderr).not.toMatch(/ENOSPC/);
      expect(run.status).toBe(1);
      // What was written stays, whole; no temporary file is left.
      expect(run.files.sort()).toEqual(["ok.ipynb", "results.json"]);
      expect(JSON.parse(run.results)).toMatchObject({
        failed: [path.relative(ROOT, fixture("ok.ipynb"))],
        skipped: [],
      });
    },
  );

  it("stops before the next notebook and names those it did not run", () => {
    const run = runOnSmallDisk(1, [fixture("ok.ipynb"), fixture("fail.ipynb"), "--quick", "--jobs", "1"]);
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain("fail.ipynb"); // never started
    expect(run.stderr).toContain(
      `stopped: outputs could not be written; what was written is in ${run.out}/; not run: ${path.relative(ROOT, fixture("fail.ipynb"))}`,
    );
    expect(JSON.parse(run.results).skipped).toEqual([path.relative(ROOT, fixture("fail.ipynb"))]);
  });

  it("formats sizes as people read them", () => {
    expect([812, 37_100, 4_612_000, 2.5e9].map(formatBytes)).toEqual(["812 B", "37.1 KB", "4.6 MB", "2.5 GB"]);
  });
});

/**
 * Starts the CLI on `notebook`, sends SIGTERM `delayMs` after `ready` appears on its stdout, and
 * returns its exit code and how long after the signal it exited.
 */
async function interruptAt(
  notebook: string,
  ready: string,
  delayMs: number,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
) {
  const child = spawn(process.execPath, [CLI, notebook, "--jobs", "1", ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(ready)) resolve();
    });
    void exited.then(() => reject(new Error(`exited early: ${stdout}\n${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const signalled = Date.now();
  child.kill("SIGTERM");
  const code = await exited;
  return { code, ms: Date.now() - signalled, stdout, stderr };
}

describe("an interrupt at every stage is honoured within about a second", () => {
  it("while the kernel starts (tslab loading TypeScript): the kernel is killed at once, not asked", async () => {
    const out = tmpDir("start-sigterm");
    const run = await interruptAt(fixture("hang.ipynb"), "▶", 200, ["--out", out]);
    console.log(`kernel start: exited ${run.ms} ms after SIGTERM`);
    expect(run.code).toBe(130);
    expect(run.ms).toBeLessThan(1500);
  }, 120_000);

  it("while a cell spins without yielding (the kernel cannot hear a shutdown request)", async () => {
    const dir = tmpDir("spin");
    const nb = JSON.parse(await fs.readFile(fixture("hang.ipynb"), "utf8"));
    for (const cell of nb.cells)
      if (cell.cell_type === "code" && cell.source.join("").includes("await new Promise"))
        cell.source = ['console.log("about to spin");\n', "while (true) {}"];
    await fs.writeFile(path.join(dir, "spin.ipynb"), JSON.stringify(nb));
    const run = await interruptAt(path.join(dir, "spin.ipynb"), "cell 1/", 1000, ["--out", path.join(dir, "out")]);
    console.log(`spinning cell: exited ${run.ms} ms after SIGTERM`);
    expect(run.code).toBe(130);
    expect(run.ms).toBeLessThan(1500);
    const written = await readNotebook(path.join(dir, "out", "spin.ipynb"));
    expect(written.metadata.fitlab?.executed).toMatchObject({ interrupted: "SIGTERM" });
  }, 120_000);
});

describe("an interrupt during the static-image stage", () => {
  it("SIGTERM while 30 figures are being drawn is honoured within about a second", async () => {
    requirePrerequisites(["chromium"]);
    const out = tmpDir("images-sigterm");
    // A fresh image cache: every figure has to be drawn (about 0.5 s each, 15 s for all).
    const env = { ...process.env, FITLAB_IMAGES_DIR: tmpDir("images-cache") };
    const child = spawn(process.execPath, [CLI, fixture("figures.ipynb"), "--jobs", "1", "--out", out], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("cell 3/3 ok")) resolve();
      });
      void exited.then(() => reject(new Error(`exited early: ${stdout}\n${stderr}`)));
    });
    // The last cell is done: the runner is now drawing (the browser starting, then figure after figure).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    child.kill("SIGTERM");
    const code = await exited;
    const ms = Date.now() - signalled;
    console.log(`static-image stage: exited ${ms} ms after SIGTERM`);
    expect(code).toBe(130);
    expect(ms).toBeLessThan(2500);
    expect(stderr).toContain("SIGTERM: stopping the kernel");
    // Every cell had run: the notebook is written whole, with images for the figures drawn before the signal only.
    const written = await readNotebook(path.join(out, "figures.ipynb"));
    expect(JSON.parse(await fs.readFile(path.join(out, "results.json"), "utf8"))).toMatchObject({
      interrupted: "SIGTERM",
    });
    const figures = written.cells
      .flatMap((c) => (c.cell_type === "code" ? c.outputs : []))
      .filter((o) => o.output_type === "display_data");
    expect(figures).toHaveLength(30);
    expect(figures.filter((o) => o.output_type === "display_data" && "image/png" in o.data).length).toBeLessThan(30);
    expect(existsSync(path.join(out, "figures.html"))).toBe(true);
    expect(readdirSync(out).filter((f) => f.includes(".tmp"))).toEqual([]);
    await fs.rm(out, { recursive: true, force: true });
  }, 120_000);
});

describe("bad input refused before any kernel starts (exit 2)", () => {
  const runCli = (args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args, "--out", path.join(tmpDir("cli-refused"), "out")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
  const lesson04 = path.join(ROOT, "notebooks", "04-fixing-overfitting.ipynb");

  it.each([
    [
      ["--set", "__proto__=1"],
      /--set: unknown parameter "__proto__": the parameters cell of 04-fixing-overfitting\.ipynb declares epochs, /,
    ],
    [["--set", "constructor=1"], /--set: unknown parameter "constructor"/],
    [
      ["--set", 'l1l2Rates={"l1":0.001,"l2":"x"}'],
      /--set: l1l2Rates\.l2 must be a number, as in the parameters cell, but is the string "x"$/m,
    ],
    [["--set", "l1l2Rates={}"], /--set: l1l2Rates lacks l1, l2: it takes exactly the keys l1, l2$/m],
    [
      ["--set", 'l1l2Rates={"l1":0.001,"l2":0.001,"l3":0.1}'],
      /--set: l1l2Rates has l3, which the parameters cell does not declare: it takes exactly the keys l1, l2$/m,
    ],
    [
      ["--set", 'l1l2Rates={"l1":0.001,"__proto__":{"l2":0.001}}'],
      /l1l2Rates lacks l2 and has __proto__, which the parameters cell does not declare/,
    ],
    [
      ["--set", "l1l2Rates=[0.001,0.001]"],
      /l1l2Rates is declared as an object in the parameters cell, but the value .* is an array/,
    ],
  ])("%j", (args, message) => {
    const result = runCli([lesson04, ...args]);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe(""); // no "▶": no kernel started
  });

  it("a --set over the whole lesson applies to the notebooks that declare it; a name none declares is refused", () => {
    // seed: declared by 01–05, not by the appendix 06; l1l2Rates: by 04 alone. Both pass the "unknown
    // parameter" check, so 04's value check is what refuses the run, before any kernel starts.
    const result = runCli(["--set", "seed=7", "--set", "l1l2Rates={}"]);
    expect(result.stderr).toMatch(/--set: l1l2Rates lacks l1, l2: it takes exactly the keys l1, l2$/m);
    expect(result.stderr).not.toMatch(/unknown parameter/);
    expect(result.status).toBe(2);
    const typo = runCli(["--set", "seedd=7"]);
    expect(typo.stderr).toMatch(/--set: unknown parameter "seedd": .* Did you mean "seed"\?/);
    expect(typo.status).toBe(2);
  });

  it("accepts an l1l2Rates of the declared shape", () => {
    // Checked without running: a bad --jobs after it stops the run once the parameters have passed.
    const result = runCli([lesson04, "--set", 'l1l2Rates={"l2":0.002,"l1":0.0005}', "--set", "epochs=0"]);
    expect(result.stderr).toMatch(/epochs = 0 is out of range/); // l1l2Rates passed; epochs is the first refused
  });

  it.each([
    [
      "a null cell",
      { cells: [null] },
      ['the notebook needs "metadata", "nbformat_minor" and "nbformat"', "cell 0 is null, not a cell object"],
    ],
    [
      "a code cell whose source is a number",
      "number",
      ["cell 2 (code, id c-3): source must be string, or must be array (got 42)"],
    ],
    [
      "an unknown cell type and a stream output without text",
      "two",
      [
        'cell 0 (heading, id m-1) has cell_type "heading"; nbformat allows "code", "markdown" or "raw"',
        'cell 3 (code, id c-4): outputs.0 needs "text"',
      ],
    ],
  ])("a notebook with %s: names the cell and what is wrong", async (_what, content, problems) => {
    const dir = tmpDir("bad-notebook");
    const file = path.join(dir, "bad.ipynb");
    if (typeof content === "string") {
      const nb = JSON.parse(await fs.readFile(fixture("ok.ipynb"), "utf8"));
      if (content === "number") nb.cells[2].source = 42;
      else {
        nb.cells[0].cell_type = "heading";
        nb.cells[3].outputs = [{ output_type: "stream", name: "stdout" }];
      }
      await fs.writeFile(file, JSON.stringify(nb));
    } else {
      await fs.writeFile(file, JSON.stringify(content));
    }
    const result = runCli([file]);
    expect(result.stderr).toBe(
      `fitlab lesson: ${file} does not follow the nbformat 4 schema (fix it, or open and save it in Jupyter):\n${problems.map((p) => `  ${p}\n`).join("")}`,
    );
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
  });
});
