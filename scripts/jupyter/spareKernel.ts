/**
 * Kernels started ahead for the runner's next notebooks, so that a lane going from one notebook to
 * the next does not wait for tslab to load TypeScript (about 2 s of a cached notebook's 7 s,
 * measured). A spare is a fresh kernel, never one a notebook ran in: only its start is earlier.
 */
import { KernelClient, KernelOptions } from "./kernel";

/** What makes two kernels interchangeable: their folder, environment and executable. */
function keyOf(options: KernelOptions): string {
  return JSON.stringify([options.cwd, options.tslab ?? null, Object.entries(options.env ?? {}).sort()]);
}

export class SpareKernels {
  private spares: { key: string; kernel: Promise<KernelClient> }[] = [];

  /** Spares started and not yet taken. */
  get count(): number {
    return this.spares.length;
  }

  /** Starts a kernel with `options` for a later `take`. A failure to start is left for `take` to report. */
  prepare(options: KernelOptions): void {
    const kernel = KernelClient.start(options);
    kernel.catch(() => undefined);
    this.spares.push({ key: keyOf(options), kernel });
  }

  /**
   * A kernel for `options`: the oldest spare started with the same options, when it is alive, else
   * a new one.
   */
  async take(options: KernelOptions): Promise<KernelClient> {
    const key = keyOf(options);
    const i = this.spares.findIndex((s) => s.key === key);
    if (i >= 0) {
      const [spare] = this.spares.splice(i, 1);
      const kernel = await spare.kernel.catch(() => undefined);
      if (kernel && kernel.dead === null) return kernel;
      await kernel?.shutdown();
    }
    return KernelClient.start(options);
  }

  /** Shuts down the spares nobody took. */
  async close(): Promise<void> {
    const spares = this.spares;
    this.spares = [];
    await Promise.all(spares.map(async (s) => (await s.kernel.catch(() => undefined))?.shutdown()));
  }
}
