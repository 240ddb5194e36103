// Opens a report page in Debian's chromium through playwright-core (which never
// downloads a browser of its own), recording console errors, page errors and
// any request that would leave the file. Used by the browser test and by the
// screenshot script for docs/.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Why the browser test cannot run here, or undefined when it can.
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is not installed (bash .ci/install-tools.sh installs Debian's chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface OpenedPage {
  readonly page: Page;
  // Console errors and uncaught exceptions, in order.
  readonly errors: string[];
  // Requests to anything but the file itself (a self-contained page makes none).
  readonly outsideRequests: string[];
}

export async function openReport(browser: Browser, file: string, viewport = { width: 1360, height: 900 }): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const errors: string[] = [];
  const outsideRequests: string[] = [];
  const url = `file://${file}`;
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (r.url() !== url && !r.url().startsWith("data:")) outsideRequests.push(r.url());
  });
  await page.goto(url);
  await page.waitForSelector("html[data-charts=ready]", { timeout: 15_000 });
  return { page, errors, outsideRequests };
}
