// Drives one headless Firefox (Debian's firefox-esr) for the Python tests, through
// puppeteer-core over WebDriver BiDi. tests/helpers/firefox.py starts it and speaks JSON
// lines with it:
//   in (stdin):   {"id": 1, "cmd": "goto", "page": 1, "url": "..."}
//   out (stdout): {"id": 1, "value": ...} or {"id": 1, "error": "..."}
//                 {"event": "problem", "page": 1, "text": "..."} (a console error, a page
//                 error or a failed request on that page)
// Commands: launch {executablePath, prefs}, newPage {width, height} (each page in a
// browser context of its own: its own cookies), goto {page, url}, reload {page},
// url {page}, click {page, selector}, fill {page, selector, value},
// evaluate {page, js, arg} (js is an expression; a function is called with arg),
// waitForSelector {page, selector, state: visible|hidden|attached, timeout},
// screenshot {page, path, fullPage}, setViewport {page, width, height},
// addInitScript {page, js} (runs in every document the page loads from now on, first),
// closePage {page}, close (the browser; then this process exits).
// Nothing else is written to stdout, and every text it sends has link tokens taken out.
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

const STEP_TIMEOUT_MS = 10_000;
let browser = null;
let nextPage = 1;
const pages = new Map(); // id -> { page, context }

/** ``text`` without the secret part of a buyer link (``/j/<token>``) or a cookie value. */
function redact(text) {
  return String(text)
    .replace(/\/j\/[^\s"'<>?#]+/g, "/j/[token]")
    .replace(/(showdesk_[a-z]+|csrf_token|call_csrf_token)=[^;\s"']+/g, "$1=[value]");
}

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function pageOf(id) {
  const entry = pages.get(id);
  if (!entry) throw new Error(`no page ${id}`);
  return entry.page;
}

/** The page's viewport, set by BiDi's own `browsingContext.setViewport` (puppeteer's
 *  `page.setViewport` batches it with a screen-orientation override that Firefox ESR
 *  140.12 does not know, and the batch fails as a whole); waits until the page has it. */
async function setViewport(page, width, height) {
  await page.mainFrame().browsingContext.setViewport({ viewport: { width, height } });
  const size = () => page.evaluate(() => [window.innerWidth, window.innerHeight]);
  let [w, h] = await size();
  for (let tries = 0; tries < 40 && (w !== width || h !== height); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50)); // the page reflows after it
    [w, h] = await size();
  }
  if (w !== width || h !== height) throw new Error(`viewport is ${w}x${h}, not ${width}x${height}`);
}

const commands = {
  async launch({ executablePath, prefs }) {
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath,
      headless: true,
      extraPrefsFirefox: prefs,
    });
    return { version: await browser.version() };
  },
  async newPage({ width, height }) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const id = nextPage++;
    pages.set(id, { page, context });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await setViewport(page, width, height);
    const problem = (text) => send({ event: "problem", page: id, text: redact(text) });
    page.on("console", (message) => {
      if (message.type() === "error") problem(`console error: ${message.text()}`);
    });
    page.on("pageerror", (error) => problem(`page error: ${error.message ?? error}`));
    page.on("requestfailed", (request) => {
      problem(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    });
    return { page: id };
  },
  async goto({ page, url }) {
    await pageOf(page).goto(url, { waitUntil: "load" });
    return null;
  },
  async reload({ page }) {
    await pageOf(page).reload({ waitUntil: "load" });
    return null;
  },
  async url({ page }) {
    return pageOf(page).url();
  },
  async click({ page, selector }) {
    // as Playwright's click: once the element is there, visible and enabled; a page still
    // laying out (a slow machine) or redrawing the element is tried again
    const p = pageOf(page);
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    let last = null;
    let clicked = false;
    for (;;) {
      try {
        const left = Math.max(1, deadline - Date.now());
        const element = await p.waitForSelector(selector, { visible: true, timeout: left });
        if (await element.evaluate((node) => node.matches(":disabled"))) {
          throw new Error(`${selector} is disabled`);
        }
        clicked = true;
        await element.click();
        return null;
      } catch (error) {
        // a click that may have reached the page is not sent again, unless the element
        // was not there to take it (gone, covered or not laid out yet)
        const missed = /not clickable|detached|not an Element|no such (node|element)/i;
        if (clicked && !missed.test(String(error?.message ?? error))) throw error;
        clicked = false;
        last = error;
        if (Date.now() >= deadline) throw new Error(`${last?.message ?? last} (clicking ${selector})`);
        console.error(`click ${selector}: ${last?.message ?? last}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  },
  async fill({ page, selector, value }) {
    // not the locator's fill: it times out once the viewport was set by BiDi directly
    const field = await pageOf(page).waitForSelector(selector, { visible: true });
    await field.evaluate((node) => {
      node.value = "";
    });
    await field.type(value);
    return null;
  },
  async evaluate({ page, js, arg }) {
    const body = js.trim().replace(/;+$/, ""); // an expression statement's own ";" too
    const expression = `(async () => { const it = (${body}); return typeof it === "function" ? await it(${JSON.stringify(arg ?? null)}) : await it; })()`;
    const value = await pageOf(page).evaluate(expression);
    return value === undefined ? null : value;
  },
  async waitForSelector({ page, selector, state, timeout }) {
    const options = { timeout: timeout ?? STEP_TIMEOUT_MS };
    if (state === "visible") options.visible = true;
    if (state === "hidden") options.hidden = true;
    await pageOf(page).waitForSelector(selector, options);
    return null;
  },
  async screenshot({ page, path, fullPage }) {
    await pageOf(page).screenshot({ path, fullPage: Boolean(fullPage) });
    return null;
  },
  async setViewport({ page, width, height }) {
    await setViewport(pageOf(page), width, height);
    return null;
  },
  async addInitScript({ page, js }) {
    await pageOf(page).evaluateOnNewDocument(js);
    return null;
  },
  async closePage({ page }) {
    const entry = pages.get(page);
    pages.delete(page);
    if (entry) await entry.context.close();
    return null;
  },
  async close() {
    if (browser) await browser.close();
    browser = null;
    return null;
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  const run = commands[request.cmd];
  try {
    if (!run) throw new Error(`unknown command ${request.cmd}`);
    send({ id: request.id, value: await run(request) });
  } catch (error) {
    send({ id: request.id, error: redact(error?.message ?? error) });
  }
  if (request.cmd === "close") break;
}
if (browser) await browser.close();
process.exit(0);
