/**
 * Where the fitlab project is on disk: the nearest folder above this file whose package.json is
 * named "fitlab". The same from lib/ (sources under ts-jest) and dist/lib/ (the compiled package).
 */
import * as fs from "fs";
import * as path from "path";

function readPackage(dir: string): { name?: string; version?: string } | undefined {
  const file = path.join(dir, "package.json");
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
  } catch {
    return undefined; // An unreadable package.json is not ours; keep walking up.
  }
}

/** The folder holding the package.json named "fitlab" above `from`, or undefined. */
export function findProjectRoot(from: string = __dirname): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (readPackage(dir)?.name === "fitlab") return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The project root, or an error saying how to do without it (`what` names the caller's option). */
export function projectRoot(what = "an explicit folder"): string {
  const root = findProjectRoot();
  if (!root)
    throw new Error(
      `Cannot find the fitlab project root (a package.json named "fitlab") above ${__dirname}: pass ${what}.`,
    );
  return root;
}

let version: string | undefined;

/** fitlab's version from its package.json ("unknown" outside the project). */
export function projectVersion(): string {
  if (version === undefined) {
    const root = findProjectRoot();
    version = root ? String(readPackage(root)?.version ?? "unknown") : "unknown";
  }
  return version;
}
