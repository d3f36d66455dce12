/**
 * Papermill-style parameters for TypeScript notebooks: read the declarations of the cell tagged
 * `parameters`, parse `--set name=value` overrides, and inject a cell tagged `injected-parameters`
 * right after it.
 *
 * Checked on tslab 1.0.22: a later cell may redeclare a `let` or a `const` (`const rate = 0.5;` then
 * `const rate = 0.25;` leaves 0.25), while plain assignment fails for `const`. So the injected cell
 * redeclares each parameter with the same keyword and type annotation as the parameters cell.
 *
 * Ranges: a declaration's trailing `//` comment may begin with the range its values must lie in,
 * which the runner checks before any kernel starts (see parseRange):
 *   let epochs = 20;           // integer 1..500; the article: epochs=20
 *   let dropoutRate = 0.5;     // 0..<1; layers.Dropout(0.5)
 *   let l1l2Rates = { l1: 0.001, l2: 0.001 };  // 0..1 (every number inside)
 */
import * as ts from "typescript";
import { showValue } from "../../lib/check";
import { Notebook, codeCells, hasTag, newCellId } from "./notebook";

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

export type ParameterValue = number | boolean | string | null | ParameterValue[] | { [key: string]: ParameterValue };

/** What a value must be, read off the declaration's type annotation or its literal initializer. */
export type ParameterKind = "number" | "boolean" | "string" | "array" | "object" | "unknown";

/**
 * What the initializer of an object or array parameter looks like, so an override keeps its shape:
 * `{ l1: 0.001, l2: 0.001 }` takes exactly the keys l1 and l2, each a number.
 */
export type ParameterShape =
  | { kind: "number" | "boolean" | "string" | "unknown" }
  | { kind: "object"; keys: Record<string, ParameterShape> }
  | { kind: "array"; items?: ParameterShape };

export interface ParameterDeclaration {
  name: string;
  keyword: "let" | "const" | "var";
  /** The type annotation as written, e.g. "number" or "Activation"; undefined if none. */
  typeText?: string;
  kind: ParameterKind;
  /** The shape of a literal object or array initializer, when it has one. */
  shape?: ParameterShape;
  /** The range stated by the declaration's trailing comment, if any. */
  range?: ParameterRange;
}

/**
 * The values a numeric parameter accepts, from a comment `[integer ]<min>..<max>`: either end may be
 * omitted (open), `<` next to the dots makes that end exclusive (`0<..1`, `0..<1`).
 */
export interface ParameterRange {
  min?: number;
  max?: number;
  minExclusive: boolean;
  maxExclusive: boolean;
  integer: boolean;
  /** The range as written in the comment, e.g. "integer 1..500". */
  text: string;
}

/** A bad override: unknown name, malformed value or a value of the wrong type. Raised before any kernel starts. */
export class ParameterError extends Error {
  override name = "ParameterError";
}

function kindOfType(type: ts.TypeNode): ParameterKind {
  switch (type.kind) {
    case ts.SyntaxKind.NumberKeyword:
      return "number";
    case ts.SyntaxKind.BooleanKeyword:
      return "boolean";
    case ts.SyntaxKind.StringKeyword:
      return "string";
    case ts.SyntaxKind.ArrayType:
      return "array";
    default:
      return "unknown";
  }
}

function kindOfInitializer(init: ts.Expression | undefined): ParameterKind {
  if (!init) return "unknown";
  if (ts.isAsExpression(init) || ts.isParenthesizedExpression(init)) return kindOfInitializer(init.expression);
  if (ts.isNumericLiteral(init)) return "number";
  if (ts.isPrefixUnaryExpression(init) && ts.isNumericLiteral(init.operand)) return "number";
  if (init.kind === ts.SyntaxKind.TrueKeyword || init.kind === ts.SyntaxKind.FalseKeyword) return "boolean";
  if (ts.isStringLiteral(init) || ts.isNoSubstitutionTemplateLiteral(init)) return "string";
  if (ts.isArrayLiteralExpression(init)) return "array";
  if (ts.isObjectLiteralExpression(init)) return "object";
  return "unknown";
}

