/**
 * Who trains a run that several want at once. Two kernels running notebooks side by side (the
 * lesson runner's --jobs, or a teacher with two notebooks open) often ask for the same run: notebook
 * 4 re-trains notebook 3's runs for its results table, notebook 5 notebook 3's original. Without
 * this both would train it, each on its own cores. The first to miss the cache claims the run
 * with a file beside the cache entry (`<key>.training`, created exclusively, holding its process id);
 * the others wait for that file to go, then read the entry it left. Within one process the claim is
 * a promise, so two identical runs started together (e.g. by Promise.all) train once as well.
 *
 * A claim whose process has died (kill -9, a crash) is taken over, and so is one its owner has not
 * refreshed for a minute (the owner touches the file every few seconds: a process id reused by an
 * unrelated process after a crash must not block the run forever); one whose owner stopped without
 * storing a run (an interrupt, an error) leaves no entry, and the next in line trains.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { warnCacheFault } from "../runs/runCache";

/** How often a waiting run looks again (ms). A run takes seconds at least; this costs nothing. */
const POLL_MS = 200;

/** How often the owner touches its claim file, and how old an untouched one may get before it is taken over (ms). */
const REFRESH_MS = 5000;
export const STALE_MS = 60_000;

export interface Claim {
  /** Gives the run up to whoever waits (call after the entry is stored, or on failure). */
  release(): void;
}

interface ClaimFile {
  pid: number;
  host: string;
  started: string;
}

const inProcess = new Map<string, Promise<void>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; ESRCH: it is gone.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `file` is a regular file (false when it is gone, a folder, or cannot be looked at). */
function isFile(file: string): boolean {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/** `file`'s modification time in ms, or undefined when it is gone or cannot be looked at. */
function mtimeOf(file: string): number | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  } catch {
    return undefined;
  }
}

/** What follows when the claim file cannot be used but the cache can. */
const CLAIMLESS = "this run trains without telling other processes (one training it too trains it twice)";

/** A claim file left empty or unreadable this long is an owner that died while creating it. */
const UNREADABLE_GRACE_MS = 5000;

/** The owner of a claim file, or undefined when it is gone or its owner has died. */
function liveOwner(file: string): ClaimFile | undefined {
  let owner: ClaimFile;
  try {
    owner = JSON.parse(fs.readFileSync(file, "utf8")) as ClaimFile;
  } catch {
    // Absent, or being written this instant (created empty, then filled): look again next poll,
    // unless it has stayed unreadable for seconds.
    const mtime = mtimeOf(file);
    return mtime !== undefined && Date.now() - mtime < UNREADABLE_GRACE_MS
      ? { pid: -1, host: os.hostname(), started: "" }
      : undefined;
  }
  const mtime = mtimeOf(file);
  if (mtime === undefined || Date.now() - mtime > STALE_MS) return undefined; // not refreshed: its owner is gone
  if (owner.host !== os.hostname()) return owner; // another machine sharing the folder: trust the refresh
  return Number.isInteger(owner.pid) && owner.pid > 0 && isAlive(owner.pid) ? owner : undefined;
}

function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}

/** `promise`, or a rejection as soon as `signal` aborts (no timer left behind either way). */
function untilDone(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise((resolve, reject) => {
    const abort = (): void => reject(reasonOf(signal));
    signal.addEventListener("abort", abort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    });
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(reasonOf(signal));
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(reasonOf(signal!));
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/**
 * Claims the run `key` in the cache folder `dir`. Resolves with a Claim when this caller is to train
 * it, or with "stored" once another trainer has released it (the caller then reads the cache again:
 * the entry is there, unless that trainer failed, and then the caller claims again). `waiting` is
 * called once when the run has to wait for another process, with its process id. An aborted
 * `signal` stops the waiting (rejects).
 */
export async function claimRun(
  dir: string,
  key: string,
  options: { signal?: AbortSignal; waiting?: (pid: number) => void } = {},
): Promise<Claim | "stored"> {
  const mine = inProcess.get(key);
  if (mine) {
    await untilDone(mine, options.signal);
    return "stored";
  }
  const file = path.join(dir, `${key}.training`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    // A file where the folder belongs (FITLAB_RUNS_DIR naming a file: EEXIST or ENOTDIR), a read-only
    // or full disk: there is no cache to share, so this run trains without telling other processes.
    warnCacheFault(dir, error);
    return noFileClaim(key);
  }
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, "wx");
      try {
        fs.writeSync(
          fd,
          JSON.stringify({
            pid: process.pid,
            host: os.hostname(),
            started: new Date().toISOString(),
          } satisfies ClaimFile),
        );
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") {
        // A read-only cache folder, a full disk: train without telling others.
        if (code !== "EACCES" && code !== "EPERM" && code !== "EROFS") warnCacheFault(dir, error);
        return noFileClaim(key);
      }
      if (!isFile(file)) {
        // Something else is there (a folder named <key>.training): not a claim, and not ours to delete.
        warnCacheFault(
          file,
          Object.assign(new Error(`${file} is a folder`), { code: "EISDIR", path: file }),
          CLAIMLESS,
        );
        return noFileClaim(key);
      }
      const owner = liveOwner(file);
      if (!owner) {
        // Its owner died: take the claim over (if two take it over at once, only one `wx` wins).
        try {
          fs.rmSync(file, { force: true });
        } catch (removeError) {
          warnCacheFault(file, removeError, CLAIMLESS);
          return noFileClaim(key);
        }
        continue;
      }
      if (!told && owner.pid > 0) {
        options.waiting?.(owner.pid);
        told = true;
      }
      await sleep(POLL_MS, options.signal);
      if (mtimeOf(file) === undefined) return "stored";
      continue;
    }
    let release!: () => void;
    inProcess.set(key, new Promise<void>((resolve) => (release = resolve)));
    const refresh = setInterval(() => {
      const now = new Date();
      fs.utimes(file, now, now, () => undefined);
    }, REFRESH_MS);
    refresh.unref();
    return {
      release() {
        clearInterval(refresh);
        inProcess.delete(key);
        release();
        try {
          const owner = JSON.parse(fs.readFileSync(file, "utf8")) as ClaimFile;
          if (owner.pid === process.pid) fs.rmSync(file, { force: true });
        } catch {
          // Already gone (e.g. the cache folder was cleared): nothing to give up.
        }
      },
    };
  }
}

/** A claim seen only inside this process (the cache folder cannot hold the claim file). */
function noFileClaim(key: string): Claim {
  let release!: () => void;
  inProcess.set(key, new Promise<void>((resolve) => (release = resolve)));
  return {
    release() {
      inProcess.delete(key);
      release();
    },
  };
}
