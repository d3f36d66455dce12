/**
 * The headless runner (`npm run lesson`) and the kernel registration `npm start` uses: the wire codec, parameters, output
 * recording, notebook files and reports as units; then the real tslab kernel on tiny fixture
 * notebooks (outputs, failing cell, timeout, dying kernel, lost heartbeat) and the CLI's exit codes.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, symlinkSync } from "fs";
import * as os from "os";
import * as path from "path";
import * as vm from "vm";
import { displayBundle, plotlyLoaderBundle, resultsBundle } from "../lib/notebook/display";
import { PLOTLY_MIME, RESULTS_MIME } from "../lib/notebook/mime";
import type { ResultRow } from "../lib/types";
import { executeNotebook } from "../scripts/jupyter/execute";
import { KernelClient, KernelDiedError } from "../scripts/jupyter/kernel";
import { jupyterEnv, registerKernel } from "../scripts/jupyter/kernelspec";
import { renderMarkdown } from "../scripts/jupyter/markdown";
import {
  CodeCell,
  Notebook,
  parseNotebook,
  readNotebook,
  serializeNotebook,
  writeNotebookAtomic,
} from "../scripts/jupyter/notebook";
import { OutputRecorder } from "../scripts/jupyter/outputs";
import {
  INJECTED_TAG,
  ParameterError,
  checkParameterValue,
  describeRange,
  findParametersCell,
  injectParameters,
  parseParameterValue,
  parseParametersCell,
  parseRange,
  parseSetArgument,
} from "../scripts/jupyter/parameters";
import { renderHtmlReport } from "../scripts/jupyter/report";
import { collectResults, formatResultsTable } from "../scripts/jupyter/results";
import {
  JupyterMessage,
  WireError,
  decodeMessage,
  encodeMessage,
  newMessage,
  newSessionKey,
} from "../scripts/jupyter/wire";
import { PYTHON, requirePrerequisites } from "../scripts/browser/prerequisites";

const ROOT = path.resolve(__dirname, "..");
const FIXTURES = path.join(__dirname, "fixtures", "notebooks");
const fixture = (name: string) => path.join(FIXTURES, name);

function tmpDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `fitlab-${prefix}-`));
}

function iopub(type: string, content: Record<string, unknown>): JupyterMessage {
  const message = newMessage(type, content, "s");
  return message;
}

function emptyCell(): CodeCell {
  return { cell_type: "code", id: "x", source: "", metadata: {}, outputs: [], execution_count: null };
}

/** Fields 3 (state) and 4 (ppid) of /proc/<pid>/stat; null once the pid is gone. Linux only, no procps. */
function procStat(pid: number): { state: string; ppid: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split after the last ")".
  const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state, ppid: Number(ppid) };
}

/** The pids whose parent is `parent`, by scanning /proc (what `pgrep -P` does). */
function childPids(parent: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => procStat(pid)?.ppid === parent);
}

/** Whether `pid` is a live process (a zombie has already exited: it only awaits reaping). */
function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== "Z" && stat.state !== "X";
}

/** Prints the folder of the kernelspec named tslab that Jupyter would use. */
const FIND_TSLAB =
  "from jupyter_client.kernelspec import KernelSpecManager as K; print(K().find_kernel_specs()['tslab'])";

/**
 * Fails with what to install when the Python that runs Jupyter lacks jupyter_client (Debian's
 * /usr/bin/python3 has it with the packages CI installs; a pyenv `python3` usually does not).
 */
