/**
 * Where the pool's worker script is: worker threads run JavaScript, so always the compiled
 * `dist/lib/training/worker.js`. From dist/ (notebooks, scripts) that is the file beside this one;
 * from the TypeScript sources (jest with ts-jest) it is found through the project root, and it must
 * not be older than the sources it was compiled from, or the worker would train with other code
 * than the tests read.
 */
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../system/project";

/** The relative requires of a compiled file (`require("./x")`, `require("../y")`). */
function localRequires(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g))
    found.push(path.resolve(path.dirname(file), m[1]) + ".js");
  return found;
}

/** The first compiled file in the worker's module graph that is older than its TypeScript source, if any. */
function staleFile(entry: string, root: string): { js: string; ts: string } | undefined {
  const dist = path.join(root, "dist");
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const js = todo.pop()!;
    if (seen.has(js)) continue;
    seen.add(js);
    const ts = path.join(root, path.relative(dist, js)).replace(/\.js$/, ".ts");
    if (!fs.existsSync(js)) return { js, ts };
    if (fs.existsSync(ts) && fs.statSync(ts).mtimeMs > fs.statSync(js).mtimeMs) return { js, ts };
    todo.push(...localRequires(js));
  }
  return undefined;
}

let checked: string | undefined;

/** The path of the compiled worker script; throws, saying to run `npm run build`, when it is missing or stale. */
export function workerScript(): string {
  if (checked) return checked;
  if (__filename.endsWith(".js")) return (checked = path.join(__dirname, "worker.js"));
  const root = projectRoot('thread: "thread" (train on this thread)');
  const script = path.join(root, "dist", "lib", "training", "worker.js");
  const fix =
    'run `npm run build` (it compiles lib/ into dist/), or train on this thread with `thread: "thread"` or FITLAB_WORKERS=0';
  if (!fs.existsSync(script))
    throw new Error(`train: the training worker ${path.relative(root, script)} is missing; ${fix}.`);
  const stale = staleFile(script, root);
  if (stale) {
    const why = fs.existsSync(stale.js) ? `is older than ${path.relative(root, stale.ts)}` : "is missing";
    throw new Error(`train: the training worker's compiled code ${path.relative(root, stale.js)} ${why}; ${fix}.`);
  }
  return (checked = script);
}
