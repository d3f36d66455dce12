/**
 * The static-image cache: a figure drawn once is not drawn again (a cached re-run of the lesson
 * starts no browser), a changed figure is drawn afresh, and a damaged cache file is redrawn and
 * repaired. Draws with plotly.js in Chromium, as `npm run lesson` does.
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { PLOTLY_MIME } from "../lib/notebook/mime";
import { requirePrerequisites } from "../scripts/browser/prerequisites";
import type { Notebook } from "../scripts/jupyter/notebook";
import { checkPng, createStaticImager, imageKey, IMAGE_SCALE, IMAGE_WIDTH } from "../scripts/jupyter/staticImages";

function figure(title: string): Record<string, unknown> {
  return {
    data: [{ type: "scatter", mode: "lines", x: [1, 2, 3, 4], y: [0.7, 0.4, 0.35, 0.5], name: "val_loss" }],
    layout: { title: { text: title }, height: 300 },
  };
}

function notebookWith(spec: Record<string, unknown>): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        cell_type: "code",
        id: "c1",
        metadata: {},
        source: "show(figure)",
        execution_count: 1,
        outputs: [
          { output_type: "display_data", metadata: {}, data: { [PLOTLY_MIME]: spec, "text/plain": "a figure" } },
        ],
      },
    ],
  } as unknown as Notebook;
}

function pngOf(nb: Notebook): string {
  const cell = nb.cells[0] as unknown as { outputs: { data: Record<string, unknown> }[] };
  return cell.outputs[0].data["image/png"] as string;
}

describe("static images are drawn once and then come from the image cache", () => {
  let dir: string;
  const lines: string[] = [];
  const options = () => ({
    cacheDir: dir,
    log: (l: string) => lines.push(l),
    warn: (l: string) => lines.push(`WARN ${l}`),
  });

  beforeAll(async () => {
    requirePrerequisites(["chromium"]);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "fitlab-images-"));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("draws a new figure, keeps its PNG, and the next run reuses it without drawing", async () => {
    const first = createStaticImager(options());
    const nb1 = notebookWith(figure("validation loss"));
    const drawn = await first.addTo(nb1);
    await first.close();
    expect(drawn).toMatchObject({ figures: 1, cached: 0 });
    const key = imageKey(figure("validation loss"), { width: IMAGE_WIDTH, height: 300 }, IMAGE_SCALE);
    const file = await fs.readFile(path.join(dir, `${key}.png`));
    expect(file.toString("base64")).toBe(pngOf(nb1));

    const second = createStaticImager(options());
    const nb2 = notebookWith(figure("validation loss"));
    const reused = await second.addTo(nb2);
    await second.close();
    expect(reused).toMatchObject({ figures: 1, cached: 1 });
    expect(pngOf(nb2)).toBe(pngOf(nb1));
    expect(lines.some((l) => /all from the image cache/.test(l))).toBe(true);
  }, 60_000);

  it("draws a figure whose data changed, and redraws (and repairs) a damaged cache file", async () => {
    const imager = createStaticImager(options());
    const changed = await imager.addTo(notebookWith(figure("validation loss, seed 2")));
    expect(changed).toMatchObject({ figures: 1, cached: 0 });

    const key = imageKey(figure("validation loss"), { width: IMAGE_WIDTH, height: 300 }, IMAGE_SCALE);
    const file = path.join(dir, `${key}.png`);
    const good = await fs.readFile(file);
    await fs.writeFile(file, good.subarray(0, 4)); // truncated: not a PNG any more
    const nb = notebookWith(figure("validation loss"));
    const redrawn = await imager.addTo(nb);
    await imager.close();
    expect(redrawn).toMatchObject({ figures: 1, cached: 0 });
    expect(Buffer.from(pngOf(nb), "base64").subarray(1, 4).toString()).toBe("PNG");
    expect((await fs.readFile(file)).length).toBeGreaterThan(1000);
    expect(lines.filter((l) => l.startsWith("WARN"))).toEqual([]);
  }, 60_000);

  it("detects a cached image that is a PNG signature followed by garbage, says so, redraws and repairs it", async () => {
    const key = imageKey(figure("validation loss"), { width: IMAGE_WIDTH, height: 300 }, IMAGE_SCALE);
    const file = path.join(dir, `${key}.png`);
    const good = await fs.readFile(file);
    expect(checkPng(good, { width: IMAGE_WIDTH * IMAGE_SCALE, height: 300 * IMAGE_SCALE })).toBeNull();
    await fs.writeFile(file, Buffer.concat([good.subarray(0, 8), Buffer.from("garbage ".repeat(4000))]));
    const imager = createStaticImager(options());
    const nb = notebookWith(figure("validation loss"));
    const stats = await imager.addTo(nb);
    await imager.close();
    expect(stats).toMatchObject({ figures: 1, cached: 0 });
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^  static images: ${key}\\.png in the image cache is damaged \\(chunk 0 at byte 8 has no valid type\\); drawing it again$`,
        ),
      ),
    );
    expect(Buffer.from(pngOf(nb), "base64").equals(good)).toBe(true); // plotly draws the same pixels again
    expect((await fs.readFile(file)).equals(good)).toBe(true);
  }, 60_000);

  it("with cacheDir null keeps nothing", async () => {
    const before = (await fs.readdir(dir)).length;
    const imager = createStaticImager({ ...options(), cacheDir: null });
    const stats = await imager.addTo(notebookWith(figure("not kept")));
    await imager.close();
    expect(stats).toMatchObject({ figures: 1, cached: 0 });
    expect((await fs.readdir(dir)).length).toBe(before);
  }, 60_000);
});

describe("checkPng", () => {
  /** A whole 1×1 PNG: signature, IHDR, IDAT, IEND (written by Python's zlib and struct, CRCs included). */
  const ONE_PIXEL = Buffer.from(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f00050001ff56c72f0d0000000049454e44ae426082",
    "hex",
  );

  it("accepts a whole PNG of the size asked for", () => {
    expect(checkPng(ONE_PIXEL)).toBeNull();
    expect(checkPng(ONE_PIXEL, { width: 1, height: 1 })).toBeNull();
  });

  it.each([
    ["no signature", () => Buffer.from("GIF89a garbage"), "no PNG signature"],
    [
      "a signature followed by garbage",
      () => Buffer.concat([ONE_PIXEL.subarray(0, 8), Buffer.from("garbage garbage garbage")]),
      "chunk 0 at byte 8 has no valid type",
    ],
    [
      "a flipped bit in the image data",
      () => Buffer.from(ONE_PIXEL.map((b, i) => (i === 50 ? b ^ 1 : b))),
      "chunk IDAT at byte 33 fails its CRC",
    ],
    ["a truncated file", () => ONE_PIXEL.subarray(0, 50), "chunk IDAT at byte 33 runs past the end of the file"],
    ["bytes after IEND", () => Buffer.concat([ONE_PIXEL, Buffer.from("x")]), "1 bytes after IEND"],
  ])("refuses %s", (_what, bytes, reason) => {
    expect(checkPng(bytes())).toBe(reason);
  });

  it("refuses an image of another size (another figure's picture under this key)", () => {
    expect(checkPng(ONE_PIXEL, { width: 1800, height: 600 })).toBe("1×1 pixels where 1800×600 were drawn");
  });
});