/** The shape of a literal initializer: an object's keys and their shapes, an array's items (when all alike). */
function shapeOfInitializer(init: ts.Expression | undefined): ParameterShape {
  if (init && (ts.isAsExpression(init) || ts.isParenthesizedExpression(init)))
    return shapeOfInitializer(init.expression);
  if (init && ts.isObjectLiteralExpression(init)) {
    const keys: Record<string, ParameterShape> = Object.create(null) as Record<string, ParameterShape>;
    for (const property of init.properties) {
      if (!ts.isPropertyAssignment(property)) return { kind: "unknown" }; // a spread or a method: no fixed shape
      const name = property.name;
      if (!(ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name))) return { kind: "unknown" };
      keys[name.text] = shapeOfInitializer(property.initializer);
    }
    return { kind: "object", keys };
  }
  if (init && ts.isArrayLiteralExpression(init)) {
    const items = init.elements.map((element) => shapeOfInitializer(element));
    const same = items.length > 0 && items.every((item) => JSON.stringify(item) === JSON.stringify(items[0]));
    return same ? { kind: "array", items: items[0] } : { kind: "array" };
  }
  const kind = kindOfInitializer(init);
  return kind === "array" || kind === "object" ? { kind: "unknown" } : { kind };
}

/** A value in the words of an error message, e.g. "a number", "the string \"x\"". */
function describeKindOf(value: ParameterValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return typeof value === "object"
    ? "an object"
    : `${typeof value === "number" ? "the number" : "the boolean"} ${String(value)}`;
}

/** Throws a ParameterError where `value` (at path `at`) does not have `shape`. */
function checkShape(shape: ParameterShape, value: ParameterValue, at: string, origin: string): void {
  const fail = (what: string) => {
    throw new ParameterError(`${origin}: ${at} ${what}`);
  };
  switch (shape.kind) {
    case "unknown":
      return;
    case "number":
    case "boolean":
    case "string":
      if (typeof value !== shape.kind)
        fail(`must be a ${shape.kind}, as in the parameters cell, but is ${describeKindOf(value)}`);
      return;
    case "array":
      if (!Array.isArray(value))
        return fail(`must be an array, as in the parameters cell, but is ${describeKindOf(value)}`);
      if (shape.items) value.forEach((item, i) => checkShape(shape.items!, item, `${at}[${i}]`, origin));
      return;
    case "object": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return fail(`must be an object, as in the parameters cell, but is ${describeKindOf(value)}`);
      }
      const declared = Object.keys(shape.keys);
      const given = Object.keys(value);
      const missing = declared.filter((key) => !given.includes(key));
      const unknown = given.filter((key) => !declared.includes(key));
      if (missing.length > 0 || unknown.length > 0) {
        const parts = [
          missing.length > 0 ? `lacks ${missing.join(", ")}` : "",
          unknown.length > 0 ? `has ${unknown.join(", ")}, which the parameters cell does not declare` : "",
        ].filter(Boolean);
        fail(`${parts.join(" and ")}: it takes exactly the keys ${declared.join(", ")}`);
      }
      for (const key of declared)
        checkShape(shape.keys[key], (value as Record<string, ParameterValue>)[key], `${at}.${key}`, origin);
      return;
    }
  }
}

const RANGE_NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const RANGE = new RegExp(String.raw`^(integer\s+)?(${RANGE_NUMBER})?(<)?\.\.(<)?(${RANGE_NUMBER})?(?=$|[\s;,])`);

/**
 * The range at the start of a comment's text (after `//`), or undefined when the comment does not
 * begin with one. Throws ParameterError for a range that admits nothing (e.g. `5..1`).
 */
export function parseRange(comment: string): ParameterRange | undefined {
  const text = comment.replace(/^\/\/\s*/, "");
  const match = RANGE.exec(text);
  if (!match || (match[2] === undefined && match[5] === undefined && !match[1])) return undefined;
  const range: ParameterRange = {
    min: match[2] === undefined ? undefined : Number(match[2]),
    max: match[5] === undefined ? undefined : Number(match[5]),
    minExclusive: match[3] === "<",
    maxExclusive: match[4] === "<",
    integer: match[1] !== undefined,
    text: match[0],
  };
  if (
    range.min !== undefined &&
    range.max !== undefined &&
    (range.min > range.max || (range.min === range.max && (range.minExclusive || range.maxExclusive)))
  ) {
    throw new ParameterError(`the range "${range.text}" in the parameters cell admits no value`);
  }
  return range;
}

