/**
 * Checks a notebook against the nbformat JSON schema before any kernel starts, and says which cell
 * is wrong and how, in one line per problem: `{"cells":[null]}` or a code cell whose source is a
 * number failed late before (a TypeError inside the runner, or a cell printed as ▶ and then lost).
 *
 * Which validator: Ajv 8 (the JSON-schema validator most of npm uses, already in the lockfile through
 * JupyterLab's packages, now a direct dependency) with nbformat's own schemas, copied unchanged into
 * scripts/jupyter/nbformat/ (4.4 and 4.5, the ones nbformat 5 picks for those minor versions).
 * The schemas are draft-04; Ajv 8 compiles them as they are once it is told not to fetch draft-04's
 * meta-schema (`validateSchema: false`) and to allow draft-04's keywords (`strict: false`).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { readFileSync } from "fs";
import * as path from "path";
import { isRecord } from "../../lib/check";
import { projectRoot } from "../../lib/system/project";

/** Schemas by nbformat_minor; a notebook newer than 4.5 is checked against 4.5 (nbformat does the same). */
const SCHEMA_FILES: Record<number, string> = { 4: "nbformat.v4.4.schema.json", 5: "nbformat.v4.5.schema.json" };

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The validator for `ref` ("" for a whole notebook, or "#/definitions/code_cell") of the schema for `minor`. */
function validatorFor(minor: number, ref = ""): ValidateFunction {
  const file = SCHEMA_FILES[minor];
  const id = `nbformat-4.${minor}`;
  const key = `${id}${ref}`;
  const known = compiled.get(key);
  if (known) return known;
  ajv ??= new Ajv({ allErrors: true, strict: false, validateSchema: false });
  if (!ajv.getSchema(id)) {
    // Read from the project's sources (not dist/): the schema files are data, not compiled code.
    const schema = JSON.parse(
      readFileSync(path.join(projectRoot(), "scripts", "jupyter", "nbformat", file), "utf8"),
    ) as Record<string, unknown>;
    delete schema.$schema;
    ajv.addSchema(schema, id);
  }
  const validate = ajv.getSchema(`${id}${ref}`);
  if (!validate) throw new Error(`nbformat schema ${file} has no ${ref}`);
  compiled.set(key, validate);
  return validate;
}

const OUTPUT_TYPES = ["execute_result", "display_data", "stream", "error"];

/** An instance path such as /outputs/0/text as words: "outputs.0.text"; "" for the value itself. */
function fieldOf(instancePath: string): string {
  return instancePath.split("/").filter(Boolean).join(".");
}

/** `value`, short, for a message. */
function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/**
 * Ajv's errors at their deepest paths, one line per path (a oneOf's branches joined with "or"), each
 * starting with where: `name(field)`, where field is "" for the value itself.
 */
function describeErrors(errors: ErrorObject[], root: unknown, name: (field: string) => string): string[] {
  const useful = errors.filter((e) => !["oneOf", "anyOf", "if"].includes(e.keyword));
  const paths = [...new Set(useful.map((e) => e.instancePath))];
  // Only the deepest problems: "/cells/0/source must be string" says more than "/cells/0 must match a schema".
  const deepest = paths.filter((p) => !paths.some((other) => other !== p && other.startsWith(`${p}/`)));
  return deepest.map((at) => {
    const here = useful.filter((e) => e.instancePath === at);
    const required = here.filter((e) => e.keyword === "required").map((e) => `"${String(e.params.missingProperty)}"`);
    const needs =
      required.length > 0
        ? [
            `needs ${required.length > 1 ? `${required.slice(0, -1).join(", ")} and ${required[required.length - 1]}` : required[0]}`,
          ]
        : [];
    const messages = [
      ...needs,
      ...new Set(
        here
          .filter((e) => e.keyword !== "required")
          .map((e) => {
            if (e.keyword === "additionalProperties")
              return `has "${String(e.params.additionalProperty)}", which nbformat does not allow there`;
            if (e.keyword === "const" || e.keyword === "enum")
              return `must be ${(e.params.allowedValues as unknown[] | undefined)?.map(show).join(" or ") ?? show(e.params.allowedValue)}`;
            return e.message ?? e.keyword;
          }),
      ),
    ];
    const value = at
      .split("/")
      .filter(Boolean)
      .reduce<unknown>(
        (v, part) => (isRecord(v) || Array.isArray(v) ? (v as Record<string, unknown>)[part] : undefined),
        root,
      );
    const got = here.some((e) => e.keyword === "type" || e.keyword === "const" || e.keyword === "enum")
      ? ` (got ${show(value)})`
      : "";
    return `${name(fieldOf(at))} ${messages.join(", or ")}${got}`;
  });
}

