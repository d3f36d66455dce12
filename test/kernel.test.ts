/**
 * fitlab's tslab kernel (scripts/kernel/) against real faults on a real kernel: a promise a cell
 * left rejected after `initBackend()` (whose Emscripten listeners rethrew it and killed tslab), an
 * exception thrown in a timer or an event handler, and malformed or forged ZeroMQ messages sent to
 * its shell and control ports by another local process.
 */
import { spawnSync } from "child_process";
import { mkdtempSync } from "fs";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { PYTHON, requirePrerequisites } from "../scripts/browser/prerequisites";
import { KernelClient } from "../scripts/jupyter/kernel";
import { jupyterEnv, registerKernel } from "../scripts/jupyter/kernelspec";
import { encodeMessage, newMessage, newSessionKey } from "../scripts/jupyter/wire";
import { whyDrop } from "../scripts/kernel/messages";
import { parseKernelArgs } from "../scripts/kernel/tslabKernel";

const NOTEBOOKS = path.join(__dirname, "..", "notebooks");

/** Runs `code` and returns its reply status and everything it printed (stdout and stderr). */
async function run(kernel: KernelClient, code: string): Promise<{ status: string; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const reply = await kernel.execute(code, {
    timeoutMs: 120_000,
    onIopub: (message) => {
      if (message.header.msg_type !== "stream") return;
      if (message.content.name === "stderr") stderr += String(message.content.text);
      else stdout += String(message.content.text);
    },
  });
  return { status: reply.status, stdout, stderr };
}

