import { flattenImages, toDenseMatrix, vectorizeSequences } from "../lib/data/vectorize";
import { multiHotLine } from "../lib/reading/data";
import { createRng } from "../lib/system/random";

describe("vectorizeSequences", () => {
  it("gives each row's sorted unique ids, and the article's dense 0/1 matrix (hand-computed)", () => {
    const multiHot = vectorizeSequences([[1, 3, 3, 0], [2], []], 4);
    expect(multiHot.kind).toBe("multihot");
    expect([multiHot.rows, multiHot.cols]).toEqual([3, 4]);
    expect(multiHot.ids.map((row) => Array.from(row))).toEqual([[0, 1, 3], [2], []]);
    const dense = toDenseMatrix(multiHot);
    expect([dense.kind, dense.rows, dense.cols]).toEqual(["dense", 3, 4]);
    expect(Array.from(dense.data)).toEqual([1, 1, 0, 1, /**/ 0, 0, 1, 0, /**/ 0, 0, 0, 0]);
  });

  it("equals numpy's results[i, sequence] = 1 on random Keras-like sequences", () => {
    const rng = createRng(5);
    const random = (): number => rng.next();
    const dimension = 50;
    const sequences = Array.from({ length: 40 }, () =>
      Array.from({ length: Math.floor(random() * 30) }, () => Math.floor(random() * dimension)),
    );
    const expected = new Float32Array(40 * dimension);
    sequences.forEach((sequence, i) => sequence.forEach((id) => (expected[i * dimension + id] = 1)));
    expect(toDenseMatrix(vectorizeSequences(sequences, dimension)).data).toEqual(expected);
  });

  it("defaults to the lesson's 10,000 columns", () => {
    expect(vectorizeSequences([[1, 9999]]).cols).toBe(10000);
  });

  it.each([
    [
      [
        [1, 2],
        [3, 10],
      ],
      /row 1, position 1 holds id 10, outside 0\.\.9: load the data with numWords <= 10/,
    ],
    [[[-1]], /row 0, position 0 holds id -1, outside 0\.\.9/],
    [[[0, 1.5]], /row 0, position 1 holds id 1\.5, outside 0\.\.9/],
  ])("throws on an id outside the vocabulary %p", (sequences, message) => {
    expect(() => vectorizeSequences(sequences, 10)).toThrow(message);
  });

  it("throws on a dimension that is not a positive integer", () => {
    expect(() => vectorizeSequences([[1]], 0)).toThrow(
      /vectorizeSequences: dimension = 0; it must be an integer in 1\.\.10000000/,
    );
    expect(() => vectorizeSequences([[1]], NaN)).toThrow(/dimension = NaN; it must be an integer in 1\.\.10000000/);
  });

  it('refuses a dimension too large to allocate, naming it (not "Invalid typed array length")', () => {
    expect(() => vectorizeSequences([[1]], 1e12)).toThrow(
      /vectorizeSequences: dimension = 1000000000000; it must be an integer in 1\.\.10000000 \(the vocabulary size/,
    );
  });
});

describe("toDenseMatrix", () => {
  it("returns a dense matrix unchanged", () => {
    const dense = { kind: "dense" as const, rows: 1, cols: 2, data: Float32Array.of(0.5, 1) };
    expect(toDenseMatrix(dense)).toBe(dense);
  });
});

describe("flattenImages", () => {
  it("reshapes [count, rows, cols] to [count, rows × cols] and divides by 255", () => {
    const flat = flattenImages({ images: Uint8Array.of(0, 51, 255, 102), count: 2, rows: 1, cols: 2 });
    expect([flat.kind, flat.rows, flat.cols]).toEqual(["dense", 2, 2]);
    expect(Array.from(flat.data)).toEqual([0, 0.2, 1, 0.4].map(Math.fround));
  });

  it("throws when the pixels do not make the stated images, or on a bad scale", () => {
    expect(() => flattenImages({ images: new Uint8Array(5), count: 2, rows: 1, cols: 2 })).toThrow(
      /5 pixels do not make 2 images of 1 × 2/,
    );
    expect(() => flattenImages({ images: new Uint8Array(4), count: 2, rows: 1, cols: 2 }, 0)).toThrow(
      /flattenImages: scale = 0; it must be a positive number/,
    );
    expect(() => flattenImages({ images: new Uint8Array(4), count: 2, rows: 1, cols: 2 }, NaN)).toThrow(
      /flattenImages: scale = NaN; it must be a positive number/,
    );
  });
});

describe("multiHotLine", () => {
  it("says the matrix's size, its distinct words per row on average and their share of the columns", () => {
    const x = vectorizeSequences(
      [
        [1, 2, 3, 3],
        [4, 5],
        [6, 7, 8, 9, 1, 1],
      ],
      10,
    );
    // Distinct ids per row: 3, 2, 5 → 10 / 3 = 3.33 per row, 33.33% of 10 columns.
    expect(multiHotLine(x)).toBe(
      "3 × 10 multi-hot matrix: 3 distinct words per review on average, 33.33% of the columns",
    );
  });
});