function requireJupyterClient(): void {
  const probe = spawnSync(PYTHON, ["-c", "import jupyter_client"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(
      `This test needs Python's jupyter_client for ${PYTHON} (set FITLAB_PYTHON to use another Python).\n` +
        `Install it: sudo apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient (they bring python3-jupyter-client).\n` +
        `(${(probe.error?.message ?? probe.stderr ?? "").trim().split("\n").slice(-1)[0]})`,
    );
  }
}

describe("wire codec", () => {
  const key = newSessionKey();
  const message = newMessage("execute_request", { code: "1 + 1" }, "session-1");

  it("decodes what it encodes, keeping routing identities", () => {
    const frames = encodeMessage({ ...message, identities: [Buffer.from("peer")] }, key);
    const decoded = decodeMessage(frames, key);
    expect(decoded.header).toEqual(message.header);
    expect(decoded.content).toEqual({ code: "1 + 1" });
    expect(decoded.identities.map(String)).toEqual(["peer"]);
  });

  it("throws on a tampered content frame (the client drops such messages)", () => {
    const frames = encodeMessage(message, key);
    frames[frames.length - 1] = Buffer.from(JSON.stringify({ code: "process.exit()" }));
    expect(() => decodeMessage(frames, key)).toThrow(new WireError("bad HMAC signature"));
  });

  it("throws on a message signed with another key", () => {
    expect(() => decodeMessage(encodeMessage(message, newSessionKey()), key)).toThrow("bad HMAC signature");
  });

  it("throws on an unsigned message and on missing framing", () => {
    const frames = encodeMessage(message, key);
    frames[1] = Buffer.from("");
    expect(() => decodeMessage(frames, key)).toThrow("bad HMAC signature");
    expect(() => decodeMessage([Buffer.from("no delimiter")], key)).toThrow("no <IDS|MSG> delimiter");
  });

  it("uses a fresh 256-bit key per session", () => {
    expect(newSessionKey()).toMatch(/^[0-9a-f]{64}$/);
    expect(newSessionKey()).not.toBe(newSessionKey());
  });
});

describe("parameters", () => {
  const cell =
    'let epochs = 20;\nconst rate: number = 0.5;\nlet name = "mnist";\nlet useBias = true;\nlet units = [16, 16];\nimport * as x from "y";';

  it("reads the declarations of the parameters cell with their kinds", () => {
    expect(parseParametersCell(cell)).toEqual([
      { name: "epochs", keyword: "let", typeText: undefined, kind: "number" },
      { name: "rate", keyword: "const", typeText: "number", kind: "number" },
      { name: "name", keyword: "let", typeText: undefined, kind: "string" },
      { name: "useBias", keyword: "let", typeText: undefined, kind: "boolean" },
      // A literal object or array also gives the shape an override must keep.
      {
        name: "units",
        keyword: "let",
        typeText: undefined,
        kind: "array",
        shape: { kind: "array", items: { kind: "number" } },
      },
    ]);
  });

  it.each([
    ["2", 2],
    ["-1.5e-3", -1.5e-3],
    ["true", true],
    ["false", false],
    ['"relu"', "relu"],
    ["'relu'", "relu"],
    ["[32, 32]", [32, 32]],
    ["null", null],
  ])("parses --set value %s", (raw, value) => {
    expect(parseParameterValue(raw)).toEqual(value);
  });

  it("accepts an unquoted word only for a string parameter", () => {
    const [, , name] = parseParametersCell(cell);
    expect(parseParameterValue("imdb", name)).toBe("imdb");
    expect(() => parseParameterValue("abc", parseParametersCell(cell)[0])).toThrow(/epochs=abc.*not a number/);
    expect(() => parseParameterValue('"unterminated')).toThrow(/not valid JSON/);
  });

  it("rejects a --set without name=value", () => {
    expect(() => parseSetArgument("epochs")).toThrow(ParameterError);
    expect(() => parseSetArgument("2x=1")).toThrow(/TypeScript identifier/);
    expect(parseSetArgument("label=a=b")).toEqual({ name: "label", raw: "a=b" });
  });

  const nb = (): Notebook => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", id: "m", source: "# t", metadata: {} },
      { ...emptyCell(), id: "p", source: cell, metadata: { tags: ["parameters"] } },
      { ...emptyCell(), id: "u", source: "console.log(epochs)" },
    ],
  });

  it("injects a tagged cell right after the parameters cell, redeclaring with the same keyword and type", () => {
    const injected = injectParameters(nb(), { epochs: 2, rate: 0.1 });
    expect(injected.cells.map((c) => c.id).filter((id) => !["m", "p", "u"].includes(id))).toHaveLength(1);
    const added = injected.cells[2];
    expect(added.metadata.tags).toEqual([INJECTED_TAG]);
    expect(added.source).toContain("let epochs = 2;");
    expect(added.source).toContain("const rate: number = 0.1;");
    expect(injected.cells[3].id).toBe("u");
    // Re-injecting replaces the earlier injected cell, as papermill does.
    const again = injectParameters(injected, { epochs: 3 });
    expect(again.cells.filter((c) => c.metadata.tags?.includes(INJECTED_TAG))).toHaveLength(1);
    expect(again.cells[2].source).toContain("let epochs = 3;");
    expect(again.cells[2].source).not.toContain("rate");
  });

  it("throws for an unknown name, listing the declared ones and the nearest", () => {
    expect(() => injectParameters(nb(), { epoch: 2 }, { file: "01.ipynb" })).toThrow(
      /unknown parameter "epoch": the parameters cell of 01.ipynb declares epochs, rate, name, useBias, units\. Did you mean "epochs"\?/,
    );
  });

  it("throws for a value of the wrong type", () => {
    expect(() => injectParameters(nb(), { epochs: "many" })).toThrow(
      /epochs is declared as a number.*"many" is a string/,
    );
  });

  it("reads a range from the comment that starts with it: integer, open and exclusive ends", () => {
    expect(parseRange("// integer 1..500; the article: epochs=20")).toEqual({
      min: 1,
      max: 500,
      minExclusive: false,
      maxExclusive: false,
      integer: true,
      text: "integer 1..500",
    });
    expect(parseRange("// 0..<1; layers.Dropout(0.5)")).toMatchObject({
      min: 0,
      max: 1,
      maxExclusive: true,
      integer: false,
    });
    expect(parseRange("// 0<..")).toMatchObject({ min: 0, max: undefined, minExclusive: true });
    expect(parseRange("// ..-1e-3")).toMatchObject({ min: undefined, max: -1e-3 });
    // Comments that do not start with a range state none.
    expect(parseRange("// the last 12,000 images")).toBeUndefined();
    expect(parseRange("// 10000 words")).toBeUndefined();
    expect(parseRange("// 1..5x")).toBeUndefined();
    expect(() => parseRange("// 5..1")).toThrow(/"5\.\.1" in the parameters cell admits no value/);
    expect(describeRange(parseRange("// integer 1..500")!)).toBe("an integer from 1 to 500");
    expect(describeRange(parseRange("// 0<..<1")!)).toBe("a number > 0 and < 1");
    expect(describeRange(parseRange("// integer 0..")!)).toBe("an integer ≥ 0");
  });

  const ranged =
    "let epochs = 20;  // integer 1..500; epochs=20\nlet split = 0.2;  // 0<..<1\nlet rates = { l1: 0.001, l2: 0.001 };  // 0..1\nlet units = [16, 16];  // integer 1..2048\nlet free = 3;";

  it.each([
    [
      "epochs",
      -3,
      /epochs = -3 is out of range: the parameters cell allows an integer from 1 to 500 \(\/\/ integer 1\.\.500\)/,
    ],
    ["epochs", 0, /epochs = 0 is out of range/],
    ["epochs", 2.5, /epochs = 2\.5 is out of range: the parameters cell allows an integer/],
    ["split", 1, /split = 1 is out of range: the parameters cell allows a number > 0 and < 1/],
    ["rates", { l1: 0.001, l2: 7 }, /rates\.l2 = 7 is out of range/],
    ["units", [16, 0], /units\[1\] = 0 is out of range/],
    ["epochs", Infinity, /epochs = Infinity is not a finite number/],
    ["free", -Infinity, /free = -Infinity is not a finite number/],
    ["units", [16, NaN], /units\[1\] = NaN is not a finite number/],
  ])("refuses %s = %p: out of its range or not finite, naming the allowed range", (name, value, message) => {
    const declaration = parseParametersCell(ranged).find((d) => d.name === name)!;
    expect(() => checkParameterValue(declaration, value as never)).toThrow(ParameterError);
    expect(() => checkParameterValue(declaration, value as never)).toThrow(message);
  });

  it("accepts values in range, at inclusive ends, and any finite value where no range is stated", () => {
    const declarations = parseParametersCell(ranged);
    const byName = (name: string) => declarations.find((d) => d.name === name)!;
    expect(() => checkParameterValue(byName("epochs"), 1)).not.toThrow();
    expect(() => checkParameterValue(byName("epochs"), 500)).not.toThrow();
    expect(() => checkParameterValue(byName("rates"), { l1: 0, l2: 1 })).not.toThrow();
    expect(() => checkParameterValue(byName("free"), -1e300)).not.toThrow();
    // parseParameterValue turns 1e400 into Infinity; the injection refuses it instead of writing null.
    const doc: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ ...emptyCell(), source: ranged, metadata: { tags: ["parameters"] } }],
    };
    expect(() => injectParameters(doc, { free: parseParameterValue("1e400") })).toThrow(
      /free = Infinity is not a finite number/,
    );
  });

  it("the lesson notebooks state a range for every number parameter, and their defaults and quick values lie in it", async () => {
    const dir = path.join(ROOT, "notebooks");
    const files = readdirSync(dir).filter((f) => /^0[1-4].*\.ipynb$/.test(f));
    expect(files).toHaveLength(4);
    for (const file of files) {
      const nb = await readNotebook(path.join(dir, file));
      const source = findParametersCell(nb, file).cell.source;
      const declarations = parseParametersCell(source);
      const defaults = new Function(`${source}\nreturn { ${declarations.map((d) => d.name).join(", ")} };`)() as Record<
        string,
        never
      >;
      for (const declaration of declarations) {
        if (declaration.kind !== "number" && declaration.kind !== "object") continue;
        expect([file, declaration.name, declaration.range !== undefined]).toEqual([file, declaration.name, true]);
        checkParameterValue(declaration, defaults[declaration.name], `${file} default`);
      }
      injectParameters(nb, (nb.metadata.fitlab?.quick ?? {}) as never, { file, origin: "metadata.fitlab.quick" });
    }
  });

  it("throws when the notebook has no parameters cell", () => {
    const none = nb();
    none.cells[1].metadata = {};
    expect(() => injectParameters(none, { epochs: 1 }, { file: "x.ipynb" })).toThrow(
      /x.ipynb has 0 code cells tagged "parameters"/,
    );
  });
});

