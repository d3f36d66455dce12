/**
 * Turns iopub messages into nbformat outputs the way Jupyter's own executor (nbclient) records them:
 * consecutive stream text of the same name is merged, update_display_data rewrites every earlier
 * output with the same display_id (in any cell), clear_output honours `wait`.
 */
import { CodeCell, MimeBundle, Output } from "./notebook";
import { JupyterMessage } from "./wire";

function bundle(value: unknown): MimeBundle {
  return value !== null && typeof value === "object" ? (value as MimeBundle) : {};
}

function displayIdOf(message: JupyterMessage): string | undefined {
  const transient = message.content.transient as { display_id?: unknown } | undefined;
  return typeof transient?.display_id === "string" ? transient.display_id : undefined;
}

export class OutputRecorder {
  /** display_id → the outputs showing it, held by reference so updates land in the notebook. */
  private readonly displays = new Map<string, Output[]>();
  private clearPending = false;

  /** Call before each cell: a pending clear_output(wait=True) does not carry over to the next cell. */
  startCell(): void {
    this.clearPending = false;
  }

  /** Records one iopub message into `cell` (status and other bookkeeping messages are ignored). */
  record(cell: CodeCell, message: JupyterMessage): void {
    const c = message.content;
    const type = message.header.msg_type;
    if (type === "clear_output") {
      if (c.wait) this.clearPending = true;
      else cell.outputs = [];
      return;
    }
    if (type === "execute_input") {
      if (typeof c.execution_count === "number") cell.execution_count = c.execution_count;
      return;
    }
    if (type === "update_display_data") {
      const id = displayIdOf(message);
      for (const output of (id && this.displays.get(id)) || []) {
        if (output.output_type === "display_data" || output.output_type === "execute_result") {
          output.data = bundle(c.data);
          output.metadata = bundle(c.metadata);
        }
      }
      return;
    }
    let output: Output;
    if (type === "stream") {
      const name = c.name === "stderr" ? "stderr" : "stdout";
      const text = String(c.text ?? "");
      const last = this.clearPending ? undefined : cell.outputs[cell.outputs.length - 1];
      if (last?.output_type === "stream" && last.name === name) {
        last.text += text;
        return;
      }
      output = { output_type: "stream", name, text };
    } else if (type === "display_data") {
      output = { output_type: "display_data", data: bundle(c.data), metadata: bundle(c.metadata) };
    } else if (type === "execute_result") {
      output = {
        output_type: "execute_result",
        execution_count: typeof c.execution_count === "number" ? c.execution_count : null,
        data: bundle(c.data),
        metadata: bundle(c.metadata),
      };
    } else if (type === "error") {
      output = {
        output_type: "error",
        ename: String(c.ename ?? ""),
        evalue: String(c.evalue ?? ""),
        traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
      };
    } else {
      return;
    }
    if (this.clearPending) {
      cell.outputs = [];
      this.clearPending = false;
    }
    cell.outputs.push(output);
    const id = displayIdOf(message);
    if (id && output.output_type !== "stream" && output.output_type !== "error") {
      this.displays.set(id, [...(this.displays.get(id) ?? []), output]);
    }
  }
}
