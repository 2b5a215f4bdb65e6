// Plays a drill room in Debian's headless Chromium (puppeteer-core): the trainee's page waits
// for a page, acknowledges it, fails over to the secondary vendor, runs the golden check,
// suspects the vendor and declares the incident mitigated; the facilitator's page shows the
// fault and sends a hint the trainee sees.
//
//   ROOM_URL=... FACILITATOR_URL=... OUT_DIR=... [MODE=harm] node room_drive.mjs
//
// MODE=harm: once paged, the trainee turns PHI redaction off and suspects the prompt instead.
//
// Prints one JSON object: {alert, steps: [{action, status, ms}], trainee: {console_errors,
// page_errors, foreign_requests, text}, facilitator: {...}, hint_seen, fault_seen}.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const ROOM = process.env.ROOM_URL;
const FACILITATOR = process.env.FACILITATOR_URL;
const OUT = process.env.OUT_DIR;
const origin = new URL(ROOM).origin;
const profile = mkdtempSync(join(tmpdir(), "gameday-chromium-"));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  userDataDir: profile,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
         "--disable-crash-reporter", "--disable-extensions", "--disable-background-networking"],
});

async function open(url) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const seen = { console_errors: [], page_errors: [], foreign_requests: [] };
  page.on("console", (m) => { if (m.type() === "error") seen.console_errors.push(m.text()); });
  page.on("pageerror", (e) => seen.page_errors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith(origin + "/")) seen.foreign_requests.push(r.url()); });
  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 30000 });
  return { page, seen };
}

const started = Date.now();
const result = { steps: [] };
const trainee = await open(ROOM);
const facilitator = await open(FACILITATOR);
const t = trainee.page;
// A background tab gets no animation frames, which clicks wait for: act on the front one.
await t.bringToFront();

// What the trainee does, each waiting for the page to say it went through.
async function click(action, selector, setup) {
  process.stderr.write(`room_drive: ${action} at ${Date.now() - started} ms\n`);
  if (setup) await setup();
  await t.click(selector);
  await t.waitForFunction(
    (a) => { const s = document.getElementById("room-status"); return s && s.textContent.startsWith(a + ":"); },
    { timeout: 15000 }, action);
  const status = await t.$eval("#room-status", (s) => s.textContent);
  result.steps.push({ action, status, ms: Date.now() - started });
}

await t.waitForSelector("li.alert-firing[data-alert]", { timeout: 90000 });
result.alert = await t.$eval("li.alert-firing[data-alert]", (li) => li.getAttribute("data-alert"));
if (process.env.MODE === "harm") {
  // A harmful change under pressure: PHI redaction off, and the wrong cause.
  await click("flag", 'button[data-action="flag-off"]', () => t.select('select[data-input="flag"]', "phi-redaction"));
  await click("suspect", 'button[data-action="suspect"]', () => t.select('select[data-input="cause"]', "prompt"));
  result.trainee = trainee.seen;
  result.facilitator = facilitator.seen;
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
await click("ack", `button[data-action="ack"][data-alert="${result.alert}"]`);
await t.waitForSelector("li.alert-firing .acked", { timeout: 15000 });
await click("route", 'button[data-action="route"]', () => t.select('select[data-input="route"]', "secondary"));
await t.waitForFunction(() => {
  const d = document.querySelector('dd[data-state="route"]');
  return d && d.textContent === "secondary";
}, { timeout: 15000 });
await click("golden", 'button[data-action="golden"]');
await click("suspect", 'button[data-action="suspect"]', () => t.select('select[data-input="cause"]', "vendor"));
await click("declare", 'button[data-action="declare-mitigated"]');

// The facilitator sees the fault and sends a hint; the trainee's log shows it.
const f = facilitator.page;
await f.bringToFront();
await f.waitForSelector('li[data-fault]', { timeout: 15000 });
await f.waitForSelector('li[data-incident]', { timeout: 15000 });
result.incident_seen = await f.$eval("li[data-incident]", (li) => li.getAttribute("data-incident"));
result.fault_seen = await f.$eval("li[data-fault]", (li) => li.getAttribute("data-fault"));
await f.type('input[data-input="hint"]', "look at the vendor latency");
await f.click('button[data-action="hint"]');
await t.bringToFront();
await t.waitForFunction(() => document.getElementById("room-log").textContent.includes("HINT: look at the vendor latency"),
                        { timeout: 15000 });
result.hint_seen = true;

if (OUT) {
  await t.screenshot({ path: join(OUT, "room-trainee.png"), fullPage: true });
  await f.screenshot({ path: join(OUT, "room-facilitator.png"), fullPage: true });
}
trainee.seen.text = await t.evaluate(() => document.body.innerText);
facilitator.seen.text = await f.evaluate(() => document.body.innerText);
result.trainee = trainee.seen;
result.facilitator = facilitator.seen;
await browser.close();
rmSync(profile, { recursive: true, force: true });
process.stdout.write(JSON.stringify(result) + "\n");
