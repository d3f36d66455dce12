/**
 * The borders between the project's parts, read from the import statements: scripts/ never imports
 * test/ (the build compiles scripts/ alone), and the Jupyter runner (scripts/jupyter/) reaches into
 * lib/ only for small helpers, never TensorFlow.js, tslab or lib/notebook/display.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(relative);
    return entry.name.endsWith(".ts") ? [relative] : [];
  });
}

/**
 * The modules a file imports or re-exports: relative ones as project paths ("lib/notebook/html.ts"),
 * packages by name. `values`: only what is there at run time (not `import type`, erased by the compiler).
 */
function imports(file: string, values = false): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const statements = [...text.matchAll(/^\s*((?:import|export)\b[^;]*?)\bfrom\s+"([^"]+)"/gm)].filter(
    ([, head]) => !(values && /^\s*(?:import|export)\s+type\b/.test(head)),
  );
  return statements.map(([, , spec]) => {
    if (!spec.startsWith(".")) return spec;
    const base = path.join(path.dirname(file), spec);
    return (
      [`${base}.ts`, path.join(base, "index.ts")].find((candidate) => fs.existsSync(path.join(ROOT, candidate))) ?? base
    );
  });
}

/** Every module reachable from `start` through relative imports, and the packages they import. */
function closure(start: string[], values = false): Set<string> {
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.endsWith(".ts")) queue.push(...imports(file, values));
  }
  return seen;
}

describe("module borders", () => {
  it("scripts/ imports nothing from test/", () => {
    const offenders = sources("scripts").flatMap((file) =>
      imports(file)
        .filter((m) => m.startsWith("test/"))
        .map((m) => `${file} → ${m}`),
    );
    expect(offenders).toEqual([]);
  });

  it("scripts/jupyter/ reaches no TensorFlow.js, no tslab and no lib/notebook/display, directly or through lib/", () => {
    const reached = [...closure(sources("scripts/jupyter"))];
    expect(reached.filter((m) => m.startsWith("lib/")).length).toBeGreaterThan(0);
    expect(
      reached.filter((m) =>
        /^@tensorflow\/|^tslab$|^lib\/(notebook\/display|runs\/train|lesson\/models|system\/backend)\.ts$/.test(m),
      ),
    ).toEqual([]);
  });

  it("only scripts/kernel/ reaches into tslab's internals (tslab/dist/…), which it patches at the kernel's start", () => {
    const internal = [...sources("lib"), ...sources("scripts")].filter((file) =>
      /["']tslab\/dist\//.test(fs.readFileSync(path.join(ROOT, file), "utf8")),
    );
    expect(internal.length).toBeGreaterThan(0);
    expect(internal.filter((file) => !file.startsWith(path.join("scripts", "kernel") + path.sep))).toEqual([]);
  });

  it("what the lesson says and shows (lib/reading/, lib/figures/) never talks to the notebook, and a figure never runs a trainer", () => {
    const says = [...closure([...sources("lib/reading"), ...sources("lib/figures")], true)];
    expect(says.filter((m) => m.startsWith("lib/reading/")).length).toBeGreaterThan(5);
    expect(says.filter((m) => /^lib\/notebook\/|^tslab$/.test(m))).toEqual([]);
    const shows = [...closure(sources("lib/figures"), true)];
    expect(
      shows.filter((m) => /^lib\/(training|engine)\/|^lib\/runs\/(train|trainSeeds|evaluate)\.ts$/.test(m)),
    ).toEqual([]);
  });
});
