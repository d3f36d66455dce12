/**
 * The essentials of nbformat 4.5 that the lesson's committed notebooks must meet, checked without
 * Python: cell ids, the tslab kernelspec, language_info, committed clean (no outputs, no execution
 * counts) and exactly one `parameters` cell whose overrides (metadata.fitlab.quick) it declares.
 */
import { isRecord } from "../../lib/check";
import { Notebook } from "./notebook";
import { PARAMETERS_TAG, parseParametersCell } from "./parameters";

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

export interface ValidateOptions {
  /** Require a committed-clean notebook: no outputs and execution_count null. Default true. */
  clean?: boolean;
}

function isSource(value: unknown): boolean {
  return typeof value === "string" || (Array.isArray(value) && value.every((line) => typeof line === "string"));
}

/**
 * Lists every problem found (empty when valid). Takes the notebook as parsed JSON (lines may still be
 * arrays), so it can be given `JSON.parse(fileText)` directly.
 */
export function validateNotebook(nb: unknown, options: ValidateOptions = {}): string[] {
  const clean = options.clean ?? true;
  const problems: string[] = [];
  if (!isRecord(nb)) return ["the notebook is not a JSON object"];
  if (nb.nbformat !== 4 || nb.nbformat_minor !== 5) {
    problems.push(`nbformat must be 4.5 (got ${String(nb.nbformat)}.${String(nb.nbformat_minor)})`);
  }
  const metadata = isRecord(nb.metadata) ? nb.metadata : {};
  const kernelspec = isRecord(metadata.kernelspec) ? metadata.kernelspec : undefined;
  if (!kernelspec || kernelspec.name !== "tslab" || typeof kernelspec.display_name !== "string") {
    problems.push(
      `metadata.kernelspec must be {"name": "tslab", "display_name": …} (got ${JSON.stringify(kernelspec)})`,
    );
  } else if (kernelspec.language !== undefined && kernelspec.language !== "typescript") {
    problems.push(`metadata.kernelspec.language must be "typescript" (got ${JSON.stringify(kernelspec.language)})`);
  }
  const languageInfo = isRecord(metadata.language_info) ? metadata.language_info : undefined;
  if (!languageInfo || languageInfo.name !== "typescript") {
    problems.push(`metadata.language_info.name must be "typescript" (got ${JSON.stringify(languageInfo?.name)})`);
  }
  if (!Array.isArray(nb.cells)) return [...problems, `"cells" must be an array`];

  const ids = new Set<string>();
  const parameterCells: number[] = [];
  nb.cells.forEach((cell: unknown, index: number) => {
    const at = `cell ${index}`;
    if (!isRecord(cell)) {
      problems.push(`${at} is not an object`);
      return;
    }
    if (typeof cell.id !== "string" || !CELL_ID.test(cell.id)) {
      problems.push(`${at} needs an id of 1–64 letters, digits, "-" or "_" (got ${JSON.stringify(cell.id)})`);
    } else if (ids.has(cell.id)) {
      problems.push(`${at} repeats the id ${JSON.stringify(cell.id)}`);
    } else {
      ids.add(cell.id);
    }
    if (!["code", "markdown", "raw"].includes(cell.cell_type as string)) {
      problems.push(`${at} has cell_type ${JSON.stringify(cell.cell_type)}; allowed: code, markdown, raw`);
    }
    if (!isSource(cell.source)) problems.push(`${at} needs a source string or list of strings`);
    if (!isRecord(cell.metadata)) problems.push(`${at} needs a metadata object`);
    const tags = isRecord(cell.metadata) ? cell.metadata.tags : undefined;
    if (Array.isArray(tags) && tags.includes(PARAMETERS_TAG)) parameterCells.push(index);
    if (cell.cell_type === "code") {
      if (!Array.isArray(cell.outputs)) problems.push(`${at} (code) needs an outputs array`);
      else if (clean && cell.outputs.length > 0)
        problems.push(`${at} has ${cell.outputs.length} outputs; commit notebooks without outputs`);
      if (!("execution_count" in cell)) problems.push(`${at} (code) needs execution_count`);
      else if (clean && cell.execution_count !== null)
        problems.push(`${at} has execution_count ${String(cell.execution_count)}; it must be null`);
    } else if ("outputs" in cell || "execution_count" in cell) {
      problems.push(`${at} (${String(cell.cell_type)}) must not have outputs or execution_count`);
    }
  });

  if (parameterCells.length !== 1) {
    problems.push(`exactly one cell must be tagged "${PARAMETERS_TAG}" (found ${parameterCells.length})`);
  } else {
    const cell = nb.cells[parameterCells[0]] as Record<string, unknown>;
    if (cell.cell_type !== "code") problems.push(`the "${PARAMETERS_TAG}" cell must be a code cell`);
    const source = Array.isArray(cell.source) ? cell.source.join("") : String(cell.source);
    const declared = new Set(parseParametersCell(source).map((d) => d.name));
    if (declared.size === 0) problems.push(`the "${PARAMETERS_TAG}" cell declares no variables`);
    const fitlab = isRecord(metadata.fitlab) ? metadata.fitlab : {};
    if (fitlab.quick !== undefined) {
      if (!isRecord(fitlab.quick)) problems.push(`metadata.fitlab.quick must be an object of parameter overrides`);
      else {
        for (const name of Object.keys(fitlab.quick)) {
          if (!declared.has(name))
            problems.push(`metadata.fitlab.quick sets "${name}", which the parameters cell does not declare`);
        }
      }
    }
  }
  return problems;
}
