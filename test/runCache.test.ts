import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  canonicalJson,
  clearRuns,
  defaultRunsDir,
  fingerprint,
  readRun,
  runKey,
  RUN_CACHE_FORMAT,
  writeRun,
  type CacheEntry,
} from "../lib/runs/runCache";
import type { DenseMatrix, History, MultiHotMatrix } from "../lib/types";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fitlab-runs-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const spec = {
  layers: [
    { units: 16, activation: "relu" },
    { units: 16, activation: "relu" },
  ],
  output: { units: 1, activation: "sigmoid" },
  optimizer: "rmsprop",
};
const parts = {
  spec,
  options: { epochs: 20, batchSize: 512, validationSplit: 0.4 },
  data: "3f2a…",
  seed: 42,
  backend: "wasm",
  version: "0.1.0",
};

function sampleRun(key = runKey(parts)): CacheEntry {
  const history: History = {
    history: {
      // 0.1 + 0.2 and 1/3 have long binary expansions: they must come back bit-exact.
      loss: [0.6931471805599453, 0.1 + 0.2, 1 / 3, NaN],
      accuracy: [0.5, 0.75, 0.875, NaN],
      val_loss: [0.7, 0.45, Infinity, NaN],
      val_accuracy: [0.49, 0.8, -Infinity, -0],
    },
    epoch: [0, 1, 2, 3],
    params: { epochs: 4, batchSize: 512, samples: 15000, validationSamples: 10000, steps: 30 },
  };
  const kernel = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1) * 1e-3);
  kernel[3] = NaN;
  kernel[4] = -0;
  kernel[5] = 3.4e38;
  return {
    key,
    name: "original",
    history,
    weights: [
      { name: "dense/kernel", shape: [4, 3], values: kernel },
      { name: "dense/bias", shape: [3], values: new Float32Array([0.25, -1e-30, 7]) },
      { name: "empty/bias", shape: [0], values: new Float32Array(0) },
    ],
    meta: { spec, seconds: 4.2, note: null, tags: ["imdb", "baseline"] },
  };
}

const files = (key: string) => ({ manifest: path.join(dir, `${key}.json`), weights: path.join(dir, `${key}.bin`) });
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe("runKey", () => {
  it("is a sha256 in hex", () => {
    expect(runKey(parts)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on the order of object keys, at any depth", () => {
    const reordered = {
      version: "0.1.0",
      seed: 42,
      options: { validationSplit: 0.4, batchSize: 512, epochs: 20 },
      backend: "wasm",
      data: "3f2a…",
      spec: {
        optimizer: "rmsprop",
        output: { activation: "sigmoid", units: 1 },
        layers: [
          { activation: "relu", units: 16 },
          { units: 16, activation: "relu" },
        ],
      },
    };
    expect(runKey(reordered)).toBe(runKey(parts));
  });

  it.each<[string, Record<string, unknown>]>([
    ["units", { ...parts, spec: { ...spec, layers: [{ units: 32, activation: "relu" }, spec.layers[1]] } }],
    [
      "layer order",
      { ...parts, spec: { ...spec, layers: [spec.layers[1], { ...spec.layers[0], activation: "tanh" }] } },
    ],
    ["epochs", { ...parts, options: { ...parts.options, epochs: 21 } }],
    ["a new option", { ...parts, options: { ...parts.options, l2: 0.002 } }],
    ["seed", { ...parts, seed: 43 }],
    ["seed as a string", { ...parts, seed: "42" }],
    ["backend", { ...parts, backend: "cpu" }],
    ["version", { ...parts, version: "0.1.1" }],
    ["data fingerprint", { ...parts, data: "3f2b…" }],
  ])("changes when %s changes", (_what, changed) => {
    expect(runKey(changed)).not.toBe(runKey(parts));
  });

  it("treats an undefined option as absent, but NaN, null and 0 as distinct values", () => {
    expect(runKey({ ...parts, patience: undefined })).toBe(runKey(parts));
    const keys = [NaN, null, 0, -0, Infinity, -Infinity, "NaN", undefined].map((v) => runKey({ x: [v] }));
    expect(new Set(keys).size).toBe(keys.length);
    expect(runKey({ x: NaN })).toBe(runKey({ x: NaN }));
  });

  it("hashes typed arrays by type and content, deterministically", () => {
    const a = new Float32Array([1, 2, 3]);
    expect(runKey({ a })).toBe(runKey({ a: new Float32Array([1, 2, 3]) }));
    expect(runKey({ a })).not.toBe(runKey({ a: new Float32Array([1, 2, 4]) }));
    expect(runKey({ a })).not.toBe(runKey({ a: new Int32Array([1, 2, 3]) }));
    expect(runKey({ a })).not.toBe(runKey({ a: [1, 2, 3] }));
    // A view hashes its own bytes, not the whole buffer behind it.
    const big = new Float32Array([9, 1, 2, 3, 9]);
    expect(runKey({ a: big.subarray(1, 4) })).toBe(runKey({ a }));
  });

  it("does not let a user key that looks like a tag collide with the tag", () => {
    expect(runKey({ x: { $number: "NaN" } })).not.toBe(runKey({ x: NaN }));
    expect(canonicalJson({ x: { $number: "NaN" } })).toContain("$$number");
  });

  it.each<[string, unknown, RegExp]>([
    ["an array", [1, 2], /parts must be a plain object/],
    [
      "a class instance inside",
      { model: new (class Sequential {})() },
      /parts\.model is a Sequential; pass plain data/,
    ],
    ["a function inside", { spec: { activation: () => 0 } }, /parts\.spec\.activation is a function/],
  ])("throws for %s", (_name, value, message) => {
    expect(() => runKey(value as Record<string, unknown>)).toThrow(message);
  });

  it("throws for a cycle", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => runKey(a)).toThrow(/parts\.self refers back to itself/);
  });
});

