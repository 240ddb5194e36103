// Takes the screenshot of an HTML report for docs/ (not a test):
//   node bin/run-ts.js test/report/screenshot.ts report.html docs/report-screenshot.png [heightPx]
// The top of the page (figures, charts, stage table) at a laptop's width.
import { resolve } from "node:path";
import { chromiumMissing, launchChromium, openReport } from "./browser.ts";

const [input, output, height = "1750"] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write("usage: node bin/run-ts.js test/report/screenshot.ts REPORT.html OUT.png [HEIGHT]\n");
  process.exit(2);
}
const missing = chromiumMissing();
if (missing) {
  process.stderr.write(`cannot take the screenshot: ${missing}\n`);
  process.exit(2);
}
const browser = await launchChromium();
const { page, errors } = await openReport(browser, resolve(input), { width: 1360, height: Number(height) });
if (errors.length) process.stderr.write(`the page logged errors:\n${errors.join("\n")}\n`);
await page.screenshot({ path: output, fullPage: false });
await browser.close();
process.stdout.write(`wrote ${output}\n`);
