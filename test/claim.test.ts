/**
 * One trainer per run: a run that another call or another process is training is waited for and
 * read from the run cache, not trained twice; a claim whose owner died is taken over.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requirePrerequisites } from "../scripts/browser/prerequisites";
import { claimRun, STALE_MS } from "../lib/training/claim";

const ROOT = path.resolve(__dirname, "..");

function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fitlab-claim-${label}-`));
}

function writeClaim(dir: string, key: string, pid: number): void {
  fs.writeFileSync(
    path.join(dir, `${key}.training`),
    JSON.stringify({ pid, host: os.hostname(), started: new Date().toISOString() }),
  );
}

describe("claimRun", () => {
  it("gives a run to the first caller; a second in the same process waits until it is released", async () => {
    const dir = tmpDir("same");
    const first = await claimRun(dir, "k1");
    expect(first).not.toBe("stored");
    expect(fs.existsSync(path.join(dir, "k1.training"))).toBe(true);
    let settled = false;
    const second = claimRun(dir, "k1").then((r) => ((settled = true), r));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    (first as { release(): void }).release();
    expect(await second).toBe("stored");
    expect(fs.existsSync(path.join(dir, "k1.training"))).toBe(false);
  });

  it("waits for a live process's claim, says whose, and takes the claim over when that process dies", async () => {
    const dir = tmpDir("live");
    const owner: ChildProcess = spawn("sleep", ["30"]);
    writeClaim(dir, "k2", owner.pid!);
    const told: number[] = [];
    let settled = false;
    const claim = claimRun(dir, "k2", { waiting: (pid) => told.push(pid) }).then((r) => ((settled = true), r));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    expect(told).toEqual([owner.pid]);
    owner.kill("SIGKILL");
    const got = await claim;
    expect(got).not.toBe("stored");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "k2.training"), "utf8")).pid).toBe(process.pid);
    (got as { release(): void }).release();
  });

  it("returns 'stored' when the other process gives its claim up, and takes a dead process's claim at once", async () => {
    const dir = tmpDir("gone");
    writeClaim(dir, "k3", process.ppid); // alive: our parent
    const waiting = claimRun(dir, "k3");
    setTimeout(() => fs.rmSync(path.join(dir, "k3.training")), 300);
    expect(await waiting).toBe("stored");

    const dead = spawn("true");
    await new Promise((resolve) => dead.on("exit", resolve));
    writeClaim(dir, "k4", dead.pid!);
    const began = Date.now();
    const got = await claimRun(dir, "k4");
    expect(got).not.toBe("stored");
    expect(Date.now() - began).toBeLessThan(150);
    (got as { release(): void }).release();
  });

  it("takes over a claim not refreshed for a minute, even when its process id names a live process (reused after a crash)", async () => {
    const dir = tmpDir("stale");
    writeClaim(dir, "k6", process.ppid); // alive, but not the owner any more
    const old = new Date(Date.now() - STALE_MS - 1000);
    fs.utimesSync(path.join(dir, "k6.training"), old, old);
    const got = await claimRun(dir, "k6");
    expect(got).not.toBe("stored");
    (got as { release(): void }).release();
  });

  it("stops waiting when the signal aborts (the notebook's stop button)", async () => {
    const dir = tmpDir("abort");
    writeClaim(dir, "k5", process.ppid);
    const controller = new AbortController();
    const waiting = claimRun(dir, "k5", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("train: interrupted")), 200);
    await expect(waiting).rejects.toThrow("train: interrupted");
  });
});

describe("two processes training the same run", () => {
  beforeAll(() => requirePrerequisites(["build"]));

  /** A node process that trains one seeded run in the cache folder `runs` and prints what it got. */
  function trainer(runs: string): Promise<{ out: string; code: number | null }> {
    const script = `
      const { train, variant } = require(${JSON.stringify(path.join(ROOT, "dist", "lib"))});
      (async () => {
        // Learnable random multi-hot rows (as test/helpers/randomData, which the build does not compile).
        let s = 7;
        const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
        const ids = [], y = new Float32Array(3000);
        for (let r = 0; r < 3000; r++) {
          const row = Int32Array.from([...new Set(Array.from({ length: 20 }, () => Math.floor(next() * 300)))].sort((a, b) => a - b));
          ids.push(row);
          y[r] = row.reduce((t, c) => t + (c % 7 < 3 ? 1 : -1), 0) > 0 ? 1 : 0;
        }
        const x = { kind: "multihot", rows: 3000, cols: 300, ids };
        const run = await train(variant("imdb.original", {}), x, y, { epochs: 6, batchSize: 64, validationSplit: 0.3, seed: 11, cache: { dir: ${JSON.stringify(runs)} } });
        console.log(JSON.stringify({ fromCache: run.fromCache, valLoss: run.history.history.val_loss }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["-e", script], {
        cwd: ROOT,
        env: { ...process.env, FITLAB_BACKEND: "wasm", FITLAB_WORKERS: "1" },
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (out += c.toString()));
      child.on("exit", (code) => resolve({ out, code }));
    });
  }

  it("trains it once: the other waits, says so, and reads the same history from the cache", async () => {
    const runs = tmpDir("runs");
    const [a, b] = await Promise.all([trainer(runs), trainer(runs)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const results = [a, b].map(
      (r) =>
        JSON.parse(
          r.out
            .trim()
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .pop()!,
        ) as { fromCache: boolean; valLoss: number[] },
    );
    expect(results.map((r) => r.fromCache).sort()).toEqual([false, true]);
    expect(results[0].valLoss).toEqual(results[1].valLoss);
    expect(a.out + b.out).toMatch(/waiting for process \d+, which is training this same run/);
    expect(fs.readdirSync(runs).filter((f) => f.endsWith(".training"))).toEqual([]);
  }, 120_000);
});

describe("a run cache folder that is not what fitlab expects", () => {
  let warn: jest.SpyInstance;
  beforeEach(() => (warn = jest.spyOn(console, "warn").mockImplementation(() => undefined)));
  afterEach(() => warn.mockRestore());

  it("a file where the folder belongs (FITLAB_RUNS_DIR naming a file): claims in this process only, warns once", async () => {
    const file = path.join(tmpDir("file"), "runs");
    fs.writeFileSync(file, "not a folder");
    for (const key of ["f1", "f2"]) {
      const claim = await claimRun(file, key);
      expect(claim).not.toBe("stored");
      (claim as { release(): void }).release();
    }
    // Under a file: ENOTDIR rather than EEXIST, the same advice.
    const under = await claimRun(path.join(file, "sub"), "f3");
    (under as { release(): void }).release();
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      `fitlab run cache: ${file} is (or lies under) a file, not a folder: point FITLAB_RUNS_DIR at a folder, or unset it; training without the run cache.`,
      `fitlab run cache: ${path.join(file, "sub")} is (or lies under) a file, not a folder: point FITLAB_RUNS_DIR at a folder, or unset it; training without the run cache.`,
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe("not a folder");
  });

  it("a folder named <key>.training: not a claim; trains at once without telling others, warns once and leaves the folder", async () => {
    const dir = tmpDir("folder");
    fs.mkdirSync(path.join(dir, "k7.training"));
    fs.writeFileSync(path.join(dir, "k7.training", "mine.txt"), "a user's file");
    const began = Date.now();
    for (let i = 0; i < 2; i++) {
      const claim = await claimRun(dir, "k7");
      expect(claim).not.toBe("stored");
      (claim as { release(): void }).release();
    }
    expect(Date.now() - began).toBeLessThan(1000); // no waiting for an owner that does not exist
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      `fitlab run cache: ${path.join(dir, "k7.training")} is a folder where the run cache keeps a file: remove it; this run trains without telling other processes (one training it too trains it twice).`,
    ]);
    expect(fs.readFileSync(path.join(dir, "k7.training", "mine.txt"), "utf8")).toBe("a user's file");
  });
});

describe("train with a run cache it cannot use", () => {
  beforeAll(() => requirePrerequisites(["build"]));

  it("FITLAB_RUNS_DIR naming a file, then a <key>.training folder and a <key>.json folder: trains, one warning each, never throws", async () => {
    const scratch = tmpDir("train-faults");
    const file = path.join(scratch, "runs-file");
    fs.writeFileSync(file, "");
    const runs = path.join(scratch, "runs");
    const script = `
      const fs = require("fs"), path = require("path");
      const { train, variant } = require(${JSON.stringify(path.join(ROOT, "dist", "lib"))});
      let s = 3;
      const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const ids = [], y = new Float32Array(200);
      for (let r = 0; r < 200; r++) {
        ids.push(Int32Array.from([...new Set(Array.from({ length: 8 }, () => Math.floor(next() * 50)))].sort((a, b) => a - b)));
        y[r] = r % 2;
      }
      const x = { kind: "multihot", rows: 200, cols: 50, ids };
      const fit = (cache) => train(variant("imdb.tiny", {}), x, y, { epochs: 2, batchSize: 50, validationSplit: 0.25, seed: 5, verbose: 0, ...(cache ? { cache } : {}) });
      (async () => {
        const seen = [];
        for (let i = 0; i < 2; i++) seen.push((await fit()).fromCache); // FITLAB_RUNS_DIR is a file
        const dir = ${JSON.stringify(runs)};
        await fit({ dir });
        const key = fs.readdirSync(dir).find((f) => f.endsWith(".json")).slice(0, -5);
        for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
        fs.mkdirSync(path.join(dir, key + ".training"));
        for (let i = 0; i < 2; i++) seen.push((await fit({ dir })).fromCache);
        fs.rmSync(path.join(dir, key + ".training"), { recursive: true });
        for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
        fs.mkdirSync(path.join(dir, key + ".json"));
        for (let i = 0; i < 2; i++) seen.push((await fit({ dir })).fromCache);
        console.log(JSON.stringify(seen));
      })().catch((e) => { console.error("THREW", e); process.exit(1); });`;
    const result = await new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
      const child = spawn(process.execPath, ["-e", script], {
        cwd: ROOT,
        env: { ...process.env, FITLAB_RUNS_DIR: file, FITLAB_BACKEND: "wasm", FITLAB_WORKERS: "1" },
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.on("exit", (code) => resolve({ out, err, code }));
    });
    expect(result.err).not.toContain("THREW");
    expect(result.code).toBe(0);
    // With the claim folder in the way the cache itself still works: the second run comes from it.
    expect(JSON.parse(result.out.trim().split("\n").pop()!)).toEqual([false, false, false, true, false, false]);
    const warnings = result.err.split("\n").filter((line) => line.startsWith("fitlab run cache:"));
    expect(warnings).toEqual([
      `fitlab run cache: ${file} is (or lies under) a file, not a folder: point FITLAB_RUNS_DIR at a folder, or unset it; training without the run cache.`,
      expect.stringMatching(
        new RegExp(
          `^fitlab run cache: ${runs}/[0-9a-f]{64}\\.training is a folder where the run cache keeps a file: remove it; this run trains without telling other processes \\(one training it too trains it twice\\)\\.$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^fitlab run cache: ${runs}/[0-9a-f]{64}\\.json is a folder where the run cache keeps a file: remove it; training without the run cache\\.$`,
        ),
      ),
    ]);
  }, 120_000);
});
