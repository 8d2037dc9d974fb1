// Accessibility, end to end: axe-core finds no violation in any state of the page (start,
// help, a device connected with its details open and closed, a refused file, a file that
// fits, the confirmation, an update running, the stop question, cancelled, done, the re-pair
// step, the vendor's catalog page), in light and dark colour schemes, at desktop (1280×900)
// and phone (360×740) widths; a memory table too wide for its card is a focusable region.
// And the whole demo flow done with the keyboard alone: the focus never drops to the page's
// body, shows a visible ring on every control, moves to the result when it appears, and
// Tab after the result moves on in the page. Run by `cargo xtask test` (`cargo xtask e2e`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

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
  browser = await launch();
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
      await page.click('#stop-go');
      await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
      assert.match(await shadowText(page, '#result'), /cancelled/);
      await check('cancelled');
      await page.setInputFiles('#file', F.small);
      await page.waitForSelector('#fit.ok');
      await page.click('#update');
      await page.click('#confirm-go');
      await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
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
      // The button has the focus, and its explanation is its description.
      const repair = await page.evaluate(() => {
        const root = document.querySelector('dfu-flasher').shadowRoot;
        const b = root.querySelector('#repair-button');
        const said = (b.getAttribute('aria-describedby') || '').split(/\s+/).map((id) => root.getElementById(id)?.textContent || '').join(' ');
        return { focused: root.activeElement === b, said };
      });
      assert.ok(repair.focused, 'the re-pair button has the focus');
      assert.match(repair.said, /Demo Widget/, 'the re-pair button is described by its explanation');
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

test('a memory table too wide for the card scrolls, and can be reached and scrolled by keyboard', async () => {
  // Nothing overflows at the page's own sizes; a narrow card and big text can: forced here.
  const page = await open({ csp: false });
  await demo(page, 'stm32f4');
  await page.click('#device-details > summary');
  await page.evaluate(() => {
    const s = document.createElement('style');
    s.textContent = '.table-wrap table { min-width: 3000px; }';
    document.querySelector('dfu-flasher').shadowRoot.append(s);
  });
  const scrolls = await page.$$eval('#alts .table-wrap', (ws) => ws.filter((w) => w.scrollWidth > w.clientWidth).length);
  assert.ok(scrolls > 0, 'the forced width makes a table scroll');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['scrollable-region-focusable'] });
    return r.violations.flatMap((v) => v.nodes.map((n) => `${v.id} at ${JSON.stringify(n.target)}`));
  });
  // Tab reaches the first table, with a ring, and the arrow keys scroll it.
  await page.focus('#device-details > summary');
  let on = null;
  for (let i = 0; i < 10 && !on?.wrap; i++) {
    await page.keyboard.press('Tab');
    on = await page.evaluate(() => {
      const a = document.querySelector('dfu-flasher').shadowRoot.activeElement;
      return { wrap: !!a && a.classList.contains('table-wrap'), ring: !!a && a.matches(':focus-visible') && getComputedStyle(a).outlineStyle !== 'none' };
    });
  }
  assert.ok(on.wrap, 'Tab reaches the scrolling table');
  assert.ok(on.ring, 'the focused table shows a focus ring');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('dfu-flasher').shadowRoot.activeElement.scrollLeft > 0);
  assert.deepEqual(found, [], 'each scrolling table is focusable (tabindex=0, a region named by its caption)');
  await page.done();
});

// Where the focus is, as the page's keyboard user sees it: the element inside the
// updater's shadow root (or the document's own), and whether it shows a focus ring.
const focused = (page) => page.evaluate(() => {
  const root = document.querySelector('dfu-flasher').shadowRoot;
  const a = root.activeElement || document.activeElement;
  const id = a === document.body ? 'BODY' : a.id || `${a.tagName.toLowerCase()}.${a.className}`;
  // The file input is visually hidden: its label (the visible button) carries the ring.
  const ring = a.id === 'file' ? a.nextElementSibling : a;
  const s = getComputedStyle(ring);
  return {
    id,
    inPage: a !== document.body && a !== document.documentElement,
    visible: a.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
  };
});

