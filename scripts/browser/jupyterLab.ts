/**
 * Driving JupyterLab 4 (and Notebook 7, built on it) as a reader does: open a notebook from the file
 * browser, menus (Run → Run All Cells, Kernel → Restart Kernel and Run All Cells…, File → Save), the
 * toolbar's stop button, typing into a cell; and reading what the page shows (prompts, outputs, the
 * Plotly charts and images drawn). The kernel's state comes from the server's REST API, never from the
 * page's internals. Every wait has a timeout whose message says what was awaited and what was seen.
 */
import { promises as fs } from "fs";
import * as path from "path";
import type { Locator, Page } from "playwright-core";

/** The notebook in front (JupyterLab keeps the others' panels hidden). */
export function activeNotebook(page: Page): Locator {
  return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
}

/** Waits for the application shell and its file browser listing. */
export async function waitForLab(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.locator(".jp-DirListing-item").first().waitFor({ state: "visible", timeout: timeoutMs });
}

/**
 * Double-clicks `name` in the file browser, picks the tslab kernel if JupyterLab asks, and waits until
 * the notebook shows with a kernel whose name is "TypeScript (tslab)".
 */
export async function openFromFileBrowser(page: Page, name: string, timeoutMs = 120_000): Promise<void> {
  const item = page
    .locator(".jp-DirListing-item", { has: page.locator(".jp-DirListing-itemText", { hasText: name }) })
    .first();
  await item.waitFor({ state: "visible", timeout: 30_000 }).catch(() => {
    throw new Error(`the file browser does not list ${name}`);
  });
  // A dialog left in front (a file changed on disk, unsaved work) would take the double-click.
  for (let tries = 0; ; tries++) {
    await dismissDialog(page);
    const opened = await item.dblclick({ timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (opened) break;
    if (tries >= 6) throw new Error(`could not double-click ${name} in the file browser (a dialog in front?)`);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dialog = page.locator(".jp-Dialog");
    if (await dialog.count()) {
      const select = dialog.locator("select");
      if (await select.count()) await select.selectOption({ label: "TypeScript (tslab)" });
      await dialog.locator(".jp-mod-accept").click();
    }
    const kernelName = (
      await activeNotebook(page)
        .locator(".jp-Toolbar-kernelName")
        .textContent()
        .catch(() => null)
    )?.trim();
    const title = await page
      .locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
      .first()
      .textContent()
      .catch(() => null);
    if (kernelName === "TypeScript (tslab)" && title?.includes(name)) return;
    if (Date.now() > deadline)
      throw new Error(
        `${name} did not open with the tslab kernel within ${timeoutMs / 1000} s (tab "${title}", kernel "${kernelName}")`,
      );
    await page.waitForTimeout(250);
  }
}

/** Collapses the left sidebar (clicks its open tab), so the notebook takes the window's width. */
export async function collapseLeftSidebar(page: Page): Promise<void> {
  const open = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current");
  if (await open.count()) await open.first().click();
  await page
    .locator("#jp-left-stack")
    .waitFor({ state: "hidden", timeout: 10_000 })
    .catch(() => {
      throw new Error("the left sidebar did not collapse");
    });
}

/**
 * Waits until each cell `index` of the notebook in front shows at least `charts` drawn charts (a
 * .js-plotly-plot with its SVG, shown). Throws naming the cells still short, with what they show.
 */
export async function waitForDrawnCharts(
  page: Page,
  wanted: { index: number; charts: number }[],
  timeoutMs: number,
): Promise<LabCell[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cells = await labCells(page);
    const missing = wanted.filter((w) => (cells[w.index]?.charts.length ?? 0) < w.charts);
    if (missing.length === 0) return cells;
    if (Date.now() > deadline) {
      const what = missing.map(
        (m) =>
          `cell ${m.index}: ${cells[m.index]?.charts.length ?? 0} of ${m.charts} drawn (shows "${(cells[m.index]?.text ?? "").slice(0, 120)}")`,
      );
      throw new Error(`charts not drawn within ${timeoutMs / 1000} s: ${what.join("; ")}`);
    }
    await page.waitForTimeout(250);
  }
}

/** Clicks a menu of the menu bar, then its item labelled exactly `item`. */
export async function menu(page: Page, menuLabel: string, item: string): Promise<void> {
  await page.locator(".lm-MenuBar-itemLabel", { hasText: new RegExp(`^${menuLabel}$`) }).click();
  const entry = page.locator(".lm-Menu-content .lm-Menu-item", {
    has: page.locator(".lm-Menu-itemLabel", {
      hasText: new RegExp(`^${item.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
    }),
  });
  await entry
    .first()
    .click({ timeout: 10_000 })
    .catch((error: Error) => {
      throw new Error(`no menu item ${menuLabel} → ${item}: ${error.message.split("\n")[0]}`);
    });
}

/**
 * JupyterLab settings for a test server (write them into JUPYTERLAB_SETTINGS_DIR): no news
 * notification asking to fetch from jupyter.org over the page.
 */
export const TEST_SETTINGS: Record<string, unknown> = {
  "@jupyterlab/apputils-extension/notification.jupyterlab-settings": { fetchNews: "false", checkForUpdates: false },
  // Every cell attached in order (the default, contentVisibility, attaches cells out of view later,
  // and the page's cells would not line up with the notebook's while it does).
  "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": { windowingMode: "none" },
};

/**
 * Answers a dialog left in front (e.g. "Save your work", "File Changed") the way that keeps the page's
 * work: Save or Overwrite when offered, else the dialog's default. Returns its title, or null.
 */
export async function dismissDialog(page: Page): Promise<string | null> {
  const dialog = page.locator(".jp-Dialog");
  if ((await dialog.count()) === 0) return null;
  const title =
    (await dialog
      .first()
      .locator(".jp-Dialog-header")
      .textContent()
      .catch(() => "")) ?? "";
  const keep = dialog.first().locator("button.jp-mod-accept", { hasText: /^(Save|Overwrite)$/ });
  if (await keep.count()) await keep.first().click();
  else await dialog.first().locator("button.jp-mod-accept").last().click();
  return title.trim();
}

/**
 * The environment for a JupyterLab of the harness's own: its config, settings and workspaces folders
 * under `dir` (nothing of the user's read or written) and TEST_SETTINGS. (Whether plotly's
 * extension is on is startJupyter's `plotlyExtension`, as for npm start.)
 */
export async function labEnv(
  base: NodeJS.ProcessEnv,
  dir: string,
  options: { settings?: Record<string, unknown> } = {},
): Promise<NodeJS.ProcessEnv> {
  const config = path.join(dir, "config");
  const settings = path.join(dir, "settings");
  const workspaces = path.join(dir, "workspaces");
  for (const folder of [config, settings, workspaces]) await fs.mkdir(folder, { recursive: true });
  for (const [file, value] of Object.entries({ ...TEST_SETTINGS, ...options.settings })) {
    await fs.mkdir(path.dirname(path.join(settings, file)), { recursive: true });
    await fs.writeFile(path.join(settings, file), JSON.stringify(value));
  }
  return {
    ...base,
    JUPYTER_CONFIG_DIR: config,
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTERLAB_WORKSPACES_DIR: workspaces,
  };
}

/** Accepts the dialog in front (e.g. "Restart" of Restart Kernel and Run All Cells…). */
export async function acceptDialog(page: Page, timeoutMs = 30_000): Promise<void> {
  const button = page.locator(".jp-Dialog .jp-mod-accept");
  await button.waitFor({ state: "visible", timeout: timeoutMs });
  await button.click();
}

/** The toolbar's stop button (Interrupt the kernel). */
export async function clickStop(page: Page): Promise<void> {
  await activeNotebook(page).locator('[data-jp-item-name="interrupt"]').locator("button, jp-button").first().click();
}

/** The toolbar's save button; resolves when the server stored the notebook. */
export async function save(page: Page): Promise<void> {
  const stored = page.waitForResponse((r) => r.request().method() === "PUT" && /\/api\/contents\//.test(r.url()), {
    timeout: 60_000,
  });
  await activeNotebook(page).locator('[data-jp-item-name="save"]').locator("button, jp-button").first().click();
  const response = await stored;
  if (!response.ok()) throw new Error(`saving failed: HTTP ${response.status()} ${await response.text()}`);
}

/** Closes the notebook in front (its tab's close icon); its kernel keeps running, as in JupyterLab. */
export async function closeNotebook(page: Page): Promise<void> {
  await page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").first().click();
  // A notebook changed since its last save asks "Save your work": save it.
  const dialog = page.locator(".jp-Dialog");
  if (
    await dialog.waitFor({ state: "visible", timeout: 2_000 }).then(
      () => true,
      () => false,
    )
  ) {
    await dialog.locator("button.jp-mod-accept", { hasText: /^Save$/ }).click();
  }
}

/** Clicks code cell `index` (0-based among all cells) so it is the selected one. */
export async function selectCell(page: Page, index: number): Promise<void> {
  await activeNotebook(page).locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt").click();
}

/** Replaces the source of cell `index` by typing into its editor (select all, then the new text). */
export async function typeIntoCell(page: Page, index: number, source: string): Promise<void> {
  const editor = activeNotebook(page).locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content");
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(source);
  await page.keyboard.press("Escape");
}

export interface LabCell {
  /** 0-based among all cells. */
  index: number;
  type: "code" | "markdown" | "raw";
  /** "[3]:", "[*]:", "[ ]:" as shown. */
  prompt: string;
  /** Plotly charts drawn and shown (.js-plotly-plot holding a visible SVG), each as its trace count. */
  charts: number[];
  /** A signature of each chart's data (points per trace): changes when a live figure redraws. */
  chartPoints: string;
  /** Images that loaded in the outputs. */
  images: number;
  stderr: string;
  /** The outputs' text as shown (script bodies left out: the plotly.js loader is 4.6 MB of it). */
  text: string;
  /**
   * The titles of the charts this cell showed while its prompt was [*], in the order seen (each
   * distinct title once), as recordRunningCharts's sampler saw them; empty without the recorder.
   */
  runningCharts: string[];
}

/**
 * Starts a sampler in the page (every 100 ms, idempotent) that keeps, on each code cell's element,
 * the titles of the charts drawn in it while it shows [*]: a live figure's title names its epoch,
 * so its redraws while training are counted without polling through the test's slower calls.
 */
export async function recordRunningCharts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __fitlabSampler?: number };
    if (w.__fitlabSampler) return;
    w.__fitlabSampler = window.setInterval(() => {
      document.querySelectorAll(".jp-NotebookPanel .jp-Notebook .jp-CodeCell").forEach((element) => {
        const cell = element as unknown as { __fitlabRunning?: string[]; __fitlabWasRunning?: boolean };
        const running = (element.querySelector(".jp-InputPrompt")?.textContent ?? "").includes("*");
        // A new run of the cell starts a new list.
        if (running && !cell.__fitlabWasRunning) cell.__fitlabRunning = [];
        cell.__fitlabWasRunning = running;
        if (!running) return;
        const seen = (cell.__fitlabRunning ??= []);
        element.querySelectorAll(".jp-OutputArea .js-plotly-plot").forEach((gd) => {
          const layout = (gd as unknown as { layout?: { title?: { text?: string } | string } }).layout;
          const title = typeof layout?.title === "string" ? layout.title : layout?.title?.text;
          if (gd.querySelector("svg.main-svg") && title && !seen.includes(title)) seen.push(title);
        });
      });
    }, 100);
  });
}

/** Every cell of the notebook in front, as the page shows it. */
export function labCells(page: Page): Promise<LabCell[]> {
  return activeNotebook(page).evaluate((panel) =>
    Array.from(panel.querySelectorAll(".jp-Notebook .jp-Cell")).map((cell, index) => {
      // plotly's JupyterLab renderer keeps a drawn chart hidden while it shows a stored PNG instead.
      const charts = Array.from(cell.querySelectorAll(".jp-OutputArea .js-plotly-plot")).filter(
        (gd) =>
          gd.querySelector("svg.main-svg") &&
          (gd.querySelector(".plot-container") as HTMLElement | null)?.style.display !== "none",
      );
      const data = (gd: Element) => (gd as unknown as { data?: { y?: unknown[] }[] }).data ?? [];
      return {
        index,
        type: cell.classList.contains("jp-CodeCell")
          ? "code"
          : cell.classList.contains("jp-MarkdownCell")
            ? "markdown"
            : "raw",
        prompt: (cell.querySelector(".jp-InputPrompt")?.textContent ?? "").trim(),
        charts: charts.map((gd) => data(gd).length),
        chartPoints: charts
          .map((gd) =>
            data(gd)
              .map((t) => (t.y ?? []).filter((v) => typeof v === "number" && Number.isFinite(v)).length)
              .join(","),
          )
          .join("|"),
        images: Array.from(cell.querySelectorAll(".jp-OutputArea img")).filter(
          (img) =>
            (img as HTMLImageElement).complete &&
            (img as HTMLImageElement).naturalWidth > 0 &&
            (img as HTMLElement).style.display !== "none",
        ).length,
        stderr: Array.from(
          cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'),
        )
          .map((e) => e.textContent ?? "")
          .join("\n"),
        text: (() => {
          const area = cell.querySelector(".jp-OutputArea");
          if (!area) return "";
          const parts: string[] = [];
          const walker = document.createTreeWalker(area, NodeFilter.SHOW_TEXT, {
            acceptNode: (n) =>
              n.parentElement?.closest("script") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
          });
          for (let n = walker.nextNode(); n; n = walker.nextNode()) parts.push(n.textContent ?? "");
          return parts.join("").replace(/\s+/g, " ").trim();
        })(),
        runningCharts: [...((cell as unknown as { __fitlabRunning?: string[] }).__fitlabRunning ?? [])],
      } as LabCell;
    }),
  );
}

/** The kernel state of the notebook `path` (relative to the served folder), from the server. */
export async function kernelState(api: (p: string) => Promise<Response>, path: string): Promise<string> {
  const sessions = (await (await api("/api/sessions")).json()) as {
    path: string;
    kernel?: { execution_state?: string };
  }[];
  return sessions.find((s) => s.path === path || s.path.endsWith(`/${path}`))?.kernel?.execution_state ?? "no session";
}

/**
 * Waits until no code cell shows [*] and the server reports the notebook's kernel idle. `onPoll` sees
 * the cells each time (the live-figure check samples them). Throws with the busy cells on timeout.
 */
export async function waitUntilIdle(
  page: Page,
  api: (p: string) => Promise<Response>,
  path: string,
  timeoutMs: number,
  onPoll?: (cells: LabCell[]) => void,
): Promise<LabCell[]> {
  const deadline = Date.now() + timeoutMs;
  let idleSince = 0;
  for (;;) {
    const cells = await labCells(page);
    onPoll?.(cells);
    const busy = cells.filter((c) => c.type === "code" && c.prompt.includes("*"));
    const state = await kernelState(api, path);
    if (state === "dead") throw new Error(`the kernel of ${path} died`);
    if (busy.length === 0 && state === "idle") {
      // Idle twice in a row, half a second apart: Run All queues cells faster than that.
      if (idleSince && Date.now() - idleSince >= 500) return cells;
      idleSince ||= Date.now();
    } else idleSince = 0;
    if (Date.now() > deadline) {
      throw new Error(
        `${path} still busy after ${timeoutMs / 1000} s (kernel ${state}; cells ${busy.map((c) => c.index).join(", ") || "none"} show [*])`,
      );
    }
    await page.waitForTimeout(200);
  }
}
