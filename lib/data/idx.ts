/**
 * Reads IDX files, the format MNIST and Fashion-MNIST ship in (http://yann.lecun.com/exdb/mnist/):
 * a 4-byte magic number `00 00 <dtype> <ndim>`, then `ndim` big-endian uint32 sizes, then the
 * values row-major. Only unsigned bytes (dtype 0x08) are supported: that is what every MNIST-style
 * file holds. Files may be plain or gzip-compressed; gzip is detected by its magic bytes (1f 8b),
 * not by the file name, because downloads get renamed.
 */
import * as fs from "fs";
import * as zlib from "zlib";

export interface IdxArray {
  /** Sizes of each dimension from the header, e.g. [60000, 28, 28] for MNIST training images. */
  shape: number[];
  /** shape.reduce(×) unsigned bytes, row-major. */
  data: Uint8Array;
}

/** What the caller expects, so errors can say "expected 0x00000803 (images)". */
export interface IdxExpectation {
  /** Number of dimensions, e.g. 3 for images [n, rows, cols], 1 for labels [n]. */
  ndim: number;
  /** A word for the error message, e.g. "images" or "labels". */
  kind: string;
}

const UBYTE = 0x08;
const DTYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

const hex = (value: number, digits: number): string => "0x" + value.toString(16).padStart(digits, "0");

function expectedMagic(expected: IdxExpectation | undefined): string {
  if (!expected) return "0x000008NN (IDX unsigned bytes, NN dimensions)";
  return `${hex((UBYTE << 8) | expected.ndim, 8)} (IDX unsigned-byte ${expected.kind}, ${expected.ndim} dimension${expected.ndim === 1 ? "" : "s"})`;
}

/** The file's bytes, gunzipped when they start with the gzip magic 1f 8b. */
function readBytes(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`IDX file not found: ${file}`);
    throw new Error(`Cannot read IDX file ${file}: ${(err as Error).message}`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return zlib.gunzipSync(raw);
    } catch (err) {
      throw new Error(
        `${file}: starts with the gzip magic bytes 1f 8b but does not decompress (${(err as Error).message}); ` +
          `the file is probably truncated or corrupt: download it again.`,
      );
    }
  }
  return raw;
}

/**
 * Reads an IDX unsigned-byte file (plain or gzip). Returns its shape and a row-major Uint8Array.
 * Throws, naming the file and what was expected, on a bad magic number, an unsupported dtype,
 * a dimension count other than `expected.ndim`, or a size that does not match the header.
 */
export function readIdx(file: string, expected?: IdxExpectation): IdxArray {
  const bytes = readBytes(file);
  if (bytes.length < 4) {
    throw new Error(
      `${file}: truncated: expected at least 4 bytes (the IDX magic number ${expectedMagic(expected)}), got ${bytes.length}.`,
    );
  }
  const magic = bytes.readUInt32BE(0);
  const dtype = bytes[2];
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${file}: bad magic number ${hex(magic, 8)}: expected ${expectedMagic(expected)}. Is this an IDX file?`,
    );
  }
  if (dtype !== UBYTE) {
    const name = DTYPE_NAMES[dtype] ?? "unknown";
    throw new Error(
      `${file}: unsupported IDX dtype ${hex(dtype, 2)} (${name}) in magic number ${hex(magic, 8)}: ` +
        `only unsigned bytes (0x08) are supported; expected ${expectedMagic(expected)}.`,
    );
  }
  if (ndim === 0 || (expected && ndim !== expected.ndim)) {
    throw new Error(
      `${file}: magic number ${hex(magic, 8)} says ${ndim} dimension${ndim === 1 ? "" : "s"}: expected ${expectedMagic(expected)}. ` +
        `Are the images and labels files swapped?`,
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${file}: truncated header: expected ${headerBytes} bytes for ${ndim} dimension sizes, got ${bytes.length}.`,
    );
  }
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(bytes.readUInt32BE(4 + 4 * d));
  const count = shape.reduce((a, b) => a * b, 1);
  const expectedBytes = headerBytes + count;
  if (bytes.length < expectedBytes) {
    throw new Error(
      `${file}: truncated: the header says shape [${shape.join(", ")}], so expected ${expectedBytes} bytes, got ${bytes.length}. Download it again.`,
    );
  }
  if (bytes.length > expectedBytes) {
    throw new Error(
      `${file}: ${bytes.length - expectedBytes} unexpected bytes after the data: the header says shape [${shape.join(", ")}], ` +
        `so expected ${expectedBytes} bytes, got ${bytes.length}.`,
    );
  }
  return { shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) };
}

/** Encodes an unsigned-byte IDX file (the inverse of readIdx); used to write test fixtures. */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new Error(`encodeIdx: shape [${shape.join(", ")}] needs ${count} values, got ${data.length}.`);
  }
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = UBYTE;
  header[3] = shape.length;
  shape.forEach((size, d) => header.writeUInt32BE(size, 4 + 4 * d));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
