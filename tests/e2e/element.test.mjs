// End-to-end: <dfu-flasher> embedded the way a vendor embeds it, in a page with a strict
// Content-Security-Policy and hostile styles (tests/e2e/host/strict.html), and from the
// dist/dfu-flasher/ folder alone (host/bundle.html). The page's own script records every
// event of the element and every policy violation (host/strict.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const ROOT = fileURLToPath(new globalThis.URL('../../', import.meta.url));
const HOST = join(ROOT, 'tests', 'e2e', 'host');
const STRICT = `${URL}tests/e2e/host/strict.html`;
let browser;
const dir = mkdtempSync(join(tmpdir(), 'dfu-element-'));

function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  // A Cortex-M vector table (stack in SRAM, reset handler inside the image at 0x08000000).
  b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  return b;
}
const sha = (b) => createHash('sha256').update(b).digest('hex');

// A DfuSe file for the stm32f4 demo, made by dfu-util's dfuse-pack.
function dfuse(name, size, seed) {
  const app = bytes(size, seed);
  writeFileSync(join(dir, `${name}.bin`), app);
  execFileSync('dfuse-pack', ['-b', `0x08000000:${name}.bin`, '-D', '0x0483:0xdf11', `${name}.dfu`], { cwd: dir });
  return { app, path: join(dir, `${name}.dfu`) };
}

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

// The vendor page, once the element said it is ready. `page.errors`: page errors and
// console errors (a refused load, a policy violation, a failed download all log one).
async function open(url = STRICT) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.errors = errors;
  await page.goto(url);
  await page.waitForFunction(() => (window.flasherEvents || [])
    .some((e) => e.type === 'dfu-flasher-state' && e.detail.state === 'ready'), null, { timeout: 20000 });
  return page;
}

const events = (page) => page.evaluate(() => window.flasherEvents);
const violations = (page) => page.evaluate(() => window.cspViolations);
const text = (page, sel) => page.$eval(sel, (e) => e.textContent.trim());

async function demo(page, scope = '') {
  await page.selectOption(`${scope} #demo-profile`, 'stm32f4');
  await page.click(`${scope} #demo`);
  await page.waitForSelector(`${scope} #device-panel:not([hidden])`);
}

// Update, and say yes if the element asks before anything is erased.
async function startUpdate(page) {
  await page.click('#update');
  const go = page.locator('#confirm-go');
  if (await go.count() && await go.isVisible()) await go.click();
}

// The whole update in the page, checked by its events and by what the device holds.
async function wholeUpdate(page, name, seed) {
  const { app, path } = dfuse(name, 30000, seed);
  await demo(page);
  await page.setInputFiles('#file', path);
  await page.waitForSelector('#fit.ok');
  await startUpdate(page);
  await page.waitForSelector('#result:not([hidden])', { timeout: 60000 });
  const memory = await page.evaluate(async (n) => {
    const b = document.getElementById('flasher').state.device.demoMemory(0, 0x08000000, n);
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
    return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
  }, app.length);
  assert.equal(memory, sha(app), 'the demo device holds the file');
  return events(page);
}

