/**
 * Writing the runner's output files (executed notebooks, reports, results.json) atomically, and
 * saying in one line why one could not be written: which file, and for a full disk how much space it
 * needed and how much was free. The caller keeps what was written before and exits non-zero.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../../lib/system/atomicWrite";

/** An output file could not be written; `message` is the one line to print. */
export class OutputWriteError extends Error {
  override name = "OutputWriteError";
  constructor(
    message: string,
    /** The errno code (ENOSPC, EDQUOT, EIO, …) when there was one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** 812 B, 37.1 KB, 4.7 MB: sizes as people read them (powers of 1000, like `df -H`). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  for (const [unit, scale] of [
    ["KB", 1e3],
    ["MB", 1e6],
    ["GB", 1e9],
  ] as const) {
    if (bytes < scale * 1000 || unit === "GB") return `${(bytes / scale).toFixed(1)} ${unit}`;
  }
  return `${bytes} B`;
}

/** Bytes free to this user on the file system holding `dir`, or undefined when it cannot be asked. */
async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const stats = await fs.statfs(dir);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return undefined;
  }
}

/** Why writing `bytes` to `file` (shown as `shown`) failed, in one line. */
export async function describeWriteFailure(
  file: string,
  shown: string,
  bytes: number,
  error: unknown,
): Promise<string> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    const free = await freeBytes(path.dirname(file));
    const room = free === undefined ? "" : `, ${formatBytes(free)} free`;
    const what = code === "ENOSPC" ? "the disk is full" : "the disk quota is used up";
    return `could not write ${shown}: ${what} (the file needs ${formatBytes(bytes)}${room}); free some space and run again`;
  }
  return `could not write ${shown} (${code ?? "error"}: ${(error as Error | undefined)?.message ?? String(error)})`;
}

/** Writes `data` to `file` atomically; throws OutputWriteError with a one-line reason (the target is left as it was). */
export async function writeOutputFile(file: string, data: string, shown = file): Promise<void> {
  try {
    await writeFileAtomic(file, data);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OutputWriteError(await describeWriteFailure(file, shown, Buffer.byteLength(data, "utf8"), error), code);
  }
}
