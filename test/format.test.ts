/**
 * lib/format.ts: every number format of the lines and logs, named once. The values are the ones the
 * formats were written for (a memorized training loss, an exploded one, an accuracy a tenth of a point
 * apart), and the lines that had their own copy print through them.
 */
import { checkRun } from "../lib/check";
import {
  countText,
  explodingLoss,
  fixed1,
  fixed4,
  loss,
  percent,
  percent2,
  plural,
  reasonLoss,
  roughPercent,
  signedPercent,
  significant3,
  smallLoss,
  times,
  wholePercent,
} from "../lib/format";
import { explainLine } from "../lib/reading/curves";
import { compareFinalLine } from "../lib/reading/remedies";
import type { History, RunLike } from "../lib/types";

function run(name: string, loss: number[], valLoss: number[]): RunLike {
  const history: History = {
    history: { loss, accuracy: loss.map(() => 0.9), val_loss: valLoss, val_accuracy: valLoss.map(() => 0.8) },
    epoch: loss.map((_, i) => i),
    params: { epochs: loss.length, batchSize: 128, samples: 100, validationSamples: 50, steps: 1 },
  };
  return { name, history };
}

describe("loss formats", () => {
  it("prints a loss in a line with three decimals, a tiny one in two significant digits, a huge one as a power of ten", () => {
    expect(loss(0.2914)).toBe("0.291");
    expect(loss(0.00042)).toBe("0.00042");
    expect(loss(0.0042)).toBe("0.004");
    expect(loss(0)).toBe("0.000");
    expect(loss(12345)).toBe("1.2e+4");
  });

  it("keeps the diagnosis's and the sweeps' switch points (they print the numbers their lines were measured with)", () => {
    expect(reasonLoss(0.00042)).toBe("0.00042");
    expect(reasonLoss(0.0007)).toBe("0.001");
    expect(explodingLoss(19512)).toBe("1.95e+4");
    expect(explodingLoss(2.05)).toBe("2.050");
    expect(smallLoss(0.0041)).toBe("0.0041");
    expect(smallLoss(0.041)).toBe("0.041");
    expect(smallLoss(NaN)).toBe("NaN");
    expect(significant3(19512)).toBe("1.95e+4");
  });

  it("prints Keras's log values with four decimals and non-finite values as written", () => {
    expect(fixed4(0.23104)).toBe("0.2310");
    expect(fixed4(Infinity)).toBe("Infinity");
    expect(fixed4(NaN)).toBe("NaN");
    expect(fixed1(2.94)).toBe("2.9");
  });
});

describe("percentages, ratios and counts", () => {
  it("prints fractions as the lines need them", () => {
    expect(percent(0.975)).toBe("97.5%");
    expect(percent2(0.92884)).toBe("92.88%");
    expect(wholePercent(1.034)).toBe("103%");
    expect(roughPercent(0.104)).toBe("10%");
    expect(roughPercent(0.004)).toBe("0.4%");
    expect(signedPercent(0.024)).toBe("+2.4%");
    expect(signedPercent(-0.003)).toBe("−0.3%");
    expect(times(4.2)).toBe("4×");
    expect(times(1.46)).toBe("1.5×");
    expect(countText(3, 3)).toBe("all 3");
    expect(countText(2, 3)).toBe("2 of 3");
    expect(plural(1, "epoch")).toBe("1 epoch");
    expect(plural(2, "epoch")).toBe("2 epochs");
  });
});

describe("the lines print through them", () => {
  it("compareFinal prints a tiny final loss in significant digits, not as 0.000 (its own copy printed three decimals)", () => {
    const a = run("memorized", [0.5, 0.01, 0.00042], [0.6, 0.5, 0.4]);
    const b = run("other", [0.5, 0.2, 0.1], [0.6, 0.5, 0.45]);
    expect(compareFinalLine(a, b, "loss")).toBe(
      "final training loss: memorized 0.00042, other 0.100; memorized ends below other.",
    );
  });

  it("checkRun says what was wrong in the one message shape, for every line", () => {
    expect(() => checkRun(null as never, "explain")).toThrow(
      "explain: run = null; expected a run ({ name, history }, what train() or trainSeeds() returns).",
    );
    expect(() => explainLine(42 as never)).toThrow("explainLine: run = 42; expected a run");
    expect(() => compareFinalLine(run("a", [1], [1]), { name: "b" } as never, "loss")).toThrow(
      "compareFinalLine: second run: run = an object; expected a run",
    );
    const ok = run("ok", [1], [1]);
    expect(checkRun(ok, "x")).toBe(ok);
  });
});