/**
 * Every way `raw` (the parsed JSON of a notebook file, line lists as on disk) breaks the nbformat 4
 * schema, as lines naming the cell ("cell 3 (code, id c-3): source must be string, or must be array
 * (got 42)"); empty when it is valid. nbformat 3 and older are refused with how to convert them.
 */
export function schemaProblems(raw: unknown): string[] {
  if (!isRecord(raw)) return [`the file holds ${show(raw)}, not a notebook (a JSON object with "cells")`];
  if (raw.nbformat !== undefined && raw.nbformat !== 4) {
    return [
      `nbformat ${show(raw.nbformat)}: fitlab reads nbformat 4 notebooks; convert it with \`jupyter nbconvert --to notebook --nbformat 4\``,
    ];
  }
  const minor = typeof raw.nbformat_minor === "number" && raw.nbformat_minor < 5 ? 4 : 5;
  const problems: string[] = [];
  // The notebook without its cells first, then each cell against the schema of its own cell_type,
  // so a bad code cell is not also reported as "not a raw cell" and "not a markdown cell".
  const top = validatorFor(minor);
  const cells = Array.isArray(raw.cells) ? raw.cells : undefined;
  if (!top({ ...raw, cells: cells ? [] : raw.cells }))
    problems.push(...describeErrors(top.errors ?? [], raw, (field) => field || "the notebook"));
  cells?.forEach((cell: unknown, index: number) => {
    const type = isRecord(cell) ? cell.cell_type : undefined;
    const id = isRecord(cell) && typeof cell.id === "string" ? `, id ${cell.id}` : "";
    const label = `cell ${index}${typeof type === "string" ? ` (${type}${id})` : ""}`;
    if (!isRecord(cell)) {
      problems.push(`${label} is ${show(cell)}, not a cell object`);
      return;
    }
    if (type !== "code" && type !== "markdown" && type !== "raw") {
      problems.push(`${label} has cell_type ${show(type)}; nbformat allows "code", "markdown" or "raw"`);
      return;
    }
    // A code cell's outputs likewise, each against the schema of its own output_type.
    const outputs = type === "code" && Array.isArray(cell.outputs) ? cell.outputs : undefined;
    const validate = validatorFor(minor, `#/definitions/${type}_cell`);
    if (!validate(outputs ? { ...cell, outputs: [] } : cell))
      problems.push(...describeErrors(validate.errors ?? [], cell, (field) => (field ? `${label}: ${field}` : label)));
    outputs?.forEach((output: unknown, at: number) => {
      const kind = isRecord(output) ? output.output_type : undefined;
      if (!OUTPUT_TYPES.includes(kind as string)) {
        problems.push(
          `${label}: outputs.${at} has output_type ${show(kind)}; nbformat allows ${OUTPUT_TYPES.map(show).join(", ")}`,
        );
        return;
      }
      const check = validatorFor(minor, `#/definitions/${String(kind)}`);
      if (!check(output))
        problems.push(
          ...describeErrors(
            check.errors ?? [],
            output,
            (field) => `${label}: outputs.${at}${field ? `.${field}` : ""}`,
          ),
        );
    });
  });
  return problems;
}
