/**
 * A minimal Jupyter kernel client over ZeroMQ (zeromq@6) for the tslab kernel: starts fitlab's
 * tslab kernel (scripts/kernel/tslabKernel.ts, see kernelCommand), runs code on the shell channel, streams iopub
 * messages to the caller, pings the heartbeat, and always cleans up the process and sockets.
 *
 * Why our own client: the npm clients either target zeromq 5 (jmp) or pass unverifiable messages
 * through instead of dropping them and have no heartbeat (enchannel-zmq-backend 10).
 */
import { ChildProcess, spawn } from "child_process";
import { promises as fs, rmSync } from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { JupyterMessage, WireError, decodeMessage, encodeMessage, newMessage, newSessionKey } from "./wire";
import { projectRoot } from "../../lib/system/project";

const LOCALHOST = "127.0.0.1";

/**
 * The command line of fitlab's tslab kernel (scripts/kernel/tslabKernel.ts, compiled to dist/ by
 * `npm run build`), the same for the runner and for Jupyter's kernel spec: this Node, the wrapper,
 * and the connection file (Jupyter's kernel spec passes "{connection_file}").
 */
export function kernelCommand(root: string, connectionFile: string): string[] {
  return [
    process.execPath,
    path.join(root, "dist", "scripts", "kernel", "tslabKernel.js"),
    "--config-path",
    connectionFile,
  ];
}

/** The longest delay Node's timers honour (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Preloaded into the kernel (NODE_OPTIONS=--require) so that it exits when its runner dies, even by
 * SIGKILL, which no handler in the runner can catch: the kernel's stdin is a pipe from the runner,
 * and the pipe reaches end-of-file only when every copy of its write end is closed, i.e. when the
 * runner process is gone. The kernel then exits, and on any exit deletes its connection folder (it
 * holds the HMAC key). It acts only in the kernel's main thread and takes itself out of NODE_OPTIONS, so workers
 * and child processes the notebook starts do not watch a pipe that is not theirs.
 */
const PARENT_WATCH_SOURCE = `"use strict";
const dir = process.env.FITLAB_KERNEL_DIR;
if (dir && require("worker_threads").isMainThread) {
  delete process.env.FITLAB_KERNEL_DIR;
  const own = "--require " + JSON.stringify(__filename);
  if (process.env.NODE_OPTIONS) process.env.NODE_OPTIONS = process.env.NODE_OPTIONS.replace(own, "").trim();
  // However the kernel ends (shutdown request, crash, its runner gone), the key goes with it.
  process.on("exit", () => {
    try { require("fs").rmSync(dir, { recursive: true, force: true }); } catch {}
  });
  const leave = () => process.exit(1);
  process.stdin.on("end", leave);
  process.stdin.on("error", leave);
  process.stdin.on("data", () => {});
  // Watching must not keep the kernel alive: once tslab has closed its sockets after a shutdown
  // request, the process exits at once (it waited for the runner's 2 s grace and a SIGKILL before).
  if (typeof process.stdin.unref === "function") process.stdin.unref();
}
`;

export interface KernelOptions {
  /** The kernel's working directory: the notebook's folder, so relative imports resolve. */
  cwd: string;
  /** Extra environment variables for the kernel (merged over process.env). */
  env?: Record<string, string | undefined>;
  /**
   * A tslab executable to start as `<tslab> kernel --config-path <file>`; default fitlab's own kernel
   * (`kernelCommand`: tslab that reports uncaught errors and drops malformed messages).
   */
  tslab?: string;
  /** How long the kernel may take to answer kernel_info; default 60 s (tslab loads TypeScript). */
  startTimeoutMs?: number;
  /** Heartbeat ping period; default 1 s. */
  heartbeatIntervalMs?: number;
  /**
   * Silence after which the kernel counts as dead; default 60 s. tslab answers heartbeats on its
   * JavaScript event loop, so a long synchronous computation also silences it: keep this generous.
   */
  heartbeatTimeoutMs?: number;
  /** Called for every message dropped (bad signature or framing); default: a warning on stderr. */
  onDroppedMessage?: (channel: string, reason: string) => void;
}

export interface ExecuteOptions {
  /** Interrupt (SIGINT) the cell after this long; default: no limit. */
  timeoutMs?: number;
  /** How long to wait for the kernel to honour an interrupt before giving up; default 5 s. */
  interruptGraceMs?: number;
  /** Every iopub message that belongs to this execution, in arrival order. */
  onIopub?: (message: JupyterMessage) => void;
}

