/**
 * Chooses the TensorFlow.js backend once per process: WebAssembly, else native TensorFlow (tfjs-node),
 * else plain JavaScript, and says which and why in one line. WebAssembly first because the lesson
 * ran faster on it (README: Speed); native TensorFlow is there for whoever asks for it.
 * `FITLAB_BACKEND=tensorflow|wasm|cpu` forces one. On native TensorFlow fitlab adds the one kernel
 * tfjs-node lacks (engine/nativeKernels.ts); on wasm it patches Slice (engine/slicePatch.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { registerNativeKernels } from "../engine/nativeKernels";
import { patchWasmSlice } from "../engine/slicePatch";

export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The automatic choice's order: the first that loads runs (README: Speed says why wasm leads). */
const AUTO_ORDER: readonly BackendName[] = ["wasm", "tensorflow", "cpu"];

export interface BackendOptions {
  /** Force a backend; default: `process.env.FITLAB_BACKEND`, else the first that loads of wasm, tensorflow, cpu. */
  backend?: BackendName;
  /** Print the chosen backend (once per process). Default true. */
  report?: boolean;
  /** Where to print the report. Default `console.log`. */
  log?: (line: string) => void;
}

const HOW_TO_GET: Record<BackendName, string> = {
  tensorflow:
    "install it with `npm install @tensorflow/tfjs-node@4.22.0` (its install script downloads libtensorflow, so it needs internet access, and npm 12 runs it only once approved: `npm install-scripts approve @tensorflow/tfjs-node`), or build it against the tensorflow-cpu wheel with scripts/native/build-tfjs-node.sh (README: Backends)",
  wasm: "install it with `npm install @tensorflow/tfjs-backend-wasm@4.22.0` (it is a regular dependency of fitlab: run `npm install`)",
  cpu: "it ships with @tensorflow/tfjs: run `npm install`",
};

let chosen: Promise<Choice> | undefined;
let reported = false;

/** Loads the package that registers a backend; returns the reason when it cannot. */
function registerBackend(name: BackendName): string | undefined {
  try {
    if (name === "tensorflow") {
      // TensorFlow's C++ INFO lines (its CPU-feature notice) are noise to a learner: hide them unless
      // the user asked for a level. Two lines still reach the kernel's stderr (the Jupyter server's
      // terminal, not the notebook): absl's "before InitializeLog" warning and the oneDNN notice, both
      // written while libtensorflow loads, before any setting can apply (measured with levels 1–3 and
      // TF_ENABLE_ONEDNN_OPTS=1 set, in the environment and in-process).
      process.env.TF_CPP_MIN_LOG_LEVEL ??= "1";
      require("@tensorflow/tfjs-node");
      registerNativeKernels();
    }
    if (name === "wasm") require("@tensorflow/tfjs-backend-wasm");
    return tf.findBackendFactory(name) ? undefined : `the package loaded but registered no "${name}" backend`;
  } catch (err) {
    return (err as Error).message.split("\n")[0];
  }
}

async function activate(name: BackendName): Promise<string | undefined> {
  const whyNot = registerBackend(name);
  if (whyNot) return whyNot;
  try {
    if (!(await tf.setBackend(name))) return `tf.setBackend("${name}") failed to initialize it`;
    await tf.ready();
  } catch (err) {
    return (err as Error).message.split("\n")[0];
  }
  // The cpu backend prints an "install tfjs-node" banner on first use; we report our choice instead.
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if ("firstUse" in backend) backend.firstUse = false;
  return undefined;
}

function parseForced(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === "") return undefined;
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(
    `FITLAB_BACKEND="${value}" is not a backend fitlab knows. Use one of ${BACKENDS.join(", ")}, or unset it to pick automatically.`,
  );
}

interface Choice {
  name: BackendName;
  /** Why this one, for the report line. */
  why: string;
}

/** What the backend is, for the report line. */
function describe(name: BackendName): string {
  if (name === "tensorflow") {
    const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    return `native TensorFlow${binding?.TF_Version ? ` ${binding.TF_Version}` : ""} through tfjs-node; runs train on this thread, on TensorFlow's own threads`;
  }
  return name === "wasm" ? "WebAssembly; runs train on a worker thread per core" : "plain JavaScript, slow";
}

/** tfjs-node's failure to load, in words for a learner: not installed, or installed and why it did not load. */
function nativeWhyNot(reason: string): string {
  return /Cannot find module '@tensorflow\/tfjs-node'/.test(reason)
    ? "@tensorflow/tfjs-node is not installed (README: Backends)"
    : `@tensorflow/tfjs-node did not load: ${reason}`;
}

/** Whether tfjs-node is installed, without loading libtensorflow (half a second and ~0.3 GB) to find out. */
function nativeInstalled(): boolean {
  try {
    require.resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

/** Why the automatic choice's first backend runs, for the report line. */
function whyFirst(name: BackendName): string {
  if (name !== "wasm") return "the first that loaded";
  return nativeInstalled()
    ? "faster for this lesson than native TensorFlow, which is installed: FITLAB_BACKEND=tensorflow uses it (README: Backends)"
    : "the faster for this lesson (README: Speed); @tensorflow/tfjs-node, native TensorFlow, is not installed";
}

async function choose(forced: BackendName | undefined): Promise<Choice> {
  if (forced) {
    const whyNot = await activate(forced);
    if (whyNot) {
      throw new Error(
        `The "${forced}" backend was asked for (FITLAB_BACKEND or options.backend) but is not available: ${whyNot}. ` +
          `To get it, ${HOW_TO_GET[forced]}; or unset FITLAB_BACKEND to fall back automatically.`,
      );
    }
    return { name: forced, why: "asked for" };
  }
  // WebAssembly first: measured in one sitting (2026-12-04, 2 cores, load 2–4), the cold lesson took
  // 5 min 17 s on it against 5 min 48 s on native TensorFlow, and notebook 1's three MNIST Dense(10)
  // seeds trained in 16.0 s on the two wasm workers against 38.0 s on native TensorFlow (README: Speed).
  // Native TensorFlow runs only where WebAssembly does not load, or when asked for.
  const reasons: string[] = [];
  for (const name of AUTO_ORDER) {
    const whyNot = await activate(name);
    if (!whyNot) return { name, why: reasons.length ? reasons.join("; ") : whyFirst(name) };
    reasons.push(name === "tensorflow" ? nativeWhyNot(whyNot) : `${name}: ${whyNot}`);
  }
  throw new Error(`No TensorFlow.js backend could be started (${reasons.join("; ")}). Run \`npm install\`.`);
}

/**
 * Makes sure a backend is active and returns its name. Safe to call many times: the choice is made
 * once per process (asking for a different backend later switches to it). The report line says
 * which backend runs, what it is and why it was chosen (when one was passed over: why it did not load).
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  const forced = options.backend ?? parseForced(process.env.FITLAB_BACKEND);
  if (chosen) {
    const current = await chosen.then((c) => c.name).catch(() => undefined);
    if (current && (!forced || forced === current)) {
      if (tf.getBackend() !== current) await tf.setBackend(current);
      return current;
    }
  }
  chosen = choose(forced);
  const { name, why } = await chosen;
  if (name === "wasm") patchWasmSlice();
  if (options.report !== false && !reported) {
    reported = true;
    (options.log ?? console.log)(`fitlab: TensorFlow.js backend "${name}" (${describe(name)}) — ${why}`);
  }
  return name;
}

/** The active backend, for cache keys and reports. */
export function currentBackend(): string {
  return tf.getBackend();
}