describe("notebook files", () => {
  it("round-trips through Jupyter's on-disk form (line lists, sorted keys)", async () => {
    const nb = await readNotebook(fixture("ok.ipynb"));
    expect(nb.cells[1].source).toBe('let greeting = "hello";\nlet repeats = 1;\nconst scale: number = 1;');
    const text = serializeNotebook(nb);
    expect(text).toContain('"source": [\n    "let greeting = \\"hello\\";\\n",');
    expect(parseNotebook(text)).toEqual(nb);
    // The committed fixture was written by Python's json (sort_keys, indent 1): byte-identical.
    expect(text).toBe(await fs.readFile(fixture("ok.ipynb"), "utf8"));
  });

  it("writes atomically: the target is replaced whole and no temporary file is left", async () => {
    const dir = tmpDir("atomic");
    const file = path.join(dir, "a.ipynb");
    const nb = await readNotebook(fixture("fail.ipynb"));
    await fs.writeFile(file, "old contents");
    await writeNotebookAtomic(file, nb);
    expect(await readNotebook(file)).toEqual(nb);
    expect(readdirSync(dir)).toEqual(["a.ipynb"]);
  });
});

describe("atomic writes when the process exits mid-write", () => {
  it("removes the temporary file of a write cut off by process.exit", async () => {
    const dir = tmpDir("atomic-exit");
    // A child process starts a large atomic write and exits while it is under way (as a second
    // Ctrl-C does): the exit hook must remove the temporary file, and the target must not appear.
    const build = path.join(ROOT, "out", ".test-build-notebook");
    execFileSync(
      path.join(ROOT, "node_modules", ".bin", "tsc"),
      [
        "--outDir",
        build,
        "--module",
        "commonjs",
        "--target",
        "ES2020",
        "--strict",
        "--skipLibCheck",
        "--types",
        "node",
        path.join(ROOT, "lib", "system", "atomicWrite.ts"),
      ],
      { stdio: "inherit" },
    );
    const child = spawnSync(
      process.execPath,
      [
        "-e",
        `
      const { writeFileAtomic } = require(${JSON.stringify(path.join(build, "atomicWrite.js"))});
      const fs = require("fs");
      const target = ${JSON.stringify(path.join(dir, "big.ipynb"))};
      void writeFileAtomic(target, "x".repeat(200e6));
      // Exit as soon as the temporary file exists: the write is then in progress.
      const poll = setInterval(() => {
        if (fs.readdirSync(${JSON.stringify(dir)}).some((f) => /\.tmp(-[0-9a-f]+)?$/.test(f))) { clearInterval(poll); process.exit(130); }
      }, 0);
    `,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(child.status).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("output recording", () => {
  it("merges consecutive stream text of the same name and keeps stderr apart", () => {
    const cell = emptyCell();
    const recorder = new OutputRecorder();
    recorder.record(cell, iopub("stream", { name: "stdout", text: "a\n" }));
    recorder.record(cell, iopub("stream", { name: "stdout", text: "b\n" }));
    recorder.record(cell, iopub("stream", { name: "stderr", text: "oops\n" }));
    recorder.record(cell, iopub("status", { execution_state: "idle" }));
    expect(cell.outputs).toEqual([
      { output_type: "stream", name: "stdout", text: "a\nb\n" },
      { output_type: "stream", name: "stderr", text: "oops\n" },
    ]);
  });

  it("replaces an earlier display with the same display_id, even in another cell", () => {
    const first = emptyCell();
    const second = emptyCell();
    const recorder = new OutputRecorder();
    recorder.record(
      first,
      iopub("display_data", { data: { "text/plain": "epoch 1" }, metadata: {}, transient: { display_id: "d" } }),
    );
    recorder.record(
      second,
      iopub("update_display_data", { data: { "text/plain": "epoch 9" }, metadata: {}, transient: { display_id: "d" } }),
    );
    expect(first.outputs).toEqual([{ output_type: "display_data", data: { "text/plain": "epoch 9" }, metadata: {} }]);
    expect(second.outputs).toEqual([]);
  });

  it("records execute_result and error outputs, and honours clear_output(wait)", () => {
    const cell = emptyCell();
    const recorder = new OutputRecorder();
    recorder.record(cell, iopub("stream", { name: "stdout", text: "old" }));
    recorder.record(cell, iopub("clear_output", { wait: true }));
    recorder.record(cell, iopub("execute_result", { execution_count: 3, data: { "text/plain": "2" }, metadata: {} }));
    recorder.record(cell, iopub("error", { ename: "Error", evalue: "boom", traceback: ["Error: boom"] }));
    expect(cell.outputs).toEqual([
      { output_type: "execute_result", execution_count: 3, data: { "text/plain": "2" }, metadata: {} },
      { output_type: "error", ename: "Error", evalue: "boom", traceback: ["Error: boom"] },
    ]);
  });
});

describe("markdown", () => {
  it("renders headings, emphasis, code, lists and tables", () => {
    const html = renderMarkdown(
      "## Fitting 拟合\n\nText with **bold**, *em* and `a < b`.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n| run | loss |\n|---|--:|\n| l2 | 0.3 |",
    );
    expect(html).toContain("<h2>Fitting 拟合</h2>");
    expect(html).toContain("<strong>bold</strong>, <em>em</em> and <code>a &lt; b</code>");
    expect(html).toContain("<ul>\n<li>one</li>\n<li>two\n<ul>\n<li>nested</li>\n</ul>\n</li>\n</ul>");
    expect(html).toContain("<ol>\n<li>first</li>\n<li>second</li>\n</ol>");
    expect(html).toContain('<th>run</th>\n<th style="text-align:right">loss</th>');
    expect(html).toContain('<td>l2</td>\n<td style="text-align:right">0.3</td>');
  });

  it("escapes raw HTML and refuses javascript: links", () => {
    const html = renderMarkdown(
      "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.org/a?b=1&c=2) snake_case_name",
    );
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('<a href="https://example.org/a?b=1&amp;c=2">ok</a>');
    expect(html).toContain("snake_case_name");
  });

  it("shows inline tags as text and refuses every scheme but http(s) and mailto in links, images and autolinks", () => {
    const html = renderMarkdown(
      "a <img src=x onerror=alert(1)> b <JavaScript:alert(1)> ![i](data:image/png;base64,AAAA) [v](vbscript:x) " +
        '[t](https://a.org "x\\" onmouseover=\\"y") [r](./rel.html) [m](mailto:a@b.org) <https://a.org/x>',
    );
    expect(html).not.toMatch(/<img|<javascript|href="(?!https:|\.\/|mailto:)/i);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain('<a href="https://a.org" title="x&quot; onmouseover=&quot;y">t</a>');
    expect(html).toContain(
      '<a href="./rel.html">r</a> <a href="mailto:a@b.org">m</a> <a href="https://a.org/x">https://a.org/x</a>',
    );
  });

  it("keeps TeX math as written, delimiters included, and tells prices from math", () => {
    // Without the math rule, *b* would be emphasis and \\{ an escaped {.
    const html = renderMarkdown("Loss $L = x_1 * y_2 < z$, $a*b*c$ and $$\\sum_{i} \\{a_i\\}$$ cost $5 and $6.");
    expect(html).toBe("<p>Loss $L = x_1 * y_2 &lt; z$, $a*b*c$ and $$\\sum_{i} \\{a_i\\}$$ cost $5 and $6.</p>\n");
  });
});

describe("HTML report", () => {
  const figure = { data: [{ x: [1], y: [2], type: "scatter" }], layout: { title: { text: "</script><b>" } } };
  const withFigures = (): Notebook => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [1, 2].map((i) => ({
      ...emptyCell(),
      id: `c${i}`,
      source: "show(fig)",
      outputs: [
        {
          output_type: "display_data" as const,
          data: { [PLOTLY_MIME]: figure, "text/html": "<div>fallback</div>" },
          metadata: {},
        },
      ],
    })),
  });

  it("inlines plotly.js once and prefers the plotly JSON over its text/html fallback", () => {
    const html = renderHtmlReport(withFigures(), { title: "t", plotlySource: "/*PLOTLY*/" });
    expect(html.split("/*PLOTLY*/")).toHaveLength(2);
    expect(html.match(/Plotly\.newPlot/g)).toHaveLength(2);
    expect(html).not.toContain("<div>fallback</div>");
    // Figure data cannot close the script element.
    expect(html).not.toContain("</script><b>");
  });

  it("draws each figure with its exact data through lib/notebook/html's script, responsive and without the logo", () => {
    const html = renderHtmlReport(withFigures(), { title: "t", plotlySource: "/*PLOTLY*/" });
    const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const calls: unknown[][] = [];
    const window: Record<string, unknown> = {};
    const context = vm.createContext({ window, document: { getElementById: () => ({ innerHTML: "" }) }, console });
    for (const script of scripts) vm.runInContext(script, context);
    (window as { Plotly?: unknown }).Plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
    // The stub plotly.js defines no window.Plotly: the figures wait in lib/notebook/html's queue until it is there.
    vm.runInContext("window.__fitlabPlotlyWaiting.forEach(function (draw) { draw(); })", context);
    expect(calls).toHaveLength(2);
    expect(calls[0].slice(1)).toEqual([figure.data, figure.layout, { responsive: true, displaylogo: false }]);
  });

  it("omits plotly.js when no figure needs it, and shows a failure banner", () => {
    const nb = withFigures();
    (nb.cells[0] as CodeCell).outputs = [{ output_type: "stream", name: "stderr", text: "Error: <boom>" }];
    nb.cells.pop();
    const html = renderHtmlReport(nb, { title: "t", failure: "stopped at cell 1", plotlySource: "/*PLOTLY*/" });
    expect(html).not.toContain("/*PLOTLY*/");
    expect(html).toContain("Error: &lt;boom&gt;");
    expect(html).toContain('<div class="banner">stopped at cell 1</div>');
  });
});

describe("what lib/notebook/display emits, as the runner reads it", () => {
  it("drops the plotly.js loader output, draws the figure once and collects the result rows", () => {
    const figure = {
      data: [{ type: "scatter" as const, name: "run", x: [1, 2], y: [0.5, 0.4], mode: "lines" as const }],
      layout: { title: { text: "loss" } },
    };
    const row: ResultRow = {
      name: "run",
      epochs: 2,
      bestEpoch: 2,
      minValLoss: 0.4,
      maxValAccuracy: 0.8,
      finalGap: 0.1,
      verdict: "good fit",
      reason: "r",
      seeds: 1,
    };
    const shown = (data: Record<string, unknown>) => ({ output_type: "display_data" as const, data, metadata: {} });
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          ...emptyCell(),
          outputs: [shown(plotlyLoaderBundle()), shown(displayBundle(figure)), shown(resultsBundle([row]))],
        },
      ],
    };
    const html = renderHtmlReport(nb, { title: "t", plotlySource: "/*PLOTLY*/" });
    // The notebook's own copy of plotly.js (the real one, whose banner reads "* plotly.js v…") is
    // replaced by the report's single inlined one (the stub), in the one loader lib/notebook/html writes.
    expect(html).not.toContain("* plotly.js v");
    expect(html.split("inlined by fitlab")).toHaveLength(2);
    expect(html.split("/*PLOTLY*/")).toHaveLength(2);
    expect(html.match(/Plotly\.newPlot/g)).toHaveLength(1);
    expect(collectResults(nb, "nb")).toEqual([{ notebook: "nb", ...row }]);
  });
});

describe("results table", () => {
  const row: ResultRow = {
    name: "original",
    epochs: 20,
    bestEpoch: 4,
    minValLoss: 0.2791,
    maxValAccuracy: 0.889,
    finalGap: 0.5,
    verdict: "overfitting",
    reason: "r",
    seeds: 1,
  };

  it("keeps the latest results output of a notebook and accepts a JSON string payload", () => {
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          ...emptyCell(),
          outputs: [{ output_type: "display_data", data: { [RESULTS_MIME]: { rows: [] } }, metadata: {} }],
        },
        {
          ...emptyCell(),
          outputs: [
            { output_type: "display_data", data: { [RESULTS_MIME]: JSON.stringify({ rows: [row] }) }, metadata: {} },
          ],
        },
      ],
    };
    expect(collectResults(nb, "04-fixing")).toEqual([{ notebook: "04-fixing", ...row }]);
  });

  it("throws for a malformed payload instead of skipping it", () => {
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          ...emptyCell(),
          outputs: [{ output_type: "display_data", data: { [RESULTS_MIME]: { rows: [{ name: "x" }] } }, metadata: {} }],
        },
      ],
    };
    expect(() => collectResults(nb, "n")).toThrow(/is not \{ rows: ResultRow\[\] \}/);
  });

  it("accepts the null values of a diverged run and prints them as -", () => {
    const diverged = {
      ...row,
      name: "lr10",
      bestEpoch: null,
      minValLoss: null,
      maxValAccuracy: null,
      finalGap: null,
      verdict: "diverged",
    };
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          ...emptyCell(),
          outputs: [{ output_type: "display_data", data: { [RESULTS_MIME]: { rows: [diverged] } }, metadata: {} }],
        },
      ],
    };
    const rows = collectResults(nb, "n");
    expect(formatResultsTable(rows).split("\n")[2]).toBe(
      "n         lr10      20           -             -            -    -  diverged",
    );
  });

  it("prints an aligned table", () => {
    const table = formatResultsTable([
      { notebook: "03-imdb", ...row },
      { notebook: "03-imdb", ...row, name: "l2", epochs: 5, minValLoss: 0.31 },
    ]);
    const lines = table.split("\n");
    expect(lines[0]).toBe("notebook  run       epochs  best epoch  min val loss  max val acc     gap  verdict");
    expect(lines[2]).toBe("03-imdb   original      20           4        0.2791       0.8890  0.5000  overfitting");
    expect(lines[3]).toBe("03-imdb   l2             5           4        0.3100       0.8890  0.5000  overfitting");
  });

  it("gives final models' test accuracy and loss their own columns, and no verdict of a curve", () => {
    const final = {
      ...row,
      name: "final",
      epochs: 5,
      bestEpoch: null,
      minValLoss: null,
      maxValAccuracy: null,
      finalGap: null,
      verdict: "final model" as const,
      testAccuracy: 0.893,
      testLoss: 0.2684,
    };
    const lines = formatResultsTable([
      { notebook: "05", ...row },
      { notebook: "05", ...final },
    ]).split("\n");
    expect(lines[0]).toBe(
      "notebook  run       epochs  best epoch  min val loss  max val acc     gap  test acc  test loss  verdict",
    );
    expect(lines[2]).toBe(
      "05        original      20           4        0.2791       0.8890  0.5000         -          -  overfitting",
    );
    expect(lines[3]).toBe(
      "05        final          5           -             -            -       -    0.8930     0.2684  final model",
    );
  });
});