export interface ExecuteReply {
  status: "ok" | "error" | "abort";
  executionCount: number | null;
  /** The raw execute_reply content (ename/evalue/traceback when the kernel sends them). */
  content: Record<string, unknown>;
}

/** The kernel process exited or stopped answering heartbeats. */
export class KernelDiedError extends Error {
  override name = "KernelDiedError";
}

/** How the kernel process ended: its exit code, or the signal that killed it (both null if it never started). */
export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A cell ran longer than its timeout; `interrupted` says whether the kernel honoured SIGINT. */
export class CellTimeoutError extends Error {
  override name = "CellTimeoutError";
  constructor(
    readonly timeoutMs: number,
    readonly interrupted: boolean,
  ) {
    super(
      `the cell did not finish within ${timeoutMs / 1000} s` +
        (interrupted ? " and was interrupted" : "; the kernel ignored the interrupt"),
    );
  }
}

/** Finds `count` distinct free TCP ports on 127.0.0.1 (held open together so none repeats). */
export async function findFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, LOCALHOST, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

interface Pending {
  reply?: ExecuteReply;
  idle: boolean;
  onIopub?: (message: JupyterMessage) => void;
  settle: () => void;
}

/** Keeps the last bytes of a stream for error messages. */
class Tail {
  private text = "";
  constructor(private readonly limit = 4000) {}
  push(chunk: Buffer): void {
    this.text = (this.text + chunk.toString("utf8")).slice(-this.limit);
  }
  toString(): string {
    return this.text.trim();
  }
}

/** Every kernel still running, so a SIGINT handler can kill them all. */
const liveKernels = new Set<KernelClient>();

/**
 * Connection folders not yet removed. If this process exits before a shutdown finishes (a second
 * Ctrl-C), they are removed on the way out; the kernels themselves exit when our pipe closes.
 */
const connectionDirs = new Set<string>();
let exitHookInstalled = false;

