/**
 * The tslab kernel as fitlab starts it, from `npm run lesson` (scripts/jupyter/kernel.ts) and from
 * Jupyter (the kernel spec that scripts/jupyter/kernelspec.ts writes for `npm start`):
 *
 *   node dist/scripts/kernel/tslabKernel.js --config-path <connection.json>
 *
 * It is tslab 1.0.22's `tslab kernel`, made to survive what a learner and the network throw at it:
 * an error nothing caught is reported in the notebook and the kernel lives on (./uncaught.ts), and a
 * malformed or unsigned message is dropped with a log line (./messages.ts), and the stop button ends a
 * training cell with fitlab's message of what was stopped and kept (./interrupts.ts). This folder is the only
 * place that reaches into tslab's internals; the runner (scripts/jupyter/) talks to the kernel over
 * ZeroMQ only.
 */
import { writeSync } from "fs";
import { installUncaughtReporter } from "./uncaught";
import { patchTslabMessageParsing } from "./messages";
import { deferTslabInterrupt } from "./interrupts";

/** The parts of tslab the kernel needs (tslab's typings keep handleExecuteImpl private). */
interface TslabJupyter {
  ZmqServer: { prototype: object };
  JupyterHandlerImpl: {
    prototype: {
      handleExecuteImpl(req: unknown, writeStream: WriteStream, writeDisplayData: unknown): Promise<unknown>;
    };
  };
}
interface TslabMain {
  startKernel(options: {
    configPath: string;
    enableFindLocal: boolean;
    jsKernel: boolean;
    globalVersion: string;
  }): void;
}
type WriteStream = (name: "stdout" | "stderr", text: string) => void;

export const KERNEL_USAGE = "usage: node tslabKernel.js --config-path <connection.json>";

/** The connection file named on the command line (`--config-path <file>` or `--config-path=<file>`). */
export function parseKernelArgs(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--config-path" && argv[i + 1]) return argv[i + 1];
    if (argv[i].startsWith("--config-path=") && argv[i].length > "--config-path=".length)
      return argv[i].slice("--config-path=".length);
  }
  throw new Error(`no connection file given; ${KERNEL_USAGE}`);
}

function log(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // No one reads the kernel's log.
  }
}

function main(argv: string[]): void {
  const configPath = parseKernelArgs(argv);
  // First, before tslab and Emscripten add listeners of their own.
  const reporter = installUncaughtReporter();
  // The project's own tslab, resolved from here (not from the notebook's folder, as `tslab kernel`
  // does), so the patched module is the one that runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jupyter = require("tslab/dist/jupyter") as TslabJupyter;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tslab = require("tslab/dist/main") as TslabMain;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = (require("tslab/package.json") as { version: string }).version;

  patchTslabMessageParsing(jupyter.ZmqServer, log);

  // Which cell is running, so that a report lands in it (see uncaught.ts).
  const handler = jupyter.JupyterHandlerImpl.prototype;
  const executeImpl = handler.handleExecuteImpl;
  let runningCell: object | undefined;
  handler.handleExecuteImpl = async function (
    this: unknown,
    req: unknown,
    writeStream: WriteStream,
    writeDisplayData: unknown,
  ) {
    reporter.cellStarted(writeStream);
    const cell = {};
    runningCell = cell;
    try {
      return await executeImpl.call(this, req, writeStream, writeDisplayData);
    } finally {
      if (runningCell === cell) runningCell = undefined;
      // One turn of the event loop first: a promise the cell left rejected is reported by Node after
      // the microtasks drain, and belongs in this cell, before its reply is sent.
      await new Promise((resolve) => setImmediate(resolve));
      reporter.cellEnded(writeStream);
    }
  };

  const sigintBefore = new Set(process.listeners("SIGINT"));
  reporter.withoutListenersOf(() =>
    tslab.startKernel({ configPath, enableFindLocal: false, jsKernel: false, globalVersion: version }),
  );
  const tslabSigint = process.listeners("SIGINT").filter((listener) => !sigintBefore.has(listener)) as ((
    ...args: unknown[]
  ) => void)[];
  deferTslabInterrupt(tslabSigint, { currentCell: () => runningCell });
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    log(`fitlab kernel: ${(error as Error).message}`);
    process.exit(2);
  }
}