describe("timeouts beyond Node's 32-bit timers", () => {
  it("are refused before any kernel starts (a longer setTimeout fires after 1 ms)", async () => {
    await expect(executeNotebook(fixture("ok.ipynb"), { timeoutSeconds: 3_000_000 })).rejects.toThrow(
      /executeNotebook: timeoutSeconds = 3000000; it must be a number of seconds > 0 and ≤ 2147483/,
    );
    await expect(executeNotebook(fixture("ok.ipynb"), { timeoutSeconds: NaN })).rejects.toThrow(/timeoutSeconds = NaN/);
    // What the check prevents, measured: Node clamps the delay to 1 ms (with a TimeoutOverflowWarning).
    const began = process.hrtime.bigint();
    const warn = jest.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 3_000_000 * 1000));
    warn.mockRestore();
    expect(Number(process.hrtime.bigint() - began) / 1e6).toBeLessThan(1000);
  });
});

describe("executeNotebook on the real tslab kernel", () => {
  it("records outputs as Jupyter does, with --quick under --set", async () => {
    const run = await executeNotebook(fixture("ok.ipynb"), {
      quick: true,
      set: { greeting: "hey" },
      timeoutSeconds: 120,
    });
    expect(run.failure).toBeUndefined();
    expect(run.parameters).toEqual({ repeats: 3, greeting: "hey" });
    const code = run.notebook.cells.filter((c): c is CodeCell => c.cell_type === "code");
    expect(code.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(code[1].metadata.tags).toEqual([INJECTED_TAG]);
    expect(code[1].source).toContain('let greeting = "hey";');
    expect(code[2].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "heyheyhey\nscaled 21\n" }]);
    expect(code[3].outputs).toEqual([
      { output_type: "display_data", data: { "text/html": "<b>bold</b>" }, metadata: {} },
      { output_type: "display_data", data: { "text/plain": "epoch 2" }, metadata: {} },
    ]);
    expect(code[4].outputs[0]).toMatchObject({
      output_type: "display_data",
      data: { [PLOTLY_MIME]: { data: [{ name: "hey" }] } },
    });
    expect(collectResults(run.notebook, run.name)).toEqual([
      expect.objectContaining({ notebook: "ok", name: "hey", epochs: 3, verdict: "good fit" }),
    ]);
    console.log(
      `tslab kernel start ${run.kernelStartMs} ms; cell times ${run.cellMs.join(", ")} ms (first cell includes tslab's first compile)`,
    );
  });

  it("stops at a cell that exceeds the timeout, interrupts it and reports it", async () => {
    // The hanging cell never ends, so its timeout always fires; it only has to be long enough for
    // the cells before it (tslab's first compile) on a loaded machine. The interrupt grace is an
    // upper bound: a kernel that honours SIGINT ends the wait at once.
    const run = await executeNotebook(fixture("hang.ipynb"), { timeoutSeconds: 20, interruptGraceSeconds: 120 });
    expect(run.ok).toBe(false);
    expect(run.failure).toMatchObject({ kind: "timeout", cellNumber: 2, cellIndex: 1, ename: "CellTimeoutError" });
    expect(run.failure!.evalue).toMatch(/did not finish within 20 s and was interrupted/);
    const cells = run.notebook.cells as CodeCell[];
    expect(cells[1].outputs[0]).toEqual({ output_type: "stream", name: "stdout", text: "about to hang\n" });
    expect(cells[2].execution_count).toBeNull();
  });

  it("reports a kernel that exits during a cell", async () => {
    const run = await executeNotebook(fixture("die.ipynb"), { timeoutSeconds: 60 });
    expect(run.failure).toMatchObject({ kind: "died", cellNumber: 2, ename: "KernelDiedError" });
    expect(run.failure!.evalue).toMatch(/the kernel process exited \(code 1\)/);
  });

  it("declares a kernel dead when it stops answering heartbeats, and kills it", async () => {
    // tslab answers heartbeats on its event loop, which compiling a cell blocks: the silence limit
    // must stay well above a slow compile on a loaded machine, or a live kernel would be declared dead.
    const kernel = await KernelClient.start({ cwd: FIXTURES, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 10_000 });
    try {
      const began = Date.now();
      expect((await kernel.execute("1 + 1")).status).toBe("ok");
      expect((await kernel.execute("2 + 2")).status).toBe("ok");
      console.log(`trivial cell round trip ${Date.now() - began} ms for two cells; kernel start ${kernel.startMs} ms`);
      // Every wait (the start-up polls, each cell) has unsubscribed from the kernel's death.
      expect(kernel.pendingWaits).toBe(0);
      process.kill(kernel.pid!, "SIGSTOP"); // frozen: alive but silent
      // The cell cannot finish (the kernel is stopped): only the heartbeat can end this wait.
      await expect(kernel.execute("3 + 3", { timeoutMs: 10 * 60_000 })).rejects.toThrow(KernelDiedError);
      expect(kernel.dead).toMatch(/stopped answering heartbeats/);
      expect(kernel.pendingWaits).toBe(0);
      const pid = kernel.pid!;
      // The client killed it: it exits by SIGKILL (a stopped process cannot exit by itself).
      expect(await kernel.exited).toEqual({ code: null, signal: "SIGKILL" });
      expect(() => process.kill(pid, 0)).toThrow(); // reaped: the pid names no process
    } finally {
      await kernel.shutdown();
    }
  });
});

