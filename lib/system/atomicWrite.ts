/**
 * Writing a file atomically: the data goes to a hidden temporary file in the same folder (the same
 * file system, so the rename is atomic), is flushed to disk, then renamed over the target. A reader
 * sees the old file or the new one, never half of one; on failure the temporary file is removed and
 * the target is left as it was. The folder is created if needed.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";

export interface AtomicWriteOptions {
  /**
   * Flush the data to disk before the rename (default true), so that after a power loss the file is
   * the old or the new one, never an empty one. Turn it off only where a torn file is detected on
   * reading anyway (e.g. a checksum) and the write is frequent.
   */
  fsync?: boolean;
}

/**
 * `.<name>.tmp-<12 hex digits>` beside the target: hidden (dot) so that Jupyter's and a shell's
 * listings skip it, and recognisable, so that a cleanup can tell a stray one from other files.
 */
function temporaryPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomBytes(6).toString("hex")}`);
}

/** Writes `data` (a string as UTF-8, bytes, or byte chunks in order) to `file` atomically. */
export function writeFileAtomicSync(
  file: string,
  data: string | Uint8Array | readonly Uint8Array[],
  options: AtomicWriteOptions = {},
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = temporaryPath(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, "w");
    // writeFileSync on a descriptor writes at the current position and loops until all is written.
    const chunks: readonly (string | Uint8Array)[] =
      typeof data === "string" || data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) fs.writeFileSync(fd, chunk);
    if (options.fsync !== false) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (error) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // The write's own error is the one to report.
      }
    }
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/** Temporary files of async writes in progress: removed if the process exits in the middle (process.exit on a second Ctrl-C). */
const writing = new Set<string>();
let exitHookInstalled = false;

function removeUnfinishedWrites(): void {
  for (const tmp of writing) fs.rmSync(tmp, { force: true });
}

/**
 * Writes `data` (a string as UTF-8, or bytes) to `file` atomically. If the process exits while the
 * write is in flight (an async write can be cut off by process.exit), the temporary file is removed.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = temporaryPath(file);
  if (!exitHookInstalled) {
    process.on("exit", removeUnfinishedWrites);
    exitHookInstalled = true;
  }
  writing.add(tmp);
  try {
    const handle = await fs.promises.open(tmp, "w");
    try {
      await handle.writeFile(data);
      if (options.fsync !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (error) {
    await fs.promises.rm(tmp, { force: true });
    throw error;
  } finally {
    writing.delete(tmp);
  }
}
