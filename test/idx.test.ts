import * as fs from "fs";
import * as zlib from "zlib";
import { encodeIdx, readIdx } from "../lib/data/idx";
import { tempDir, writeFile } from "./fixtures/idx";

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("readIdx", () => {
  let dir: string;
  const shape = [3, 2, 4];
  const data = Uint8Array.from({ length: 24 }, (_, i) => (i * 11) % 256);

  beforeAll(() => {
    dir = tempDir("idx");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads a plain IDX file: shape from the header, bytes row-major", () => {
    const file = writeFile(dir, "plain-idx3-ubyte", encodeIdx(shape, data));
    const result = readIdx(file);
    expect(result.shape).toEqual([3, 2, 4]);
    expect(Array.from(result.data)).toEqual(Array.from(data));
  });

  it("reads a gzip IDX file detected by its magic bytes, whatever its name", () => {
    const file = writeFile(dir, "no-gz-suffix-idx3-ubyte", zlib.gzipSync(encodeIdx(shape, data)));
    expect(fs.readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const result = readIdx(file, { ndim: 3, kind: "images" });
    expect(result.shape).toEqual([3, 2, 4]);
    expect(Array.from(result.data)).toEqual(Array.from(data));
  });

  it("reads a one-dimensional labels file", () => {
    const file = writeFile(dir, "labels-idx1-ubyte", encodeIdx([5], Uint8Array.of(5, 0, 4, 1, 9)));
    expect(readIdx(file, { ndim: 1, kind: "labels" })).toEqual({ shape: [5], data: Uint8Array.of(5, 0, 4, 1, 9) });
  });

  it("throws naming the file when it does not exist", () => {
    expect(() => readIdx(`${dir}/absent-idx1-ubyte`)).toThrow(
      new RegExp(`IDX file not found: ${escape(dir)}/absent-idx1-ubyte`),
    );
  });

  it("throws on a bad magic number, naming the file and the expected magic", () => {
    const file = writeFile(dir, "zip-idx3-ubyte", Buffer.from("PK\u0003\u0004 not an idx file"));
    expect(() => readIdx(file, { ndim: 3, kind: "images" })).toThrow(
      new RegExp(
        `${escape(file)}: bad magic number 0x504b0304: expected 0x00000803 \\(IDX unsigned-byte images, 3 dimensions\\)`,
      ),
    );
  });

  it("throws on images and labels swapped: the magic names the wrong dimension count", () => {
    const file = writeFile(dir, "swapped-idx1-ubyte", encodeIdx(shape, data));
    expect(() => readIdx(file, { ndim: 1, kind: "labels" })).toThrow(
      new RegExp(
        `${escape(file)}: magic number 0x00000803 says 3 dimensions: expected 0x00000801 \\(IDX unsigned-byte labels, 1 dimension\\)`,
      ),
    );
  });

  it("throws on an unsupported dtype (float32 IDX)", () => {
    const bytes = encodeIdx([2], Uint8Array.of(1, 2));
    bytes[2] = 0x0d;
    const file = writeFile(dir, "float-idx1", bytes);
    expect(() => readIdx(file)).toThrow(
      new RegExp(`${escape(file)}: unsupported IDX dtype 0x0d \\(float32\\).*only unsigned bytes \\(0x08\\)`),
    );
  });

  it("throws on a truncated file, with the expected and actual byte counts", () => {
    const full = encodeIdx(shape, data); // 4 + 12 header bytes + 24 values = 40
    const file = writeFile(dir, "truncated-idx3-ubyte", full.subarray(0, 30));
    expect(() => readIdx(file)).toThrow(
      new RegExp(`${escape(file)}: truncated: .*shape \\[3, 2, 4\\], so expected 40 bytes, got 30`),
    );
  });

  it("throws on a truncated gzip file", () => {
    const gz = zlib.gzipSync(encodeIdx(shape, data));
    const file = writeFile(dir, "cut.gz", gz.subarray(0, gz.length - 10));
    expect(() => readIdx(file)).toThrow(
      new RegExp(`${escape(file)}: starts with the gzip magic bytes 1f 8b but does not decompress`),
    );
  });

  it("throws on a truncated header and on a file too short for a magic number", () => {
    const header = writeFile(dir, "header-idx3-ubyte", encodeIdx(shape, data).subarray(0, 9));
    expect(() => readIdx(header)).toThrow(
      new RegExp(`${escape(header)}: truncated header: expected 16 bytes for 3 dimension sizes, got 9`),
    );
    const tiny = writeFile(dir, "tiny", Uint8Array.of(0, 0));
    expect(() => readIdx(tiny)).toThrow(new RegExp(`${escape(tiny)}: truncated: expected at least 4 bytes`));
  });

  it("throws on bytes after the data", () => {
    const file = writeFile(dir, "long-idx3-ubyte", Buffer.concat([encodeIdx(shape, data), Buffer.from([1, 2])]));
    expect(() => readIdx(file)).toThrow(
      new RegExp(`${escape(file)}: 2 unexpected bytes after the data.*expected 40 bytes, got 42`),
    );
  });
});