/** Says in words what `range` allows, e.g. "an integer from 1 to 500" or "a number ≥ 0 and < 1". */
export function describeRange(range: ParameterRange): string {
  const what = range.integer ? "an integer" : "a number";
  const low = range.min === undefined ? undefined : `${range.minExclusive ? ">" : "≥"} ${range.min}`;
  const high = range.max === undefined ? undefined : `${range.maxExclusive ? "<" : "≤"} ${range.max}`;
  if (low && high && !range.minExclusive && !range.maxExclusive) return `${what} from ${range.min} to ${range.max}`;
  const bounds = [low, high].filter(Boolean).join(" and ");
  return bounds ? `${what} ${bounds}` : what;
}

function inRange(value: number, range: ParameterRange): boolean {
  if (range.integer && !Number.isInteger(value)) return false;
  if (range.min !== undefined && (range.minExclusive ? value <= range.min : value < range.min)) return false;
  if (range.max !== undefined && (range.maxExclusive ? value >= range.max : value > range.max)) return false;
  return true;
}

/** The first comment after the statement on its own line (`let x = 1; // ...`), or undefined. */
function trailingComment(source: string, statement: ts.Statement): string | undefined {
  const ranges = ts.getTrailingCommentRanges(source, statement.end) ?? [];
  const first = ranges.find((r) => r.kind === ts.SyntaxKind.SingleLineCommentTrivia);
  return first ? source.slice(first.pos, first.end) : undefined;
}

/** The variables a parameters cell declares, in order (destructuring patterns are not parameters). */
export function parseParametersCell(source: string): ParameterDeclaration[] {
  const file = ts.createSourceFile("parameters.ts", source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const found: ParameterDeclaration[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const flags = statement.declarationList.flags;
    const keyword = flags & ts.NodeFlags.Const ? "const" : flags & ts.NodeFlags.Let ? "let" : "var";
    const comment = trailingComment(source, statement);
    const range = comment === undefined ? undefined : parseRange(comment);
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name)) continue;
      const annotated = decl.type ? kindOfType(decl.type) : "unknown";
      found.push({
        name: decl.name.text,
        keyword,
        typeText: decl.type?.getText(file),
        kind: annotated !== "unknown" ? annotated : kindOfInitializer(decl.initializer),
        ...(range ? { range } : {}),
        ...(decl.initializer &&
        (ts.isObjectLiteralExpression(decl.initializer) || ts.isArrayLiteralExpression(decl.initializer))
          ? { shape: shapeOfInitializer(decl.initializer) }
          : {}),
      });
    }
  }
  return found;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses one `--set` value: numbers, `true`/`false`, `null`, "double" or 'single' quoted strings and
 * JSON arrays/objects. An unquoted word is accepted only for a parameter declared as a string.
 */
export function parseParameterValue(raw: string, declaration?: ParameterDeclaration): ParameterValue {
  const text = raw.trim();
  const where = declaration ? `${declaration.name}=${raw}` : raw;
  if (NUMBER.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  if (text === "null") return null;
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1);
  if (text.startsWith('"') || text.startsWith("[") || text.startsWith("{")) {
    try {
      return JSON.parse(text) as ParameterValue;
    } catch (error) {
      throw new ParameterError(`--set ${where}: the value is not valid JSON (${(error as Error).message})`);
    }
  }
  if (declaration?.kind === "string") return raw;
  throw new ParameterError(
    `--set ${where}: "${raw}" is not a number, true/false, a quoted string or a JSON array/object; ` +
      `quote strings, e.g. --set ${declaration?.name ?? "name"}='"${raw}"'`,
  );
}

/** Splits "name=value" (the value may itself contain "="). */
export function parseSetArgument(arg: string): { name: string; raw: string } {
  const eq = arg.indexOf("=");
  const name = eq < 0 ? "" : arg.slice(0, eq).trim();
  if (eq < 0 || !/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new ParameterError(
      `--set ${arg}: expected name=value with a TypeScript identifier as the name, e.g. --set epochs=2`,
    );
  }
  return { name, raw: arg.slice(eq + 1) };
}

function kindOfValue(value: ParameterValue): ParameterKind {
  if (Array.isArray(value)) return "array";
  if (value === null) return "unknown";
  const type = typeof value;
  return type === "number" || type === "boolean" || type === "string" ? type : "object";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length];
}

/** The notebook's single `parameters` cell, or a ParameterError saying what is wrong. */
export function findParametersCell(nb: Notebook, file = "the notebook") {
  const tagged = codeCells(nb).filter(({ cell }) => hasTag(cell, PARAMETERS_TAG));
  if (tagged.length !== 1) {
    throw new ParameterError(
      `${file} has ${tagged.length} code cells tagged "${PARAMETERS_TAG}"; exactly one is needed to override parameters`,
    );
  }
  return tagged[0];
}

