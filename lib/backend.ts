/**
 * Chooses the TensorFlow.js backend once per process: native TensorFlow (tfjs-node) when it loads,
 * else WebAssembly, else plain JavaScript. `FITLAB_BACKEND=tensorflow|wasm|cpu` forces one.
 */
import * as tf from "@tensorflow/tfjs";
import { registerNativeKernels } from "./engine/nativeKernels";
import { patchWasmSlice } from "./engine/slicePatch";

export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendOptions {
  /** Force a backend; default: `process.env.FITLAB_BACKEND`, else the fastest that loads. */
  backend?: BackendName;
  /** Print the chosen backend (once per process). Default true. */
  report?: boolean;
  /** Where to print the report. Default `console.log`. */
  log?: (line: string) => void;
}

const HOW_TO_GET: Record<BackendName, string> = {
  tensorflow:
    "install it with `npm install @tensorflow/tfjs-node@4.22.0` (its install downloads libtensorflow, so it needs internet access)",
  wasm: "install it with `npm install @tensorflow/tfjs-backend-wasm@4.22.0` (it is a regular dependency of fitlab: run `npm install`)",
  cpu: "it ships with @tensorflow/tfjs: run `npm install`",
};

let chosen: Promise<BackendName> | undefined;
let reported = false;

/** Loads the package that registers a backend; returns the reason when it cannot. */
function registerBackend(name: BackendName): string | undefined {
  try {
    if (name === "tensorflow") {
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
    `FITLAB_BACKEND="${value}" is not a backend fitlab knows. Use one of ${BACKENDS.join(", ")}, or unset it to pick the fastest available.`,
  );
}

async function choose(forced: BackendName | undefined): Promise<BackendName> {
  if (forced) {
    const whyNot = await activate(forced);
    if (whyNot) {
      throw new Error(
        `The "${forced}" backend was asked for (FITLAB_BACKEND or options.backend) but is not available: ${whyNot}. ` +
          `To get it, ${HOW_TO_GET[forced]}; or unset FITLAB_BACKEND to fall back automatically.`,
      );
    }
    return forced;
  }
  const reasons: string[] = [];
  for (const name of BACKENDS) {
    const whyNot = await activate(name);
    if (!whyNot) return name;
    reasons.push(`${name}: ${whyNot}`);
  }
  throw new Error(`No TensorFlow.js backend could be started (${reasons.join("; ")}). Run \`npm install\`.`);
}

/**
 * Makes sure a backend is active and returns its name. Safe to call many times: the choice is made
 * once per process (asking for a different backend later switches to it).
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  const forced = options.backend ?? parseForced(process.env.FITLAB_BACKEND);
  if (chosen) {
    const current = await chosen.catch(() => undefined);
    if (current && (!forced || forced === current)) {
      if (tf.getBackend() !== current) await tf.setBackend(current);
      return current;
    }
  }
  chosen = choose(forced);
  const name = await chosen;
  if (name === "wasm") patchWasmSlice();
  if (options.report !== false && !reported) {
    reported = true;
    const note = name === "tensorflow" ? "native TensorFlow" : name === "wasm" ? "WebAssembly; install @tensorflow/tfjs-node for native speed" : "plain JavaScript, slow";
    (options.log ?? console.log)(`fitlab: TensorFlow.js backend "${name}" (${note})`);
  }
  return name;
}

/** The active backend, for cache keys and reports. */
export function currentBackend(): string {
  return tf.getBackend();
}