describe("fitlab's tslab kernel: an error nothing caught", () => {
  let kernel: KernelClient;
  beforeAll(async () => {
    // In notebooks/, so that `from ".."` is fitlab, as in the lesson.
    kernel = await KernelClient.start({ cwd: NOTEBOOKS });
    const first = await run(
      kernel,
      'import { initBackend, train, variants, tf } from ".."; await initBackend(); const kept = 41;',
    );
    expect(first.status).toBe("ok");
  });
  afterAll(() => kernel.shutdown());

  it("reports a training promise left rejected (a forgotten await after initBackend) in its own cell, and lives on", async () => {
    const cell = await run(
      kernel,
      'train(variants.mnist.small, tf.zeros([4, 784]), tf.zeros([4, 10]), { epochs: 0 }); "sent"',
    );
    expect(cell.status).toBe("ok");
    expect(cell.stdout).toBe("sent\n");
    expect(cell.stderr).toMatch(
      /^A promise failed and nothing awaited it \(did a call miss `await`\?\):\nError: train: epochs = 0; it must be an integer ≥ 1/,
    );
    expect(cell.stderr).toContain("The kernel carries on: every variable is kept.");
    expect(kernel.dead).toBeNull();
    expect((await run(kernel, "kept + 1")).stdout).toBe("42\n");
  });

  it("reports an exception thrown in a timer after its cell ended at the top of the next cell", async () => {
    expect((await run(kernel, 'setTimeout(() => { throw new Error("from a timer"); }, 50); "timer set"')).stdout).toBe(
      "timer set\n",
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the timer fires between cells
    expect(kernel.dead).toBeNull();
    const next = await run(kernel, "kept + 2");
    expect(next.stderr).toMatch(
      /^Before this cell ran, an error was thrown where no cell could catch it \(in a timer or an event handler\):\nError: from a timer/,
    );
    expect(next.stdout).toBe("43\n");
    // Reported once: the cell after that one starts clean.
    expect((await run(kernel, "kept + 3")).stderr).toBe("");
    expect(kernel.log).toContain("fitlab kernel: an error was thrown where no cell could catch it");
  });

  it("reports an exception thrown in an event handler, and a promise rejected later, in the cell that is running", async () => {
    const cell = await run(
      kernel,
      [
        'const events = new (require("events").EventEmitter)();',
        'events.on("tick", () => { throw new Error("from a handler"); });',
        'setTimeout(() => events.emit("tick"), 10);',
        'setTimeout(() => Promise.reject(new Error("rejected later")), 20);',
        "await new Promise((resolve) => setTimeout(resolve, 500));",
        '"still running"',
      ].join("\n"),
    );
    expect(cell.status).toBe("ok");
    expect(cell.stderr).toMatch(/^An error was thrown where no cell could catch it[^\n]*\nError: from a handler/);
    expect(cell.stderr).toMatch(/A promise failed and nothing awaited it[^\n]*\nError: rejected later/);
    expect(cell.stdout).toBe("still running\n");
    expect((await run(kernel, "kept")).stdout).toBe("41\n");
  });
});

describe("fitlab's tslab kernel: the stop button (SIGINT, Jupyter's interrupt)", () => {
  let kernel: KernelClient;
  beforeAll(async () => {
    kernel = await KernelClient.start({ cwd: NOTEBOOKS });
    expect(
      (
        await run(
          kernel,
          'import { initBackend, trainSeeds, variants, tf } from ".."; await initBackend(); const kept = 41;',
        )
      ).status,
    ).toBe("ok");
  });
  afterAll(() => kernel.shutdown());

  /** Runs `code`, interrupts the kernel once its output matches `when`, and returns what the cell showed. */
  async function interruptWhen(
    code: string,
    when: RegExp,
  ): Promise<{ status: string; stdout: string; stderr: string; afterMs: number }> {
    let stdout = "";
    let stderr = "";
    let sent = 0;
    const reply = await kernel.execute(code, {
      timeoutMs: 120_000,
      onIopub: (message) => {
        if (message.header.msg_type !== "stream") return;
        if (message.content.name === "stderr") stderr += String(message.content.text);
        else stdout += String(message.content.text);
        if (!sent && when.test(stdout)) {
          sent = Date.now();
          kernel.interrupt();
        }
      },
    });
    const afterMs = Date.now() - sent;
    // tslab aborts what arrives within 200 ms of a failed cell (its queue reset).
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { status: reply.status, stdout, stderr, afterMs };
  }

  it("ends a training cell with fitlab's message (what was stopped, what was kept, the kernel lives on), not tslab's", async () => {
    const cell = await interruptWhen(
      "const noise = tf.randomUniform([600, 784]); const labels = tf.zeros([600]);\nconst stoppedGroup = await trainSeeds(variants.mnist.small, noise, labels, { epochs: 400, seeds: [1, 2], cache: false, verbose: 1 });",
      /Epoch 1\//,
    );
    expect(cell.status).toBe("error");
    expect(cell.stderr).toMatch(
      /^Training stopped \(the stop button, or Ctrl-C\): "small" \(seeds 1 and 2\)\. Seed 1 was stopped after \d+ of 400 epochs; [^.]*\. Seed 2 was stopped after \d+ of 400 epochs; [^.]*\./,
    );
    expect(cell.stderr).toContain("The kernel is still running and keeps every variable defined so far");
    expect(cell.stderr).not.toMatch(/Interrupted asynchronously|\n\s+at /);
    expect(cell.afterMs).toBeLessThan(4_000);
    expect((await run(kernel, "kept + 1")).stdout).toBe("42\n");
  });

  it("interrupts any other cell at once, as tslab does", async () => {
    // Printed after the cell's synchronous part: a SIGINT during it ends that part itself (vm's breakOnSigint).
    const cell = await interruptWhen(
      'await new Promise((resolve) => setTimeout(resolve, 50)); console.log("waiting"); await new Promise(() => undefined);',
      /waiting/,
    );
    expect(cell.status).toBe("error");
    expect(cell.stderr).toContain("Interrupted asynchronously");
    expect(cell.afterMs).toBeLessThan(2_000);
    expect((await run(kernel, "kept + 2")).stdout).toBe("43\n");
  });
});

describe("fitlab's tslab kernel: malformed and forged messages", () => {
  it("drops garbage, a missing delimiter, missing frames and a wrong signature on the shell and control ports, and carries on", async () => {
    const kernel = await KernelClient.start({ cwd: NOTEBOOKS });
    const intruders: zmq.Dealer[] = [];
    try {
      // With the wasm backend loaded, as in the lesson: its Emscripten listeners turned tslab's parse error into an exit.
      expect((await run(kernel, 'import { initBackend } from ".."; await initBackend(); const kept = 7;')).status).toBe(
        "ok",
      );
      const forged = newMessage("execute_request", { code: "process.exit(3)", silent: false }, "intruder");
      const malformed: Buffer[][] = [
        [Buffer.from("garbage")],
        [Buffer.from("<IDS|MSG>")],
        [Buffer.from("<IDS|MSG>"), Buffer.from("sig"), Buffer.from("{not json")],
        encodeMessage(forged, newSessionKey()), // signed with another key
        encodeMessage(forged, "").map((frame, i) => (i === 1 ? Buffer.from("") : frame)), // unsigned
      ];
      for (const address of [kernel.addresses.shell, kernel.addresses.control]) {
        const intruder = new zmq.Dealer({ linger: 0 });
        intruders.push(intruder);
        intruder.connect(address);
        for (const frames of malformed) await intruder.send(frames);
      }
      // Dropped as they arrive (a ROUTER socket adds the sender's identity frame): one log line each.
      const deadline = Date.now() + 30_000;
      while (
        (kernel.log.match(/fitlab kernel: dropped a message/g) ?? []).length < 2 * malformed.length &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((kernel.log.match(/fitlab kernel: dropped a message/g) ?? []).length).toBe(2 * malformed.length);
      expect(kernel.log).toContain("fitlab kernel: dropped a message (2 frames): no <IDS|MSG> delimiter");
      expect(kernel.log).toContain("bad HMAC signature");
      expect(kernel.dead).toBeNull();
      // The forged process.exit never ran, and the notebook's state is intact.
      expect((await run(kernel, "kept * 6")).stdout).toBe("42\n");
    } finally {
      for (const intruder of intruders) intruder.close();
      await kernel.shutdown();
    }
  });

  it("whyDrop passes a well-signed message and names what is wrong with the others", () => {
    const key = newSessionKey();
    const message = encodeMessage(newMessage("kernel_info_request", {}, "s"), key);
    expect(whyDrop(message, key)).toBeNull();
    expect(whyDrop([Buffer.from("garbage")], key)).toBe("no <IDS|MSG> delimiter");
    expect(whyDrop(message.slice(0, 4), key)).toBe("fewer than 4 JSON frames after the signature");
    expect(whyDrop(message, newSessionKey())).toBe("bad HMAC signature");
    // Jupyter's "no signing" (an empty key) checks the framing only.
    expect(
      whyDrop(
        encodeMessage(newMessage("kernel_info_request", {}, "s"), "").map((f, i) => (i === 1 ? Buffer.from("") : f)),
        "",
      ),
    ).toBeNull();
  });

  it("reads its connection file from --config-path and refuses a command line without one", () => {
    expect(parseKernelArgs(["--config-path", "/tmp/c.json"])).toBe("/tmp/c.json");
    expect(parseKernelArgs(["--config-path=/tmp/c.json"])).toBe("/tmp/c.json");
    expect(() => parseKernelArgs(["kernel"])).toThrow(
      "no connection file given; usage: node tslabKernel.js --config-path <connection.json>",
    );
  });
});

describe("fitlab's tslab kernel under Jupyter's own client (the kernel spec npm start registers)", () => {
  it("starts from kernel.json, survives a forgotten await and reports it in the cell (jupyter_client + nbclient)", async () => {
    requirePrerequisites(["build", "nbformat"]);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "fitlab-kernelspec-"));
    await registerKernel(dataDir);
    // nbclient runs the cells as JupyterLab would send them; allow_errors keeps going after a failing cell.
    const script = `
import json, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(s) for s in json.loads(sys.argv[1])]
NotebookClient(nb, kernel_name="tslab", timeout=120, resources={"metadata": {"path": sys.argv[2]}}).execute()
print(json.dumps([[o.get("name"), o.get("text")] for c in nb.cells for o in c.outputs if o.output_type == "stream"]))`;
    const cells = [
      'import { initBackend, train, variants, tf } from ".."; await initBackend(); const kept = 41;',
      'train(variants.mnist.small, tf.zeros([4, 784]), tf.zeros([4, 10]), { epochs: 0 }); "sent"',
      "kept + 1",
    ];
    const result = spawnSync(PYTHON, ["-c", script, JSON.stringify(cells), NOTEBOOKS], {
      encoding: "utf8",
      env: jupyterEnv(dataDir, { ...process.env, JUPYTER_DATA_DIR: path.join(dataDir, "user") }),
      timeout: 240_000,
    });
    expect(result.stderr).not.toMatch(/DeadKernelError|Traceback/);
    expect(result.status).toBe(0);
    const streams = JSON.parse(result.stdout.trim().split("\n").pop()!) as [string, string][];
    expect(streams).toContainEqual(["stdout", "sent\n"]);
    expect(streams).toContainEqual([
      "stderr",
      expect.stringMatching(/^A promise failed and nothing awaited it[^\n]*\nError: train: epochs = 0/),
    ]);
    expect(streams[streams.length - 1]).toEqual(["stdout", "42\n"]);
  }, 300_000);
});
