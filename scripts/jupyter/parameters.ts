/**
 * Papermill-style parameters for TypeScript notebooks: read the declarations of the cell tagged
 * `parameters`, parse `--set name=value` overrides, and inject a cell tagged `injected-parameters`
 * right after it.
 *
 * Checked on tslab 1.0.22: a later cell may redeclare a `let` or a `const` (`const rate = 0.5;` then
 * `const rate = 0.25;` leaves 0.25), while plain assignment fails for `const`. So the injected cell
 * redeclares each parameter with the same keyword and type annotation as the parameters cell.
 */
import * as ts from "typescript";
import { Notebook, codeCells, hasTag, newCellId } from "./notebook";

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

export type ParameterValue = number | boolean | string | null | ParameterValue[] | { [key: string]: ParameterValue };

/** What a value must be, read off the declaration's type annotation or its literal initializer. */
export type ParameterKind = "number" | "boolean" | "string" | "array" | "object" | "unknown";

export interface ParameterDeclaration {
  name: string;
  keyword: "let" | "const" | "var";
  /** The type annotation as written, e.g. "number" or "Activation"; undefined if none. */
  typeText?: string;
  kind: ParameterKind;
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

/** The variables a parameters cell declares, in order (destructuring patterns are not parameters). */
export function parseParametersCell(source: string): ParameterDeclaration[] {
  const file = ts.createSourceFile("parameters.ts", source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const found: ParameterDeclaration[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const flags = statement.declarationList.flags;
    const keyword = flags & ts.NodeFlags.Const ? "const" : flags & ts.NodeFlags.Let ? "let" : "var";
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name)) continue;
      const annotated = decl.type ? kindOfType(decl.type) : "unknown";
      found.push({
        name: decl.name.text,
        keyword,
        typeText: decl.type?.getText(file),
        kind: annotated !== "unknown" ? annotated : kindOfInitializer(decl.initializer),
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
    throw new ParameterError(`--set ${arg}: expected name=value with a TypeScript identifier as the name, e.g. --set epochs=2`);
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

/** Checks a value against its declaration and turns it into TypeScript source (JSON literals are valid TS). */
function toSource(declaration: ParameterDeclaration, value: ParameterValue, origin: string): string {
  const got = kindOfValue(value);
  if (declaration.kind !== "unknown" && got !== declaration.kind) {
    throw new ParameterError(
      `${origin}: ${declaration.name} is declared as a ${declaration.kind} in the parameters cell, ` +
        `but the value ${JSON.stringify(value)} is a ${value === null ? "null" : got}`,
    );
  }
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