describe("fingerprint", () => {
  const dense = (data: number[], rows: number, cols: number): DenseMatrix => ({
    kind: "dense",
    rows,
    cols,
    data: Float32Array.from(data),
  });
  const multihot = (ids: number[][], cols = 10): MultiHotMatrix => ({
    kind: "multihot",
    rows: ids.length,
    cols,
    ids: ids.map((r) => Int32Array.from(r)),
  });

  it("is stable and depends on content", () => {
    expect(fingerprint(dense([1, 2, 3, 4], 2, 2))).toBe(fingerprint(dense([1, 2, 3, 4], 2, 2)));
    expect(fingerprint(dense([1, 2, 3, 4], 2, 2))).not.toBe(fingerprint(dense([1, 2, 3, 5], 2, 2)));
    expect(fingerprint(dense([1, 2, 3, 4], 2, 2))).toMatch(/^[0-9a-f]{40}$/);
  });

  it("tells apart the same values in another shape", () => {
    expect(fingerprint(dense([1, 2, 3, 4], 2, 2))).not.toBe(fingerprint(dense([1, 2, 3, 4], 1, 4)));
  });

  it("tells apart multi-hot rows split differently, and other widths", () => {
    const a = fingerprint(multihot([[1, 2], [3]]));
    expect(fingerprint(multihot([[1, 2], [3]]))).toBe(a);
    expect(fingerprint(multihot([[1], [2, 3]]))).not.toBe(a);
    expect(fingerprint(multihot([[1, 2, 3], []]))).not.toBe(a);
    expect(fingerprint(multihot([[1, 2], [3]], 10000))).not.toBe(a);
  });

  it("hashes every argument, in order, with its type", () => {
    const x = dense([1, 2, 3, 4], 2, 2);
    const y = new Uint8Array([0, 1]);
    expect(fingerprint(x, y)).not.toBe(fingerprint(x));
    expect(fingerprint(x, y)).not.toBe(fingerprint(x, new Int32Array([0, 1])));
    expect(fingerprint(x, y)).not.toBe(fingerprint(x, [0, 1]));
    expect(fingerprint(y, x)).not.toBe(fingerprint(x, y));
    expect(fingerprint([0, 1])).toBe(fingerprint([0, 1]));
    expect(fingerprint([0, 1])).not.toBe(fingerprint([0, 1.5]));
  });

  it("throws for data that does not match its dimensions", () => {
    expect(() => fingerprint(dense([1, 2, 3], 2, 2))).toThrow(/data of length 3 but rows × cols = 2 × 2/);
    expect(() => fingerprint({ kind: "multihot", rows: 3, cols: 10, ids: [new Int32Array(1)] })).toThrow(
      /1 id rows but rows = 3/,
    );
    expect(() => fingerprint(null as unknown as Float32Array)).toThrow(/argument 1 is null/);
  });
});