function checkEvents(list, file) {
  for (const e of list) {
    assert.equal(e.target, 'flasher', `${e.type} comes from the element`);
    assert.ok(e.bubbles && e.composed, `${e.type} bubbles out of the shadow root`);
  }
  const states = list.filter((e) => e.type === 'dfu-flasher-state').map((e) => e.detail);
  assert.deepEqual(states.map((s) => s.state).filter((s) => s !== 'language'),
    ['ready', 'connected', 'file', 'updating']);
  assert.deepEqual(states.filter((s) => s.state === 'language').map((s) => s.language), ['de']);
  const connected = states.find((s) => s.state === 'connected');
  assert.equal(typeof connected.device, 'string');
  assert.match(connected.device, /STM32/);
  assert.equal(states.find((s) => s.state === 'file').file, file);

  const at = (pred) => list.findIndex(pred);
  const updating = at((e) => e.detail.state === 'updating');
  const done = at((e) => e.type === 'dfu-flasher-done');
  const progress = list.filter((e) => e.type === 'dfu-flasher-progress');
  assert.ok(progress.length >= 3, `${progress.length} progress events`);
  assert.ok(list.indexOf(progress[0]) > updating, 'progress after "updating"');
  assert.ok(list.lastIndexOf(progress.at(-1)) < done, 'progress before "done"');
  let last = 0;
  for (const { detail: p } of progress) {
    assert.equal(typeof p.percent, 'number');
    assert.ok(Number.isFinite(p.percent) && p.percent >= 0 && p.percent <= 100, `percent ${p.percent}`);
    assert.ok(p.percent >= last, `percent went back from ${last} to ${p.percent}`);
    last = p.percent;
    assert.equal(typeof p.phase, 'string');
    assert.equal(typeof p.text, 'string');
    assert.equal(typeof p.reconnecting, 'boolean');
  }
  assert.ok(last > 90, `the last progress says ${last} %`);
  const d = list[done].detail;
  assert.match(d.title, /^Fertig! /, 'the outcome in the element\'s language');
  assert.ok(Array.isArray(d.details) && d.details.every((x) => typeof x === 'string'));
  assert.equal(list.filter((e) => e.type === 'dfu-flasher-done').length, 1);
  assert.equal(list.filter((e) => e.type === 'dfu-flasher-error').length, 0);
  const status = list.filter((e) => e.type === 'dfu-flasher-status');
  assert.ok(status.length > 0 && status.every((e) => typeof e.detail.text === 'string'));
  assert.equal(status.at(-1).detail.text, d.title, 'the last status line is the outcome');
}

