/**
 * The argument checks every module shares: how a bad value is shown in a message (NaN, Infinity and
 * -0 as written, not as JSON's `null`), and the small predicates the checks are made of. One message
 * shape everywhere: `<where>: <field> = <value>; <what is allowed>.`
 */
import type { RunLike } from "./types";

/** A value as a reader would write it: 1e400 → Infinity, NaN → NaN, strings quoted, objects named. */
export function showValue(value: unknown): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || value === undefined || typeof value === "boolean") return String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  const ctor = (value as object).constructor?.name;
  return ctor && ctor !== "Object" ? `a ${ctor}` : "an object";
}

/** Throws `<where>: <field> = <value>; <allowed>.` */
export function fail(where: string, field: string, value: unknown, allowed: string): never {
  throw new Error(`${where}: ${field} = ${showValue(value)}; ${allowed}.`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Refuses keys of `options` that are not in `known`, listing the known ones. */
export function checkKnownKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key))
      fail(
        where,
        `options.${key}`,
        (options as Record<string, unknown>)[key],
        `not an option; known options: ${known.join(", ")}`,
      );
  }
}

/** An integer in [min, max]; the message names the range and a hint. */
export function integerIn(
  where: string,
  field: string,
  value: unknown,
  min: number,
  max: number,
  hint: string,
): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`;
    fail(where, field, value, `it must be ${range} (${hint})`);
  }
  return value;
}

/** A finite number for which `ok` holds; `allowed` describes the rule. */
export function finiteNumber(
  where: string,
  field: string,
  value: unknown,
  ok: (v: number) => boolean,
  allowed: string,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) fail(where, field, value, allowed);
  return value;
}

/** A finished run ({ name, history }: what train() or trainSeeds() returns), or `<where>: run = <value>; expected a run (…).` */
export function checkRun<R extends RunLike>(run: R, where: string): R {
  if (
    run === null ||
    typeof run !== "object" ||
    typeof run.name !== "string" ||
    run.history === null ||
    typeof run.history !== "object"
  ) {
    fail(where, "run", run, "expected a run ({ name, history }, what train() or trainSeeds() returns)");
  }
  return run;
}