describe("npm run lesson (CLI)", () => {
  const build = path.join(ROOT, "out", ".test-build");
  const cli = path.join(build, "scripts", "lesson.js");

  beforeAll(() => {
    // Compile just the runner (not lib/, which other work may have half-done) to a scratch folder.
    execFileSync(
      path.join(ROOT, "node_modules", ".bin", "tsc"),
      [
        "--outDir",
        build,
        "--rootDir",
        ROOT,
        "--module",
        "commonjs",
        "--target",
        "ES2020",
        "--lib",
        "ES2020",
        "--strict",
        "--esModuleInterop",
        "--skipLibCheck",
        "--types",
        "node",
        path.join(ROOT, "scripts", "lesson.ts"),
      ],
      { stdio: "inherit" },
    );
  });

  const runCli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(process.execPath, [cli, ...args], { cwd: ROOT, encoding: "utf8", env, timeout: 120_000 });

  it("exits 1 on a failing cell, naming the cell and the kernel's error, and writes the partial notebook", async () => {
    const out = tmpDir("cli-fail");
    const result = runCli([fixture("fail.ipynb"), "--out", out, "--timeout", "60"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/fail\.ipynb: code cell 3 \(cell index 2, id c-3\) failed/);
    expect(result.stderr).toContain('throw new Error("boom");');
    expect(result.stderr).toMatch(/^Error: boom$/m);
    const written = await readNotebook(path.join(out, "fail.ipynb"));
    const cells = written.cells as CodeCell[];
    expect(cells[1].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "before the failure\n" }]);
    expect(cells[2].outputs[0]).toMatchObject({ output_type: "stream", name: "stderr" });
    expect((cells[2].outputs[0] as { text: string }).text).toContain("Error: boom");
    expect(cells[3].execution_count).toBeNull();
    const html = await fs.readFile(path.join(out, "fail.html"), "utf8");
    expect(html).toContain("This run stopped early.");
    expect(readdirSync(out).sort()).toEqual(["fail.html", "fail.ipynb", "results.json"]);
  });

  it("runs a notebook, writes the report with plotly inlined once, and prints the results table", async () => {
    const out = tmpDir("cli-ok");
    const result = runCli([fixture("ok.ipynb"), "--quick", "--out", out]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ok +hello +3 +1 +0\.2500 +0\.9000 +0\.0500 +good fit$/m);
    const results = JSON.parse(await fs.readFile(path.join(out, "results.json"), "utf8"));
    expect(results.rows).toEqual([expect.objectContaining({ notebook: "ok", name: "hello", epochs: 3 })]);
    const html = await fs.readFile(path.join(out, "ok.html"), "utf8");
    // One figure: lib/notebook/html's div and the script that draws into it.
    expect(html.match(/<div id="plot-\d+" class="fitlab-figure"/g)).toHaveLength(1);
    expect(html.match(/var id = "plot-1";/g)).toHaveLength(1);
    expect(html.match(/window\.Plotly\.newPlot\(el, spec\.data/g)).toHaveLength(1);
    expect(html.split("plotly.js v").length).toBeGreaterThan(1); // the library's own banner, inlined
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing fetched: works from file://
    // No temporary file left (lib/system/atomicWrite names them .<name>.tmp-<hex>).
    expect(readdirSync(out).sort()).toEqual(["ok.html", "ok.ipynb", "results.json"]);
  });

  it("runs notebooks side by side (--jobs 2): each on its own kernel, lines tagged, results in the notebooks' order", async () => {
    const out = tmpDir("cli-jobs");
    const dir = tmpDir("cli-jobs-src");
    // Two copies of ok.ipynb with a number prefix, as the lesson's notebooks have.
    for (const name of ["01-first.ipynb", "02-second.ipynb"])
      await fs.copyFile(fixture("ok.ipynb"), path.join(dir, name));
    const env = { ...process.env, FITLAB_IMAGES_DIR: tmpDir("cli-jobs-images") };
    const result = runCli(
      [path.join(dir, "01-first.ipynb"), path.join(dir, "02-second.ipynb"), "--quick", "--jobs", "2", "--out", out],
      env,
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ {2}\[01\] cell 1\/\d+ ok/m);
    expect(result.stdout).toMatch(/^ {2}\[02\] cell 1\/\d+ ok/m);
    // Both kernels were up at once: the second notebook started before the first one's report was written.
    const lines = result.stdout.split("\n");
    expect(lines.findIndex((l) => l.startsWith("▶") && l.includes("02-second"))).toBeLessThan(
      lines.findIndex((l) => l.includes("wrote") && l.includes("01-first")),
    );
    const results = JSON.parse(await fs.readFile(path.join(out, "results.json"), "utf8"));
    expect(results.rows.map((r: { notebook: string }) => r.notebook)).toEqual(["01-first", "02-second"]);
    expect(readdirSync(out).sort()).toEqual([
      "01-first.html",
      "01-first.ipynb",
      "02-second.html",
      "02-second.ipynb",
      "results.json",
    ]);
  });

  it.each(["0", "1.5", "x", "17"])("refuses --jobs %s before any kernel starts", (jobs) => {
    const result = runCli([fixture("ok.ipynb"), "--jobs", jobs, "--out", tmpDir("cli-jobs-bad")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--jobs ${jobs}: expected a whole number of notebooks to run at once, 1 to 16`);
  });

  /** Starts the CLI on `notebook` and resolves once `ready` appears on its stdout (a cell is then running). */
  async function startCli(notebook: string, args: string[], ready: string) {
    const child = spawn(process.execPath, [cli, notebook, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes(ready)) resolve();
      });
      void exited.then(() => reject(new Error(`exited early: ${stdout}\n${stderr}`)));
    });
    const kernels = childPids(child.pid!);
    expect(kernels).toHaveLength(1);
    const kernelDir = readdirSync(os.tmpdir())
      .filter((f) => f.startsWith("fitlab-kernel-"))
      .map((f) => path.join(os.tmpdir(), f))
      .filter((dir) => readFileSync(`/proc/${kernels[0]}/cmdline`, "utf8").includes(dir));
    expect(kernelDir).toHaveLength(1);
    return { child, kernel: kernels[0], kernelDir: kernelDir[0], exited, stderr: () => stderr };
  }

  /** Polls until `check` holds (a process has gone, a folder was removed) or `ms` pass. */
  async function eventually(check: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
    "on %s stops the kernel, writes the partial notebook whole and marked interrupted, leaves no temporary file and exits 130",
    async (signal) => {
      const out = tmpDir(`cli-${signal}`);
      // Cell 2 prints 8 MB, so the partial notebook and its report take a while to write; cell 3 hangs.
      const run = await startCli(fixture("big-hang.ipynb"), ["--out", out, "--timeout", "120"], "cell 2/4 ok");
      run.child.kill(signal); // only the runner: it must stop the kernel itself
      expect(await run.exited).toEqual({ code: 130, signal: null });
      // The runner awaits the kernel's exit before it exits itself. (Had it left the kernel behind,
      // the kernel would be running still: its cell never ends.)
      expect(isRunning(run.kernel)).toBe(false);
      expect(existsSync(run.kernelDir)).toBe(false);
      expect(readdirSync(out).sort()).toEqual(["big-hang.html", "big-hang.ipynb", "results.json"]);
      const written = await readNotebook(path.join(out, "big-hang.ipynb"));
      expect(written.metadata.fitlab?.executed).toMatchObject({ interrupted: signal });
      const cells = written.cells as CodeCell[];
      expect((cells[1].outputs[0] as { text: string }).text).toHaveLength(8e6 + 1);
      expect(cells[2].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "about to hang\n" }]);
      expect(await fs.readFile(path.join(out, "big-hang.html"), "utf8")).toMatch(
        /This run stopped early[\s\S]*was interrupted[\s\S]*<\/html>\s*$/,
      );
      expect(JSON.parse(await fs.readFile(path.join(out, "results.json"), "utf8"))).toMatchObject({
        interrupted: signal,
      });
      expect(run.stderr()).toContain(`${signal}: stopping the kernel`);
    },
  );

  it("on a second SIGINT quits at once, leaving no temporary file; the kernel follows its runner", async () => {
    const out = tmpDir("cli-sigint-twice");
    // With --set, the injected parameters cell is code cell 2: the large output is cell 3 of 5.
    const run = await startCli(
      fixture("big-hang.ipynb"),
      ["--out", out, "--timeout", "120", "--set", "outputMb=48"],
      "cell 3/5 ok",
    );
    run.child.kill("SIGINT");
    // The second Ctrl-C lands while the 48 MB partial notebook is being written (or just after).
    await eventually(() => readdirSync(out).some((f) => f.endsWith(".tmp")), 5000);
    run.child.kill("SIGINT");
    expect((await run.exited).code).toBe(130);
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(await eventually(() => !isRunning(run.kernel), 20_000)).toBe(true);
    expect(await eventually(() => !existsSync(run.kernelDir), 5000)).toBe(true);
  });

  it("when the runner is killed (SIGKILL), its kernel exits and removes its connection folder (HMAC key)", async () => {
    const run = await startCli(
      fixture("hang.ipynb"),
      ["--out", tmpDir("cli-sigkill"), "--timeout", "120"],
      "cell 1/3 ok",
    );
    run.child.kill("SIGKILL"); // no handler runs: only the kernel itself can notice
    expect(await run.exited).toEqual({ code: null, signal: "SIGKILL" });
    const gone = await eventually(() => !isRunning(run.kernel), 20_000);
    expect(gone).toBe(true);
    expect(existsSync(run.kernelDir)).toBe(false);
  });

  it.each([
    [
      ["--set", "epoch=2"],
      /unknown parameter "epoch": the parameters cell of fail\.ipynb declares epochs\. Did you mean "epochs"\?/,
    ],
    [["--set", "epochs=abc"], /--set epochs=abc: "abc" is not a number/],
    [["--set", "epochs"], /expected name=value/],
    [["--timeout", "0"], /--timeout 0: expected a positive number/],
    [
      ["--timeout", "3000000"],
      /--timeout 3000000: at most 2147483 seconds \(about 24\.8 days; Node's timers cannot wait longer\)/,
    ],
    [["--frobnicate"], /unknown option --frobnicate/],
    [["--set", "epochs=1e400"], /--set: epochs = Infinity is not a finite number/],
    [
      [path.join(ROOT, "notebooks", "03-imdb-capacity.ipynb"), "--set", "trainSamples=-24000"],
      /--set: trainSamples = -24000 is out of range: the parameters cell allows an integer from 10 to 25000 \(\/\/ integer 10\.\.25000\)/,
    ],
    [
      [path.join(ROOT, "notebooks", "03-imdb-capacity.ipynb"), "--set", "epochs=0"],
      /epochs = 0 is out of range: the parameters cell allows an integer from 1 to 500/,
    ],
    [[path.join(ROOT, "notebooks", "03-imdb-capacity.ipynb"), "--set", "epochs=-3"], /epochs = -3 is out of range/],
    [
      [path.join(ROOT, "notebooks", "04-fixing-overfitting.ipynb"), "--set", 'l1l2Rates={"l1": 0.001, "l2": -1}'],
      /l1l2Rates\.l2 = -1 is out of range: the parameters cell allows a number from 0 to 1/,
    ],
  ])("exits 2 before starting any kernel for %j", (args, message) => {
    const out = path.join(tmpDir("cli-bad"), "out");
    const notebook = args[0].endsWith(".ipynb") ? [] : [fixture("fail.ipynb")];
    const result = runCli([...notebook, ...args, "--out", out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  it("refuses an output folder that holds the source notebooks, before running anything", async () => {
    const before = readFileSync(path.join(ROOT, "notebooks", "01-underfitting-mnist.ipynb"));
    const result = runCli(["--out", "notebooks", "--quick"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /--out notebooks: that folder holds the source notebook notebooks\/01-underfitting-mnist\.ipynb, which the executed copy would overwrite; choose another folder/,
    );
    expect(result.stdout).toBe("");
    expect(readFileSync(path.join(ROOT, "notebooks", "01-underfitting-mnist.ipynb"))).toEqual(before);
    // The same folder reached through a symbolic link, with an explicit notebook.
    const link = path.join(tmpDir("cli-link"), "nb");
    symlinkSync(FIXTURES, link);
    const linked = runCli([fixture("ok.ipynb"), "--out", link]);
    expect(linked.status).toBe(2);
    expect(linked.stderr).toMatch(/holds the source notebook .*ok\.ipynb/);
    expect(readdirSync(FIXTURES).filter((f) => !f.endsWith(".ipynb"))).toEqual([]);
  });

  it.each([
    // CI runs as root, which permission bits do not stop: these folders cannot be written by root either.
    [
      "a path under a file (ENOTDIR)",
      () => path.join(fixture("ok.ipynb"), "out"),
      /--out .*ok\.ipynb\/out: .*ok\.ipynb is a file, not a folder/,
    ],
    [
      "a folder under /proc",
      () => "/proc/fitlab-out",
      /--out \/proc\/fitlab-out: cannot create files in \/proc \(this file system holds no ordinary files/,
    ],
    ["an existing folder of /proc", () => "/proc/self", /--out \/proc\/self: cannot create files in \/proc\/self/],
  ])("refuses an unwritable output folder before starting a kernel: %s", (_what, out, message) => {
    const result = runCli([fixture("hang.ipynb"), "--out", out()]);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe(""); // no "▶ hang.ipynb": no kernel started
  });

  it("refuses an output folder on a read-only file system (a read-only tmpfs mount, when mount is allowed)", () => {
    const dir = tmpDir("cli-rofs");
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "ro", "tmpfs", dir], { encoding: "utf8" });
    if (mount.status !== 0) {
      // Without CAP_SYS_ADMIN (an unprivileged container) no read-only mount can be made: say so.
      console.log(
        `read-only mount not possible here (${(mount.stderr || mount.error?.message || "").trim()}); the /proc and ENOTDIR cases cover the check`,
      );
      return;
    }
    try {
      const result = runCli([fixture("hang.ipynb"), "--out", path.join(dir, "out")]);
      expect(result.stderr).toMatch(/--out .*\/out: .* is on a read-only file system/);
      expect(result.status).toBe(2);
    } finally {
      spawnSync("umount", [dir]);
    }
  });

  describe("npm start's kernel registration (the rest: test/start.test.ts)", () => {
    it("registers the project's tslab in a local data folder that Jupyter finds", async () => {
      const dataDir = tmpDir("jupyter-data");
      const file = await registerKernel(dataDir);
      const spec = JSON.parse(await fs.readFile(file, "utf8"));
      expect(file).toBe(path.join(dataDir, "kernels", "tslab", "kernel.json"));
      // fitlab's kernel (scripts/kernel/tslabKernel.ts), the one the runner starts too.
      expect(spec.argv).toEqual([
        process.execPath,
        path.join(ROOT, "dist", "scripts", "kernel", "tslabKernel.js"),
        "--config-path",
        "{connection_file}",
      ]);
      expect(existsSync(spec.argv[1])).toBe(true);
      requireJupyterClient();
      // Another folder already on JUPYTER_PATH stays on it, after ours.
      const env = jupyterEnv(dataDir, { ...process.env, JUPYTER_PATH: "/nonexistent/jupyter" });
      expect(env.JUPYTER_PATH).toBe([dataDir, "/nonexistent/jupyter"].join(path.delimiter));
      const found = spawnSync(PYTHON, ["-c", FIND_TSLAB], { encoding: "utf8", env });
      expect(found.stdout.trim()).toBe(path.dirname(file));
    });

    it("keeps the user's own Jupyter data folder (extensions, kernels, trust database)", () => {
      requireJupyterClient();
      const dataDir = tmpDir("jupyter-data");
      const dataDirOf = (env: NodeJS.ProcessEnv) =>
        spawnSync(PYTHON, ["-c", "from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())"], {
          encoding: "utf8",
          env,
        });
      const without = dataDirOf(process.env);
      const withOurs = dataDirOf(jupyterEnv(dataDir));
      expect(withOurs.stdout.trim()).toBe(without.stdout.trim());
      expect(withOurs.stdout.trim()).not.toBe(dataDir);
    });
  });
});