test('in a strict-CSP vendor page the element runs a whole demo update: typed events in order, no violation', async () => {
  const page = await open();
  const list = await wholeUpdate(page, 'strict', 1);
  checkEvents(list, 'strict.dfu');
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the vendor page's styles do not reach into the element, and the element's do not leak out", async () => {
  const page = await open();
  const style = (sel, ...props) => page.$eval(sel, (e, ps) => {
    const s = getComputedStyle(e);
    return Object.fromEntries(ps.map((p) => [p, s.getPropertyValue(p)]));
  }, props);
  // Inside: the documented custom properties apply, the page's rules do not.
  assert.deepEqual(await style('#connect', 'background-color', 'border-top-left-radius', 'min-height', 'font-weight'), {
    'background-color': 'rgb(0, 110, 60)', // --dfu-flasher-accent
    'border-top-left-radius': '3.96px', // --dfu-flasher-radius × .66
    'min-height': '44px',
    'font-weight': '600',
  });
  assert.equal((await style('#demo', 'background-color'))['background-color'], 'rgb(255, 255, 255)',
    "a plain button keeps the element's own colour");
  assert.deepEqual(await style('#step-device', 'display', 'background-color', 'color'), {
    display: 'block', 'background-color': 'rgb(250, 250, 240)', color: 'rgb(20, 20, 60)',
  });
  const root = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.equal((await style('#device-title', 'font-size'))['font-size'], `${1.25 * root}px`);
  assert.equal((await style('#device-panel', 'display')).display, 'none', 'hidden stays hidden');
  assert.notEqual((await style('#demo-profile', 'display')).display, 'none');
  assert.notEqual((await style('.lead', 'color')).color, 'rgb(255, 0, 255)');
  assert.equal((await style('#step-device', 'font-family'))['font-family'], 'Georgia, serif');
  assert.ok(await page.isVisible('#connect'));
  // Outside: the page's own button, card and heading as the page's rules make them.
  assert.deepEqual(await style('#host-button', 'background-color', 'font-weight', 'min-height', 'border-top-left-radius'), {
    'background-color': 'rgb(255, 0, 0)', 'font-weight': '400', 'min-height': '0px', 'border-top-left-radius': '0px',
  });
  assert.deepEqual(await style('#host-card', 'display', 'padding-top', 'border-top-width', 'background-color'), {
    display: 'none', 'padding-top': '0px', 'border-top-width': '0px', 'background-color': 'rgba(0, 0, 0, 0)',
  });
  assert.equal((await style('#host-title', 'font-size'))['font-size'], '50px');
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('loading the element twice defines it once, and an element added later starts on its own', async () => {
  const page = await open();
  assert.equal(await page.evaluate(() => window.definedTwice), 'kept');
  // Without a `lang` of its own, it joins the language the page's element speaks.
  await page.evaluate(() => {
    const second = document.createElement('dfu-flasher');
    second.id = 'second';
    second.setAttribute('demo', '');
    document.body.append(second);
  });
  await page.waitForFunction(() => window.flasherEvents
    .some((e) => e.target === 'second' && e.detail.state === 'ready'), null, { timeout: 10000 });
  await demo(page, '#second');
  assert.equal(await text(page, '#second #connect'), 'Gerät verbinden');
  assert.equal(await text(page, '#flasher #connect'), 'Gerät verbinden');
  // Each element has its own state: the first has no device.
  assert.ok(await page.$eval('#flasher', (e) => e.shadowRoot.getElementById('device-panel').hidden));
  assert.ok(await page.$eval('#flasher', (e) => e.state.device === null));
  const connected = (await events(page)).filter((e) => e.detail.state === 'connected').map((e) => e.target);
  assert.deepEqual(connected, ['second']);
  // One language for the page: the second's `lang` switches both, and each tells its page.
  await page.evaluate(() => document.getElementById('second').setAttribute('lang', 'ja'));
  await page.waitForFunction(() => document.getElementById('flasher').shadowRoot
    .getElementById('connect').textContent === 'デバイスを接続', null, { timeout: 10000 });
  assert.equal(await text(page, '#second #connect'), 'デバイスを接続');
  const langs = (await events(page)).filter((e) => e.detail.state === 'language').map((e) => `${e.target}:${e.detail.language}`);
  assert.deepEqual(langs, ['flasher:de', 'second:de', 'second:ja', 'flasher:ja']);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('lang="de" gives German texts, and setting lang="ja" later switches them to Japanese', async () => {
  const page = await open();
  assert.equal(await text(page, '#connect'), 'Gerät verbinden');
  assert.equal(await page.$eval('#flasher', (e) => e.shadowRoot.querySelector('.flasher').lang), 'de');
  // The `help` attribute: the maker's words, as text, in the help.
  await page.click('#help-open');
  await page.waitForSelector('#help:not([hidden])');
  assert.equal(await text(page, '#help-vendor'), 'Hold the button on the back while you plug the Widget in.');
  assert.equal(await text(page, '#help-open'), 'Mein Gerät steht nicht in der Liste');
  await page.evaluate(() => document.getElementById('flasher').setAttribute('lang', 'ja'));
  await page.waitForFunction(() => document.getElementById('flasher').shadowRoot
    .getElementById('connect').textContent === 'デバイスを接続', null, { timeout: 10000 });
  assert.equal(await page.$eval('#flasher', (e) => e.shadowRoot.querySelector('.flasher').lang), 'ja');
  assert.equal(await page.inputValue('#language'), 'ja');
  assert.notEqual(await text(page, '#help-open'), 'Mein Gerät steht nicht in der Liste', 'the open help too');
  assert.equal(await page.$eval('#flasher', (e) => e.text('page.connect')), 'デバイスを接続');
  const langs = (await events(page)).filter((e) => e.detail.state === 'language').map((e) => e.detail.language);
  assert.deepEqual(langs, ['de', 'ja']);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a cancelled update is a dfu-flasher-error event with its title, details and kind', async () => {
  const page = await open();
  const { path } = dfuse('cancel', 300000, 2);
  await demo(page);
  await page.setInputFiles('#file', path);
  await page.waitForSelector('#fit.ok');
  await startUpdate(page);
  await page.waitForFunction(() => window.flasherEvents.some((e) => e.type === 'dfu-flasher-progress'),
    null, { timeout: 30000 });
  await page.click('#cancel');
  // Once the device is being written, the element asks first.
  const stop = page.locator('#stop-go');
  if (await stop.count() && await stop.isVisible()) await stop.click();
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  const list = await events(page);
  const errs = list.filter((e) => e.type === 'dfu-flasher-error');
  assert.equal(errs.length, 1, JSON.stringify(errs));
  const { detail } = errs[0];
  assert.deepEqual(Object.keys(detail).sort(), ['details', 'kind', 'title']);
  assert.equal(detail.kind, 'cancelled');
  assert.equal(detail.title, 'Update abgebrochen');
  assert.equal(await text(page, '#result h3'), detail.title);
  assert.ok(Array.isArray(detail.details) && detail.details.length > 0
    && detail.details.every((x) => typeof x === 'string'), JSON.stringify(detail.details));
  assert.equal(list.filter((e) => e.type === 'dfu-flasher-done').length, 0);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

// A vendor's site: their page (host/bundle.html), its script and styles, and the element's
// folder as `cargo xtask dist` writes it (dist/dfu-flasher/), nothing else, with the strict
// policy also sent as a header. `cargo xtask e2e` hands over the folder in E2E_BUNDLE;
// otherwise it is written here from what `cargo xtask build` left in www/.
const ELEMENT_FILES = ['dfu-flasher.js', 'flasher-app.js', 'flasher-catalog.js', 'flasher-lang.js', 'flasher-markup.js',
  'flasher.css', 'timer-worker.js', 'lang/de.json', 'lang/en.json', 'lang/ja.json', 'lang/en.first.json',
  'pkg/dfu_flasher.js', 'pkg/dfu_flasher_bg.wasm', 'pkg/dfu_flasher_plain.js', 'pkg/dfu_flasher_plain_bg.wasm'];
const POLICY = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml' };

function vendorSite() {
  const site = mkdtempSync(join(tmpdir(), 'dfu-vendor-site-'));
  const element = join(site, 'dfu-flasher');
  if (process.env.E2E_BUNDLE) cpSync(process.env.E2E_BUNDLE, element, { recursive: true });
  else execFileSync('cargo', ['xtask', 'bundle', element], { cwd: ROOT, stdio: 'inherit' });
  cpSync(join(HOST, 'bundle.html'), join(site, 'index.html'));
  for (const f of ['strict.js', 'strict.css', 'icon.svg']) cpSync(join(HOST, f), join(site, f));
  return { site, element };
}

function listFiles(d, prefix = '') {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? listFiles(join(d, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

test('the element runs from a copy of the dist/dfu-flasher/ folder alone', async () => {
  const { site, element } = vendorSite();
  const files = listFiles(element);
  for (const f of ELEMENT_FILES) assert.ok(files.includes(f), `the bundle has ${f}`);
  for (const f of files) {
    assert.ok(/^(dfu-flasher\.js|flasher-[\w-]+\.js|flasher\.css|timer-worker\.js|lang\/[\w-]+(\.first)?\.json|pkg\/.+)$/.test(f),
      `${f} is not part of the element`);
  }
  const served = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new globalThis.URL(req.url, 'http://x').pathname);
    const file = normalize(join(site, path === '/' ? 'index.html' : path));
    if (!file.startsWith(site + sep) || !existsSync(file)) { res.writeHead(404); res.end('not found'); return; }
    served.push(path);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
      'Content-Security-Policy': POLICY, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const page = await open(`http://127.0.0.1:${server.address().port}/`);
    assert.equal(await text(page, '#connect'), 'Gerät verbinden', 'lang/de.json found beside the module');
    assert.equal((await page.$eval('#connect', (e) => getComputedStyle(e).backgroundColor)), 'rgb(0, 110, 60)',
      'flasher.css found beside the module');
    const list = await wholeUpdate(page, 'bundle', 3);
    checkEvents(list, 'bundle.dfu');
    assert.equal(await page.evaluate(() => window.definedTwice), 'kept');
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(page.errors, []);
    // Not given a catalog, the element loads the page's module without the catalog code.
    for (const f of ['/dfu-flasher/timer-worker.js', '/dfu-flasher/lang/de.json', '/dfu-flasher/pkg/dfu_flasher_plain_bg.wasm']) {
      assert.ok(served.includes(f), `${f} was served (${served.join(' ')})`);
    }
    assert.ok(!served.includes('/dfu-flasher/pkg/dfu_flasher_bg.wasm'), 'nor the one with it');
    await page.close();
  } finally {
    server.close();
  }
});
