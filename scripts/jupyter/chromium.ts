/**
 * Where fitlab finds a browser: Debian's Chromium (`apt-get install chromium`), or the one named by
 * FITLAB_CHROMIUM; never a downloaded one. The browser tests, `npm run screenshot` and the runner's
 * static images all use this rule, so a machine that passes the browser tests gets static images.
 */
import { accessSync, constants } from "fs";

/** The Chromium executable fitlab drives. */
export const CHROMIUM = process.env.FITLAB_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-gpu",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Containers often give /dev/shm only 64 MB, where Chromium crashes on big pages.
  "--disable-dev-shm-usage",
];

/** Why CHROMIUM cannot run (e.g. "ENOENT: no such file…"), or null when it is there and executable. */
export function chromiumProblem(): string | null {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