function removeConnectionDirs(): void {
  for (const dir of connectionDirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * How long an interrupted run gives a kernel to exit after asking it to before killing it: its state
 * is being thrown away anyway, and the runner promises to stop within about a second.
 */
export const INTERRUPT_GRACE_MS = 300;

/** Kills every kernel this process started (for SIGINT/SIGTERM handlers), with `graceMs` to exit by itself. */
export async function shutdownAllKernels(graceMs = INTERRUPT_GRACE_MS): Promise<void> {
  await Promise.all([...liveKernels].map((kernel) => kernel.shutdown(graceMs)));
}

export class KernelClient {
  readonly key = newSessionKey();
  readonly session = newSessionKey().slice(0, 32);
  /** Messages dropped for a bad signature or framing, per channel. */
  readonly dropped = { shell: 0, iopub: 0, control: 0 };
  /** Wall-clock milliseconds from spawn to the first kernel_info_reply with iopub connected. */
  startMs = 0;
  /** The kernel's ZeroMQ endpoints (tcp://127.0.0.1:<port>), once started. */
  readonly addresses = { shell: "", iopub: "", control: "", stdin: "", hb: "" };

  private child!: ChildProcess;
  private connectionDir = "";
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  /** Replaced by a fresh socket when a ping goes unanswered (ZeroMQ's "lazy pirate" pattern, see ping). */
  private heartbeat = new zmq.Request({ linger: 0, relaxed: true, correlate: true });
  private heartbeatAddress = "";
  private pingSentAt = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly stderr = new Tail();
  private heartbeatTimer?: NodeJS.Timeout;
  private lastBeat = Date.now();
  private deathReason: string | null = null;
  /**
   * Waits currently racing the kernel's death (see raceDeath). Each removes itself when its race
   * ends, so the set holds only the waits in progress, however many cells and polls came before.
   */
  private readonly deathWaiters = new Set<() => void>();
  private closed = false;
  /** Set once the kernel has answered kernel_info: before that it holds no notebook state and cannot hear a shutdown request. */
  private ready = false;
  private markExited!: (exit: KernelExit) => void;

  /**
   * Resolves once the kernel process has exited and Node has reaped it (its pid no longer names a
   * process of ours), or at shutdown if it never started. Await it instead of sleeping.
   */
  readonly exited: Promise<KernelExit> = new Promise((resolve) => (this.markExited = resolve));

  private constructor(private readonly options: KernelOptions) {}

  /** Spawns tslab, connects the channels and waits until the kernel answers. */
  static async start(options: KernelOptions): Promise<KernelClient> {
    const kernel = new KernelClient(options);
    liveKernels.add(kernel);
    try {
      await kernel.boot();
      return kernel;
    } catch (error) {
      await kernel.shutdown();
      throw error;
    }
  }

  /** Why the kernel is dead, or null while it runs. */
  get dead(): string | null {
    return this.deathReason;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async boot(): Promise<void> {
    const began = Date.now();
    const [shell, iopub, stdin, control, hb] = await findFreePorts(5);
    this.connectionDir = await fs.mkdtemp(path.join(os.tmpdir(), "fitlab-kernel-"));
    connectionDirs.add(this.connectionDir);
    if (!exitHookInstalled) {
      process.on("exit", removeConnectionDirs);
      exitHookInstalled = true;
    }
    const connectionFile = path.join(this.connectionDir, "connection.json");
    const connection = {
      transport: "tcp",
      ip: LOCALHOST,
      shell_port: shell,
      iopub_port: iopub,
      stdin_port: stdin,
      control_port: control,
      hb_port: hb,
      signature_scheme: "hmac-sha256",
      key: this.key,
      kernel_name: "tslab",
    };
    // The key is a secret: the file is readable by this user only.
    await fs.writeFile(connectionFile, JSON.stringify(connection), { mode: 0o600 });
    const watch = path.join(this.connectionDir, "parent-watch.js");
    await fs.writeFile(watch, PARENT_WATCH_SOURCE, { mode: 0o600 });

    // fitlab's kernel (tslab hardened, see scripts/kernel/tslabKernel.ts), or the tslab binary given.
    const [command, ...args] = this.options.tslab
      ? [this.options.tslab, "kernel", "--config-path", connectionFile]
      : kernelCommand(projectRoot("the tslab binary explicitly (options.tslab)"), connectionFile);
    const tslab = this.options.tslab ?? "fitlab's tslab kernel";
    const env = { ...process.env, ...this.options.env };
    const nodeOptions = [env.NODE_OPTIONS, `--require ${JSON.stringify(watch)}`].filter(Boolean).join(" ");
    this.child = spawn(command, args, {
      cwd: this.options.cwd,
      env: { ...env, NODE_OPTIONS: nodeOptions, FITLAB_KERNEL_DIR: this.connectionDir },
      // stdin: the pipe the kernel watches (see PARENT_WATCH_SOURCE); nothing is ever written to it.
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdin?.on("error", () => undefined); // EPIPE once the kernel has exited
    this.child.stdout?.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    this.child.stderr?.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    this.child.on("error", (error) => {
      this.die(`could not start ${tslab}: ${error.message}`);
      // A spawn failure has no process, so no "exit" will follow.
      if (this.child.pid === undefined) this.markExited({ code: null, signal: null });
    });
    // Node emits "exit" after libuv's waitpid: the process is gone and reaped.
    this.child.on("exit", (code, signal) => {
      this.die(`the kernel process exited (${signal ? `signal ${signal}` : `code ${code}`})`);
      this.markExited({ code, signal });
    });

    const address = (port: number) => `tcp://${LOCALHOST}:${port}`;
    Object.assign(this.addresses, {
      shell: address(shell),
      iopub: address(iopub),
      control: address(control),
      stdin: address(stdin),
      hb: address(hb),
    });
    this.shell.connect(address(shell));
    this.control.connect(address(control));
    this.iopub.connect(address(iopub));
    this.iopub.subscribe();
    this.heartbeatAddress = address(hb);
    this.heartbeat.connect(this.heartbeatAddress);
    void this.receiveLoop(this.shell, "shell");
    void this.receiveLoop(this.control, "control");
    void this.receiveLoop(this.iopub, "iopub");
    void this.heartbeatLoop();

    await this.waitUntilReady(this.options.startTimeoutMs ?? 60_000);
    this.ready = true;
    this.startMs = Date.now() - began;
    this.lastBeat = Date.now();
    const interval = this.options.heartbeatIntervalMs ?? 1000;
    this.heartbeatTimer = setInterval(() => this.ping(), interval);
  }

  /**
   * kernel_info until one is answered *and* its busy/idle status arrives on iopub: a SUB socket
   * misses everything published before its subscription reaches the kernel ("slow joiner").
   */
  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seenOnIopub = false;
    while (!seenOnIopub) {
      if (this.deathReason) throw new KernelDiedError(`${this.deathReason} while starting\n${this.stderr}`);
      if (Date.now() > deadline) {
        throw new KernelDiedError(`the kernel did not answer within ${timeoutMs / 1000} s\n${this.stderr}`);
      }
      const request = newMessage("kernel_info_request", {}, this.session);
      const answered = new Promise<void>((resolve) => {
        this.pending.set(request.header.msg_id, {
          idle: false,
          onIopub: () => {
            seenOnIopub = true;
            resolve();
          },
          settle: resolve,
        });
      });
      await this.shell.send(encodeMessage(request, this.key));
      await this.raceDeath(answered, 250);
      this.pending.delete(request.header.msg_id);
    }
  }

  /**
   * "done" if `work` settles first, "died" if the kernel dies first, "timeout" after `ms`.
   *
   * Why a waiter that removes itself instead of Promise.race against one shared death promise:
   * Promise.race attaches a reaction to every input, and a reaction on a promise that stays pending
   * for the kernel's whole life is only released when that promise settles. The start-up poll
   * (every 250 ms) and every cell would pile them up exactly like the listeners did before.
   */
  private raceDeath(work: Promise<void>, ms: number): Promise<"done" | "died" | "timeout"> {
    if (this.deathReason) return Promise.resolve("died");
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: "done" | "died" | "timeout") => {
        if (timer) clearTimeout(timer);
        this.deathWaiters.delete(onDeath);
        resolve(outcome);
      };
      const onDeath = () => finish("died");
      this.deathWaiters.add(onDeath);
      if (Number.isFinite(ms)) timer = setTimeout(() => finish("timeout"), ms);
      work.then(
        () => finish("done"),
        () => finish("done"),
      );
    });
  }

  /** Waits currently racing the kernel's death; 0 between waits (the leak check of the tests). */
  get pendingWaits(): number {
    return this.deathWaiters.size;
  }

  private async receiveLoop(socket: zmq.Dealer | zmq.Subscriber, channel: "shell" | "iopub" | "control") {
    try {
      for await (const frames of socket) {
        let message: JupyterMessage;
        try {
          message = decodeMessage(frames as Buffer[], this.key);
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          this.dropped[channel] += 1;
          (this.options.onDroppedMessage ?? warnDropped)(channel, error.message);
          continue;
        }
        // Any signed message is a sign of life too: a kernel busy streaming output is not dead.
        this.lastBeat = Date.now();
        this.route(message, channel);
      }
    } catch (error) {
      // Closing a socket ends its iterator with an error; only report it while still running.
      if (!this.closed) this.die(`the ${channel} channel failed: ${(error as Error).message}`);
    }
  }

  private route(message: JupyterMessage, channel: string): void {
    const parentId = message.parent_header.msg_id;
    const pending = parentId ? this.pending.get(parentId) : undefined;
    if (!pending) return;
    const type = message.header.msg_type;
    if (channel === "iopub") {
      if (type === "status" && message.content.execution_state === "idle") pending.idle = true;
      pending.onIopub?.(message);
    } else if (type.endsWith("_reply")) {
      const status = message.content.status;
      pending.reply = {
        status: status === "error" || status === "abort" ? status : "ok",
        executionCount: typeof message.content.execution_count === "number" ? message.content.execution_count : null,
        content: message.content,
      };
    }
    if (pending.reply && pending.idle) pending.settle();
  }

  private async heartbeatLoop(socket = this.heartbeat): Promise<void> {
    try {
      for await (const _ of socket) {
        this.lastBeat = Date.now();
        this.pingSentAt = 0;
      }
    } catch {
      // The socket was closed (by close() or by a reconnect in ping()).
    }
  }

  /**
   * A ping unanswered for this long is retried on a fresh socket. Measured: a cold `npm run lesson`
   * lost its kernel to a heartbeat that stayed silent for 60 s while the kernel was alive and idle
   * (its training ran on worker threads); a REQ socket whose reply went missing never recovers.
   */
  private static readonly PING_RETRY_MS = 5000;

  private sendingPing = false;
  private ping(): void {
    const silentMs = Date.now() - this.lastBeat;
    const timeoutMs = this.options.heartbeatTimeoutMs ?? 60_000;
    if (silentMs > timeoutMs) {
      this.die(`the kernel stopped answering heartbeats (silent for ${(silentMs / 1000).toFixed(1)} s)`);
      this.child.kill("SIGKILL");
      return;
    }
    if (this.closed) return;
    if (this.pingSentAt && Date.now() - this.pingSentAt > KernelClient.PING_RETRY_MS) {
      this.heartbeat.close();
      this.heartbeat = new zmq.Request({ linger: 0, relaxed: true, correlate: true });
      this.heartbeat.connect(this.heartbeatAddress);
      void this.heartbeatLoop(this.heartbeat);
      this.pingSentAt = 0;
      this.sendingPing = false;
    }
    if (this.sendingPing || this.pingSentAt) return;
    this.sendingPing = true;
    this.pingSentAt = Date.now();
    this.heartbeat
      .send("ping")
      .catch(() => undefined)
      .finally(() => (this.sendingPing = false));
  }

  private die(reason: string): void {
    if (this.deathReason) return;
    this.deathReason = reason;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const waiter of [...this.deathWaiters]) waiter();
  }

  /**
   * Runs one cell. Resolves once the execute_reply and the final idle status have both arrived (they
   * travel on different sockets). Rejects with KernelDiedError or CellTimeoutError; after either the
   * kernel should be shut down.
   */
  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteReply> {
    if (this.deathReason) throw new KernelDiedError(this.deathReason);
    for (const [option, ms] of [
      ["timeoutMs", options.timeoutMs],
      ["interruptGraceMs", options.interruptGraceMs],
    ] as const) {
      if (ms !== undefined && ms !== Infinity && !(ms > 0 && ms <= MAX_TIMER_MS)) {
        throw new RangeError(
          `execute: ${option} = ${ms}; it must be > 0 and ≤ ${MAX_TIMER_MS} ms (Node's timers cannot wait longer), or Infinity.`,
        );
      }
    }
    const request = newMessage(
      "execute_request",
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
      this.session,
    );
    const id = request.header.msg_id;
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const pending: Pending = { idle: false, onIopub: options.onIopub, settle };
    this.pending.set(id, pending);
    try {
      await this.shell.send(encodeMessage(request, this.key));
      const timeoutMs = options.timeoutMs ?? Infinity;
      const outcome = await this.raceDeath(done, timeoutMs);
      if (outcome === "timeout") {
        this.interrupt();
        const grace = await this.raceDeath(done, options.interruptGraceMs ?? 5000);
        throw new CellTimeoutError(timeoutMs, grace === "done");
      }
      if (outcome === "died" || !pending.reply) throw new KernelDiedError(this.deathReason ?? "the kernel died");
      return pending.reply;
    } finally {
      this.pending.delete(id);
    }
  }

  /** Interrupts the running cell: tslab's interrupt_mode is "signal" (SIGINT rejects pending awaits). */
  interrupt(): void {
    if (!this.deathReason) this.child.kill("SIGINT");
  }

  /** The kernel's recent stdout/stderr outside cells (start-up errors, crashes). */
  get log(): string {
    return this.stderr.toString();
  }

  /**
   * Asks the kernel to shut down, kills it if it has not exited within `graceMs`, closes every socket
   * and deletes the connection file. Safe to call more than once. Returns once the process has been
   * reaped (or, in the pathological case of a process SIGKILL cannot end, after `killWaitMs`).
   */
  async shutdown(graceMs = 2000, killWaitMs = 30_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    liveKernels.delete(this);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    const child = this.child as ChildProcess | undefined;
    if (!child || child.pid === undefined) {
      // Never spawned (or the spawn failed): there is no process to wait for.
      this.markExited({ code: null, signal: null });
    } else if (child.exitCode === null && child.signalCode === null) {
      const exited = this.exited.then(() => true);
      // A kernel still starting (loading TypeScript, about 2 s) cannot answer yet and has nothing to
      // lose: it is killed at once (an interrupt during the start waited out the whole grace before).
      const polite = this.ready && !this.deathReason;
      if (polite) {
        const request = newMessage("shutdown_request", { restart: false }, this.session);
        await Promise.race([
          this.control.send(encodeMessage(request, this.key)).catch(() => undefined),
          delay(Math.min(500, graceMs)),
        ]);
      }
      const exitedInTime = await Promise.race([exited, delay(polite ? graceMs : 0).then(() => false)]);
      if (!exitedInTime) {
        child.kill("SIGKILL");
        // SIGKILL cannot be ignored, but on a loaded machine the exit can take a while to arrive.
        await Promise.race([exited, delay(killWaitMs)]);
      }
    }
    this.die("the kernel was shut down");
    child?.stdin?.destroy();
    for (const socket of [this.shell, this.control, this.iopub, this.heartbeat]) socket.close();
    if (this.connectionDir) {
      await fs.rm(this.connectionDir, { recursive: true, force: true });
      connectionDirs.delete(this.connectionDir);
    }
  }
}

function warnDropped(channel: string, reason: string): void {
  process.stderr.write(`fitlab: dropped a ${channel} message: ${reason}\n`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