/** Every number inside `value` with its path, e.g. [["l1l2Rates.l1", 0.001], ...]. */
function numbersIn(value: ParameterValue, at: string): [string, number][] {
  if (typeof value === "number") return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => numbersIn(item, `${at}[${i}]`));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${at}.${k}`));
  return [];
}

/**
 * Refuses non-finite numbers anywhere in the value (`1e400` parses as Infinity, which JSON would
 * write as null) and numbers outside the declaration's range.
 */
export function checkParameterValue(declaration: ParameterDeclaration, value: ParameterValue, origin = "--set"): void {
  for (const [at, n] of numbersIn(value, declaration.name)) {
    if (!Number.isFinite(n)) {
      throw new ParameterError(
        `${origin}: ${at} = ${showValue(n)} is not a finite number; give a number such as ${declaration.range?.min ?? 1}`,
      );
    }
    const range = declaration.range;
    if (range && !inRange(n, range)) {
      throw new ParameterError(
        `${origin}: ${at} = ${showValue(n)} is out of range: the parameters cell allows ${describeRange(range)} (// ${range.text})`,
      );
    }
  }
}

/** "a number", "an object", "an array". */
function withArticle(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

/** Checks a value against its declaration and turns it into TypeScript source (JSON literals are valid TS). */
function toSource(declaration: ParameterDeclaration, value: ParameterValue, origin: string): string {
  const got = kindOfValue(value);
  if (declaration.kind !== "unknown" && got !== declaration.kind) {
    throw new ParameterError(
      `${origin}: ${declaration.name} is declared as ${withArticle(declaration.kind)} in the parameters cell, ` +
        `but the value ${showValue(value)} is ${value === null ? "null" : withArticle(got)}`,
    );
  }
  if (declaration.shape) checkShape(declaration.shape, value, declaration.name, origin);
  checkParameterValue(declaration, value, origin);
  const annotation = declaration.typeText ? `: ${declaration.typeText}` : "";
  return `${declaration.keyword} ${declaration.name}${annotation} = ${JSON.stringify(value)};`;
}

export interface InjectOptions {
  /** The notebook's name for error messages. */
  file?: string;
  /** Where the values came from, for error messages, e.g. "--set" or "metadata.fitlab.quick". */
  origin?: string;
  /** Per-parameter origins, overriding `origin` (used when --quick and --set are merged). */
  origins?: Record<string, string>;
}

/**
 * Returns a copy of the notebook with a code cell tagged `injected-parameters` right after the
 * `parameters` cell, redeclaring each overridden parameter. An earlier injected cell is replaced (as
 * papermill does). Throws ParameterError for a name the parameters cell does not declare or a value
 * of the wrong type. With no parameters the notebook is returned unchanged.
 */
export function injectParameters(
  nb: Notebook,
  params: Record<string, ParameterValue>,
  options: InjectOptions = {},
): Notebook {
  const names = Object.keys(params);
  if (names.length === 0) return nb;
  const file = options.file ?? "the notebook";
  const originOf = (name: string) => options.origins?.[name] ?? options.origin ?? "--set";
  const { cell } = findParametersCell(nb, file);
  const declarations = parseParametersCell(cell.source);
  const byName = new Map(declarations.map((d) => [d.name, d]));
  const lines: string[] = [];
  for (const name of names) {
    const declaration = byName.get(name);
    if (!declaration) {
      const known = declarations.map((d) => d.name);
      const nearest = [...known].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0];
      const hint = nearest && editDistance(name, nearest) <= 2 ? ` Did you mean "${nearest}"?` : "";
      throw new ParameterError(
        `${originOf(name)}: unknown parameter "${name}": the parameters cell of ${file} declares ` +
          `${known.length ? known.join(", ") : "nothing"}.${hint}`,
      );
    }
    lines.push(toSource(declaration, params[name], originOf(name)));
  }
  const injected = {
    cell_type: "code" as const,
    id: newCellId(),
    source: `// Injected parameters (they override the cell above)\n${lines.join("\n")}`,
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    execution_count: null,
  };
  const cells = nb.cells.filter((c) => !hasTag(c, INJECTED_TAG));
  const at = cells.indexOf(cell) + 1;
  return { ...nb, cells: [...cells.slice(0, at), injected, ...cells.slice(at)] };
}