describe("readRun / writeRun", () => {
  it("returns undefined for a key never written", () => {
    expect(readRun(runKey(parts), { dir })).toBeUndefined();
  });

  it("round-trips history numbers (NaN, ±Infinity, -0 included) and weights bit for bit", () => {
    const run = sampleRun();
    writeRun(run, { dir });
    const back = readRun(run.key, { dir })!;
    expect(back).toBeDefined();
    expect(back.key).toBe(run.key);
    expect(back.name).toBe("original");
    expect(back.history).toEqual(run.history); // toEqual treats NaN as NaN, and Object.is for -0
    expect(Object.is(back.history.history.val_accuracy![3], -0)).toBe(true);
    expect(back.history.history.loss[1]).toBe(0.1 + 0.2);
    expect(back.meta).toEqual(run.meta);
    expect(back.weights.map((w) => [w.name, w.shape])).toEqual(run.weights.map((w) => [w.name, w.shape]));
    back.weights.forEach((w, i) => {
      expect(w.values).toBeInstanceOf(Float32Array);
      expect(bits(w.values)).toEqual(bits(run.weights[i].values));
    });
  });

  it("creates the cache directory and leaves no temporary files", () => {
    const nested = path.join(dir, "a", "b");
    writeRun(sampleRun(), { dir: nested });
    expect(fs.readdirSync(nested).sort()).toEqual([`${runKey(parts)}.bin`, `${runKey(parts)}.json`]);
  });

  it("replaces an entry written under the same key", () => {
    const run = sampleRun();
    writeRun(run, { dir });
    writeRun(
      { ...run, name: "second", weights: [{ name: "w", shape: [2], values: new Float32Array([1, 2]) }] },
      { dir },
    );
    const back = readRun(run.key, { dir })!;
    expect(back.name).toBe("second");
    expect(Array.from(back.weights[0].values)).toEqual([1, 2]);
  });

  describe("a corrupt or mismatched entry is removed, reported as a miss, then rewritten", () => {
    const corruptions: [string, (key: string) => void][] = [
      ["manifest is not JSON", (key) => fs.writeFileSync(files(key).manifest, "{ not json")],
      ["manifest is truncated", (key) => fs.truncateSync(files(key).manifest, 100)],
      [
        "weights file is truncated",
        (key) => fs.truncateSync(files(key).weights, fs.statSync(files(key).weights).size - 4),
      ],
      ["weights file is missing", (key) => fs.rmSync(files(key).weights)],
      [
        "one byte of the weights is flipped",
        (key) => {
          const bin = fs.readFileSync(files(key).weights);
          bin[7] ^= 0x01;
          fs.writeFileSync(files(key).weights, bin);
        },
      ],
      [
        "manifest belongs to another key",
        (key) => {
          const m = JSON.parse(fs.readFileSync(files(key).manifest, "utf8"));
          m.key = "0".repeat(64);
          fs.writeFileSync(files(key).manifest, JSON.stringify(m));
        },
      ],
      [
        "manifest has another format version",
        (key) => {
          const m = JSON.parse(fs.readFileSync(files(key).manifest, "utf8"));
          m.version = RUN_CACHE_FORMAT + 1;
          fs.writeFileSync(files(key).manifest, JSON.stringify(m));
        },
      ],
      [
        "manifest weight shapes disagree with the binary",
        (key) => {
          const m = JSON.parse(fs.readFileSync(files(key).manifest, "utf8"));
          m.weights[0].shape = [3, 4, 1, 2];
          fs.writeFileSync(files(key).manifest, JSON.stringify(m));
        },
      ],
      [
        "manifest's history has one digit edited (a curve that was never trained)",
        (key) => {
          const text = fs.readFileSync(files(key).manifest, "utf8");
          expect(text).toContain("0.45,");
          fs.writeFileSync(files(key).manifest, text.replace("0.45,", "0.46,"));
        },
      ],
      [
        "manifest's meta is edited",
        (key) => {
          const m = JSON.parse(fs.readFileSync(files(key).manifest, "utf8"));
          m.meta.epochs = 40;
          fs.writeFileSync(files(key).manifest, JSON.stringify(m));
        },
      ],
      [
        "manifest loses its entry checksum",
        (key) => {
          const m = JSON.parse(fs.readFileSync(files(key).manifest, "utf8"));
          delete m.entrySha256;
          fs.writeFileSync(files(key).manifest, JSON.stringify(m));
        },
      ],
      [
        "manifest history lost a series type",
        (key) => {
          const m = JSON.parse(fs.readFileSync(files(key).manifest, "utf8"));
          m.history.history.loss = "gone";
          fs.writeFileSync(files(key).manifest, JSON.stringify(m));
        },
      ],
    ];

    it.each(corruptions)(
      "when the %s, with a warning naming the file (none for another format version)",
      (_what, corrupt) => {
        const run = sampleRun();
        writeRun(run, { dir });
        expect(readRun(run.key, { dir })).toBeDefined();
        corrupt(run.key);
        const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
        try {
          expect(readRun(run.key, { dir })).toBeUndefined();
          // A format upgrade is not damage: that entry is replaced quietly.
          expect(warn).toHaveBeenCalledTimes(_what.includes("format version") ? 0 : 1);
          if (!_what.includes("format version"))
            expect(warn.mock.calls[0][0]).toMatch(
              new RegExp(
                `^fitlab run cache: dropped ${files(run.key).manifest} \\(.+\\); the run will be trained again\\.$`,
              ),
            );
        } finally {
          warn.mockRestore();
        }
        expect(fs.existsSync(files(run.key).manifest)).toBe(false);
        expect(fs.existsSync(files(run.key).weights)).toBe(false);
        writeRun(run, { dir });
        expect(bits(readRun(run.key, { dir })!.weights[0].values)).toEqual(bits(run.weights[0].values));
      },
    );
  });

  it("says why it dropped an edited entry", () => {
    const run = sampleRun();
    writeRun(run, { dir });
    const text = fs.readFileSync(files(run.key).manifest, "utf8");
    fs.writeFileSync(files(run.key).manifest, text.replace("0.45,", "0.46,"));
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(readRun(run.key, { dir })).toBeUndefined();
      expect(warn.mock.calls[0][0]).toContain("its checksum does not match: the manifest was edited or corrupted");
    } finally {
      warn.mockRestore();
    }
  });

  it("keeps an entry whose manifest a writer has not renamed in yet (weights only) and reports a miss", () => {
    const run = sampleRun();
    writeRun(run, { dir });
    fs.rmSync(files(run.key).manifest);
    expect(readRun(run.key, { dir })).toBeUndefined();
    expect(fs.existsSync(files(run.key).weights)).toBe(true);
  });

  it.each<[string, (run: CacheEntry) => unknown, RegExp]>([
    ["a key with a path in it", (run) => ({ ...run, key: "../escape" }), /key must be 1–128 letters/],
    [
      "values not matching the shape",
      (run) => ({ ...run, weights: [{ name: "k", shape: [2, 2], values: new Float32Array(3) }] }),
      /run\.weights\[0\] \("k"\) has 3 values but shape \[2, 2\] needs 4/,
    ],
    [
      "values that are not float32",
      (run) => ({ ...run, weights: [{ name: "k", shape: [2], values: [1, 2] }] }),
      /run\.weights\[0\]\.values must be a Float32Array/,
    ],
    [
      "a typed array in meta",
      (run) => ({ ...run, meta: { ids: new Int32Array(2) } }),
      /run\.meta\.ids is a Int32Array; meta must be JSON data/,
    ],
    [
      "a history without loss",
      (run) => ({ ...run, history: { epoch: [] } }),
      /run\.history must be a Keras-shaped History/,
    ],
  ])("writeRun throws for %s and writes nothing", (_name, edit, message) => {
    expect(() => writeRun(edit(sampleRun()) as CacheEntry, { dir })).toThrow(message);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("readRun throws for a malformed key (a caller bug, not a bad entry)", () => {
    expect(() => readRun("../../etc/passwd", { dir })).toThrow(/readRun: key must be/);
  });
});

describe("clearRuns", () => {
  it("removes every entry and stray temporary file, and only those", () => {
    writeRun(sampleRun(runKey({ a: 1 })), { dir });
    writeRun(sampleRun(runKey({ a: 2 })), { dir });
    fs.writeFileSync(path.join(dir, `${runKey({ a: 3 })}.json.tmp-abc123`), "partial");
    fs.writeFileSync(path.join(dir, `.${runKey({ a: 4 })}.bin.tmp-0123456789ab`), "partial"); // lib/system/atomicWrite's name
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    expect(clearRuns({ dir })).toBe(2);
    expect(fs.readdirSync(dir)).toEqual(["notes.txt"]);
    expect(readRun(runKey({ a: 1 }), { dir })).toBeUndefined();
  });

  it("returns 0 for a directory that does not exist", () => {
    expect(clearRuns({ dir: path.join(dir, "nope") })).toBe(0);
  });
});

describe("defaultRunsDir", () => {
  it("is data/runs under the project root", () => {
    const saved = process.env.FITLAB_RUNS_DIR;
    delete process.env.FITLAB_RUNS_DIR;
    try {
      expect(defaultRunsDir()).toBe(path.resolve(__dirname, "..", "data", "runs"));
    } finally {
      if (saved !== undefined) process.env.FITLAB_RUNS_DIR = saved;
    }
  });
});