test('the whole demo flow by keyboard alone: the focus is never lost, always visible, and on the result at the end', async () => {
  const fw = join(dir, 'keys.bin');
  writeFileSync(fw, bytes(60000, 5));
  // Watch the focus from the first key on: every 10 ms, and at each focus change, note
  // when it is on no control (the body).
  const context = await browser.newContext({ viewport: SIZES.desktop });
  await context.addInitScript(() => {
    window.focusLog = { armed: false, lost: [], last: null };
    const look = (why) => {
      const root = document.querySelector('dfu-flasher')?.shadowRoot;
      const a = (root && root.activeElement) || document.activeElement;
      const onBody = !a || a === document.body || a === document.documentElement;
      if (!onBody) { window.focusLog.armed = true; window.focusLog.last = a.id || a.tagName; return; }
      if (window.focusLog.armed) window.focusLog.lost.push(`${why}: after #${window.focusLog.last}`);
    };
    setInterval(() => look('sampled'), 10);
    document.addEventListener('focusout', () => queueMicrotask(() => look('focusout')), true);
    document.addEventListener('focusin', () => look('focusin'), true);
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Asked for now, well before the key that opens it: Playwright takes over the browser's
  // file chooser only once it is waited for (a wait begun just before the key can lose).
  const chooser = page.waitForEvent('filechooser', { timeout: 60000 });
  chooser.catch(() => {}); // awaited below; no unhandled rejection if the test fails first
  await page.goto(URL);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  const rings = [];
  const press = async (key) => {
    await page.keyboard.press(key);
    const f = await focused(page);
    if (f.inPage && !f.visible) rings.push(`${key} → #${f.id}: ${f.outline}`);
    return f;
  };
  // Tab (or Shift+Tab) until the control `id` has the focus.
  const reach = async (id, key = 'Tab') => {
    const path = [];
    for (let i = 0; i < 40; i++) {
      const f = await press(key);
      path.push(f.id);
      if (f.id === id) return;
    }
    assert.fail(`#${id} not reached by ${key}: ${path.join(' ')}`);
  };

  await reach('demo-profile');
  // A closed select: the arrow keys change the choice.
  for (let i = 0; i < 5 && (await page.inputValue('#demo-profile')) !== 'stm32f4'; i++) await press('ArrowDown');
  for (let i = 0; i < 5 && (await page.inputValue('#demo-profile')) !== 'stm32f4'; i++) await press('ArrowUp');
  assert.equal(await page.inputValue('#demo-profile'), 'stm32f4');
  await reach('demo', 'Shift+Tab');
  await press('Enter');
  await page.waitForSelector('#device-panel:not([hidden])');
  assert.match(await page.textContent('#device-name'), /STM32/);
  assert.ok((await focused(page)).inPage, 'the focus stays on a control once the device is open');

  // "Choose file…": the file input itself (hidden; its label is the visible button).
  await reach('file');
  await press('Space');
  await (await chooser).setFiles(fw);
  await page.waitForSelector('#fit.ok');
  assert.ok((await focused(page)).inPage, 'the focus stays on a control once the file is read');

  await reach('update');
  await press('Enter');
  // Before anything is erased the page asks, with the focus on the answer.
  await page.waitForSelector('#confirm:not([hidden])');
  assert.equal((await focused(page)).id, 'confirm-go');
  await press('Enter');
  await page.waitForSelector('#progress:not([hidden])');
  await page.waitForFunction(() => {
    const r = document.querySelector('dfu-flasher').shadowRoot.querySelector('#result');
    return !r.hidden && /Done!/.test(r.textContent);
  }, null, { timeout: 60000 });
  // The focus on the result as it appears, with a ring.
  const atResult = await focused(page);
  assert.equal(atResult.id, 'result', 'the focus moves to the result');
  assert.ok(atResult.visible, `the result shows it has the focus: ${atResult.outline}`);
  // Tab from the result: onwards to a control after it, in the page. (Headless Chromium
  // has no address bar to move to: past the last control it wraps to the first, where a
  // real browser leaves the page.)
  const next = await press('Tab');
  assert.ok(next.inPage, `Tab after the result stays in the page (went to ${next.id})`);
  const onwards = await page.evaluate(() => {
    const root = document.querySelector('dfu-flasher').shadowRoot;
    const a = root.activeElement;
    return !!a && !!(root.querySelector('#result').compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  assert.ok(onwards, `Tab after the result moves on to a control after it, not round to the page's start (went to #${next.id})`);
  const log = await page.evaluate(() => window.focusLog);
  assert.deepEqual([...new Set(log.lost)], [], 'the focus never fell to the body');
  assert.deepEqual(rings, [], 'every focused control shows a focus ring');
  assert.deepEqual(errors, []);
  await context.close();
});
