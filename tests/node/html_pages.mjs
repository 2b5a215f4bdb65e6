// Opens gameday's HTML pages (report.html, the CI dashboard, history trends) in Debian's headless
// Chromium through puppeteer-core (no browser download) and prints, per page, what rendered.
//
//   node html_pages.mjs MANIFEST.json
//
// MANIFEST: {"pages": [{"file": "/abs/report.html", "kind": "report" | "dashboard" | "trend",
//             "screenshot": "/abs/shot.png" (optional), "print_pdf": "/abs/out.pdf" (optional)}]}
// Every request other than the page's own file is recorded and aborted: the pages must not use
// the network. Prints one JSON object: {"pages": [{file, kind, load_ms, rendered, error,
// console_errors, page_errors, requests, ...facts of its kind}]}.
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";

const manifest = JSON.parse(readFileSync(process.argv[2], "utf8"));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "gameday-chromium-"));

const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  userDataDir: profile,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
         "--disable-crash-reporter", "--disable-extensions", "--disable-background-networking"],
});

// What the page shows, read in the page.
function facts(kind) {
  const out = { kind };
  const charts = (window.GD && window.GD.charts) || [];
  out.charts = charts.length;
  // A chart has data when its x values and at least one other series hold a number.
  out.charts_with_data = charts.filter((c) => c.data[0].length > 0 &&
    c.data.slice(1).some((s) => s.some((v) => typeof v === "number"))).length;
  out.canvases = document.querySelectorAll("canvas").length;
  out.chart_ids = [...document.querySelectorAll("figure.chart")].map((f) => f.getAttribute("data-chart"));
  if (kind === "report") {
    const count = (k) => document.querySelectorAll(`svg.timeline [data-kind="${k}"]`).length;
    out.timeline = document.querySelectorAll("svg.timeline").length;
    out.faults = count("fault");
    out.alerts = count("alert");
    out.incidents = count("incident");
    out.marks = [...document.querySelectorAll('svg.timeline [data-kind="incident-mark"]')].map((m) => m.getAttribute("data-mark"));
    out.steps = count("step");
    out.changes = count("change");
    out.golden = count("golden");
    out.acks = count("ack");
    out.tables = document.querySelectorAll("#report table").length;
    // The x range after a zoom by dragging over the first chart (checked by the caller).
    out.fault_titles = [...document.querySelectorAll('svg.timeline [data-kind="fault"] title')].map((t) => t.textContent);
  } else if (kind === "dashboard") {
    out.scenarios = document.querySelectorAll("section.scenario").length;
    out.strips = document.querySelectorAll("svg.strip").length;
    out.dots = document.querySelectorAll("svg.strip circle").length;
    out.failed_dots = document.querySelectorAll("svg.strip circle.failed").length;
    out.regressed = document.querySelectorAll("svg.strip.regressed").length;
    out.report_links = [...document.querySelectorAll("table.failures a")].map((a) => a.getAttribute("href"));
    out.replays = [...document.querySelectorAll("table.failures code")].map((c) => c.textContent);
  }
  return out;
}

const results = [];
for (const spec of manifest.pages) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const url = pathToFileURL(spec.file).href;
  const consoleErrors = [];
  const pageErrors = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    if (r.url() === url) return r.continue();
    requests.push(r.url());
    return r.abort();
  });
  const started = performance.now();
  let rendered = false;
  try {
    await page.goto(url, { waitUntil: "load", timeout: 30000 });
    await page.waitForSelector('body[data-rendered="true"]', { timeout: 30000 });
    rendered = true;
  } catch (e) {
    pageErrors.push("not rendered: " + String(e));
  }
  const loadMs = Math.round(performance.now() - started);
  const result = { file: spec.file, load_ms: loadMs, rendered, console_errors: consoleErrors,
                   page_errors: pageErrors, requests };
  Object.assign(result, await page.evaluate(facts, spec.kind));
  result.error = await page.evaluate(() => document.body.getAttribute("data-error"));
  if (spec.kind === "report" && rendered) {
    // Hover over the middle of the first chart: every chart's legend shows its values at that
    // minute (the cursor is shared).
    const mid = await page.evaluate(() => {
      const over = document.querySelector("figure.chart .u-over").getBoundingClientRect();
      return { x: over.x + over.width / 2, y: over.y + over.height / 2 };
    });
    await page.mouse.move(mid.x, mid.y);
    result.hover = await page.evaluate(() => [...document.querySelectorAll("figure.chart")].map((f) =>
      [...f.querySelectorAll(".u-legend .u-value")].map((v) => v.textContent)));
    // Zoom: drag across the middle of the first chart; every chart and the timeline follow.
    const box = await page.evaluate(() => {
      const over = document.querySelector("figure.chart .u-over").getBoundingClientRect();
      return { x: over.x, y: over.y, w: over.width, h: over.height };
    });
    await page.mouse.move(box.x + box.w * 0.25, box.y + box.h / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.w * 0.5, box.y + box.h / 2, { steps: 5 });
    await page.mouse.up();
    result.zoom = await page.evaluate(() => ({
      ranges: window.GD.charts.map((c) => [c.scales.x.min, c.scales.x.max]),
      legend: document.querySelector(".u-legend .u-value") ? document.querySelector(".u-legend .u-value").textContent : "",
    }));
    await page.click("#reset-zoom");
    result.reset = await page.evaluate(() => window.GD.charts.map((c) => [c.scales.x.min, c.scales.x.max]));
  }
  if (spec.screenshot) await page.screenshot({ path: spec.screenshot, fullPage: spec.full_page !== false });
  if (spec.print_pdf) {
    await page.emulateMediaType("print");
    await page.pdf({ path: spec.print_pdf, format: "A4" });
    result.pdf = spec.print_pdf;
  }
  results.push(result);
  await page.close();
}
await browser.close();
rmSync(profile, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ pages: results }) + "\n");
