import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeFileAtomic, writeFileAtomicSync } from "../lib/system/atomicWrite";

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fitlab-${prefix}-`));
}

describe("writeFileAtomic (async)", () => {
  it("replaces the target whole, creates its folder and leaves no temporary file", async () => {
    const dir = tmpDir("atomic");
    const file = path.join(dir, "sub", "a.html");
    await writeFileAtomic(file, "old");
    await writeFileAtomic(file, "new ✓");
    expect(fs.readFileSync(file, "utf8")).toBe("new ✓");
    expect(fs.readdirSync(path.dirname(file))).toEqual(["a.html"]);
    await writeFileAtomic(file, Buffer.from([1, 2, 3]), { fsync: false });
    expect([...fs.readFileSync(file)]).toEqual([1, 2, 3]);
  });

  it("leaves the existing file untouched and no temporary file when the write fails", async () => {
    const dir = tmpDir("atomic-fail");
    const target = path.join(dir, "report.html");
    fs.mkdirSync(target); // renaming a file over a directory fails
    fs.writeFileSync(path.join(target, "keep"), "x");
    await expect(writeFileAtomic(target, "<html>")).rejects.toThrow();
    expect(fs.readdirSync(dir)).toEqual(["report.html"]);
    expect(fs.readdirSync(target)).toEqual(["keep"]);
  });
});

describe("writeFileAtomicSync", () => {
  it("writes byte chunks in order, a string as UTF-8, with or without fsync, and leaves no temporary file", () => {
    const dir = tmpDir("atomic-sync");
    const file = path.join(dir, "corpus.bin");
    writeFileAtomicSync(file, [Buffer.from("ab"), new Uint8Array([0, 255]), Buffer.alloc(0), Buffer.from("z")]);
    expect([...fs.readFileSync(file)]).toEqual([97, 98, 0, 255, 122]);
    writeFileAtomicSync(file, "é", { fsync: false });
    expect(fs.readFileSync(file, "utf8")).toBe("é");
    expect(fs.readdirSync(dir)).toEqual(["corpus.bin"]);
  });

  it("leaves the existing file untouched and no temporary file when the write fails", () => {
    const dir = tmpDir("atomic-sync-fail");
    const target = path.join(dir, "entry.json");
    fs.mkdirSync(target);
    expect(() => writeFileAtomicSync(target, "{}")).toThrow();
    expect(fs.readdirSync(dir)).toEqual(["entry.json"]);
    expect(fs.statSync(target).isDirectory()).toBe(true);
  });
});
