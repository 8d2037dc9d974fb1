// End-to-end: the served page in Debian's Chromium, driven like a user (clicks and file
// inputs), against the demo device. Files come from dfu-util's tools. Run by
// `cargo xtask test`, which builds the page, serves it and sets E2E_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const SHOTS = process.env.E2E_SCREENSHOTS || '';
let browser;
const dir = mkdtempSync(join(tmpdir(), 'dfu-e2e-'));

function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  // A program, as firmware is: a Cortex-M vector table (stack in SRAM, reset handler
  // inside the image at 0x08000000) ahead of the filler.
  if (n >= 0x42) b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  return b;
}
const sha = (b) => createHash('sha256').update(b).digest('hex');
// sha256 of what the demo device holds (read from the simulator, hashed in the page).
const demoSha = (page, alt, address, length) => page.evaluate(async ([a, at, n]) => {
  const b = window.dfuPage.device.demoMemory(a, at, n);
  if (!b) return null;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
}, [alt, address, length]);

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

async function open(name, { init, query = '' } = {}) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
  if (init) await page.addInitScript(init);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(URL + query);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  page.shot = async (step) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}-${step}.png`), fullPage: true });
  };
  page.errors = errors;
  return page;
}

async function demo(page, profile) {
  await page.selectOption('#demo-profile', profile);
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
}

test('DfuSe file made by dfuse-pack flashes onto the stm32f4 demo and verifies', async () => {
  // Long enough that each phase is on screen (each stays at least 0.7 s).
  const app = bytes(300000, 1);
  writeFileSync(join(dir, 'app.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:app.bin', '-D', '0x0483:0xdf11', 'app.dfu'], { cwd: dir });
  const page = await open('stm32f4');
  await demo(page, 'stm32f4');
  // The name as the device gives it, not shouted (the ROM says "STM32  BOOTLOADER").
  assert.match(await page.textContent('#device-name'), /STM32\s+Bootloader/);
  assert.match(await page.textContent('#alts'), /0x08000000/);
  await page.shot('1-device');
  await page.setInputFiles('#file', join(dir, 'app.dfu'));
  await page.waitForSelector('#fit.ok');
  assert.match(await page.textContent('#file-panel'), /DfuSe file/);
  await page.shot('2-file');
  // Count what the visible line and the screen reader's live region say.
  await page.evaluate(() => {
    window.said = { text: 0, say: [] };
    new MutationObserver(() => { window.said.text += 1; })
      .observe(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text'), { childList: true, characterData: true, subtree: true });
    new MutationObserver(() => { window.said.say.push(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-say').textContent); })
      .observe(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-say'), { childList: true, characterData: true, subtree: true });
  });
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForSelector('#progress:not([hidden])');
  await page.waitForSelector('#result:not([hidden])', { timeout: 60000 });
  await page.shot('3-done');
  assert.match(await page.textContent('#result'), /Done! .* restarting/);
  assert.match(await page.textContent('#result'), /Checked/);
  // Only the throttled region is live: phase changes, and at most every 10 % or 5 s.
  assert.equal(await page.getAttribute('#progress-text', 'aria-live'), null);
  assert.equal(await page.getAttribute('#progress-say', 'aria-live'), 'polite');
  assert.equal(await page.getAttribute('#bar', 'aria-label'), 'Update progress');
  const said = await page.evaluate(() => window.said);
  assert.ok(said.say.length >= 3, `phases announced: ${JSON.stringify(said.say)}`);
  assert.ok(said.say.length <= 30, `announced ${said.say.length} times: ${JSON.stringify(said.say)}`);
  assert.ok(said.text > said.say.length, `visible line ${said.text} changes, announced ${said.say.length}`);
  // Not what the page says: what the simulated device holds.
  const digest = await demoSha(page, 0, 0x08000000, 300000);
  assert.equal(digest, sha(app));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('DFU-suffixed file onto the run-time demo: detach, re-pair click, manifest, restart', async () => {
  const fw = bytes(20000, 2);
  writeFileSync(join(dir, 'widget.bin'), fw);
  execFileSync('dfu-suffix', ['-v', '1209', '-p', '2302', '-a', 'widget.bin'], { cwd: dir });
  const page = await open('runtime');
  await demo(page, 'dfu11-runtime');
  assert.match(await page.textContent('#device-mode'), /Running firmware/);
  await page.setInputFiles('#file', join(dir, 'widget.bin'));
  // A run-time device: not called a fit before it is in update mode.
  await page.waitForSelector('#fit.pending');
  assert.doesNotMatch(await page.textContent('#fit'), /fits/);
  await page.click('#update');
  await page.click('#confirm-go');
  // The device re-enumerates with a new product id: the page asks for it again.
  await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
  assert.match(await page.textContent('#repair-button'), /Select Demo Widget in update mode/);
  // The tab's title says so too, for a user looking at another tab.
  assert.equal(await page.title(), 'Select Demo Widget in update mode – Firmware update');
  await page.shot('1-repair');
  await page.click('#repair-button');
  await page.waitForFunction(() => /… \d+% – Firmware update$/.test(document.title), null, { timeout: 20000 });
  await page.waitForSelector('#result:not([hidden])', { timeout: 60000 });
  await page.shot('2-done');
  assert.match(await page.textContent('#result'), /Done! Demo Widget is restarting/);
  assert.match(await page.title(), /^Done! Demo Widget is restarting.* – Firmware update$/);
  assert.ok(await page.isHidden('#repair'));
  // Back in run-time mode, running what was written.
  assert.match(await page.textContent('#device-mode'), /Running firmware/);
  const digest = await demoSha(page, 0, 0, 20000);
  assert.equal(digest, sha(fw));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('back up reads the firmware and offers it as a file', async () => {
  const page = await open('backup');
  await demo(page, 'dfu11-runtime');
  const download = page.waitForEvent('download', { timeout: 60000 });
  await page.click('#backup');
  await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
  await page.click('#repair-button');
  const d = await download;
  const saved = readFileSync(await d.path());
  assert.match(d.suggestedFilename(), /^demo-widget-backup\.bin$/);
  assert.match(saved.subarray(0, 26).toString(), /^DEMO-WIDGET-FIRMWARE v1\.0/);
  await page.waitForSelector('#result:not([hidden])');
  assert.match(await page.textContent('#result'), /Backup saved/);
  await page.close();
});

test('a file for another device is refused with the reason, nothing written', async () => {
  const fw = bytes(4000, 3);
  writeFileSync(join(dir, 'other.bin'), fw);
  execFileSync('dfu-suffix', ['-v', '1d50', '-p', '6017', '-a', 'other.bin'], { cwd: dir });
  const page = await open('wrong');
  await demo(page, 'stm32f4');
  await page.setInputFiles('#file', join(dir, 'other.bin'));
  await page.waitForSelector('#fit.bad');
  const text = await page.textContent('#fit');
  assert.match(text, /cannot be used/);
  assert.match(text, /1d50:6017/);
  assert.ok(await page.isDisabled('#update'));
  assert.ok(await page.isHidden('#force-label'), 'no "flash anyway" across vendors');
  await page.shot('1-refused');
  // A damaged file: precise message, nothing offered.
  const bad = readFileSync(join(dir, 'other.bin'));
  bad[100] ^= 0xff;
  writeFileSync(join(dir, 'damaged.bin'), bad);
  await page.setInputFiles('#file', join(dir, 'damaged.bin'));
  await page.waitForFunction(() => /damaged/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#fit').textContent));
  assert.ok(await page.isDisabled('#update'));
  const digest = await demoSha(page, 0, 0x08000000, 16);
  assert.equal(digest, sha(Buffer.alloc(16, 0xff)), 'flash still erased');
  // Switching devices keeps the reason in view until another file is chosen.
  await demo(page, 'dfu11-runtime');
  assert.match(await page.textContent('#fit'), /damaged\.bin: .*damaged/);
  assert.ok(await page.isDisabled('#update'));
  await page.close();
});

test('cancel stops the update, leaves the device ready, and a retry succeeds', async () => {
  const app = bytes(400000, 4);
  writeFileSync(join(dir, 'big.bin'), app);
  const page = await open('cancel');
  await demo(page, 'stm32f4');
  await page.setInputFiles('#file', join(dir, 'big.bin'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Writing/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text').textContent), null, { timeout: 30000 });
  await page.click('#cancel');
  await page.click('#stop-go'); // writing has started: Cancel asks first
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  await page.shot('1-cancelled');
  const text = await page.textContent('#result');
  assert.match(text, /Update cancelled/);
  assert.match(text, /ready/);
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 120000 });
  const digest = await demoSha(page, 0, 0x08000000, 400000);
  assert.equal(digest, sha(app));
  await page.close();
});

test('the screen is kept on while an update runs, and let go when it ends or is cancelled', async () => {
  // Spy on Chromium's own wake-lock API: keep every sentinel it hands the page.
  const page = await open('awake', { init: () => {
    window.wakeLocks = [];
    const request = navigator.wakeLock.request.bind(navigator.wakeLock);
    navigator.wakeLock.request = async (type) => {
      const s = await request(type);
      window.wakeLocks.push({ type, s });
      return s;
    };
  } });
  const held = () => page.evaluate(() => window.wakeLocks.filter((w) => !w.s.released).map((w) => w.type));
  const taken = () => page.evaluate(() => window.wakeLocks.length);
  // The browser grants a wake lock asynchronously: a few milliseconds after it was asked
  // for, by when a fast demo update may already be writing.
  const granted = () => page.waitForFunction(() => window.wakeLocks.some((w) => !w.s.released), null, { timeout: 5000 });
  const app = bytes(300000, 6);
  writeFileSync(join(dir, 'awake.bin'), app);
  await demo(page, 'stm32f4');
  assert.deepEqual(await held(), [], 'nothing is held before an update');
  await page.setInputFiles('#file', join(dir, 'awake.bin'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Writing/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text').textContent), null, { timeout: 30000 });
  await granted();
  assert.deepEqual(await held(), ['screen'], 'the screen is held during the write');
  await page.click('#cancel');
  await page.click('#stop-go'); // writing has started: Cancel asks first
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  assert.match(await page.textContent('#result'), /Update cancelled/);
  assert.deepEqual(await held(), [], 'let go after a cancel');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Writing/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text').textContent), null, { timeout: 30000 });
  await granted();
  assert.deepEqual(await held(), ['screen']);
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 120000 });
  assert.deepEqual(await held(), [], 'let go once done');
  assert.equal(await taken(), 2, 'one lock per update');
  assert.equal(await demoSha(page, 0, 0x08000000, app.length), sha(app));
  await page.close();
});

// Files a vendor's link names: served by the test server from the project root.
const linked = join('target', 'e2e-link');

test('a link naming a firmware file on the same site has it chosen, and it flashes', async () => {
  mkdirSync(linked, { recursive: true });
  const app = bytes(30000, 8);
  writeFileSync(join(dir, 'linked.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:linked.bin', '-D', '0x0483:0xdf11', join(process.cwd(), linked, 'widget 2.1.dfu')], { cwd: dir });
  const page = await open('link', { query: `?firmware=${encodeURIComponent(`${linked}/widget 2.1.dfu`)}` });
  await page.waitForSelector('#file-panel:not([hidden])', { timeout: 20000 });
  assert.equal(await page.textContent('#file-name'), 'widget 2.1.dfu');
  assert.match(await page.textContent('#file-panel'), /DfuSe file/);
  await demo(page, 'stm32f4');
  await page.waitForSelector('#fit.ok');
  await page.shot('1-linked');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
  assert.equal(await demoSha(page, 0, 0x08000000, app.length), sha(app));
  await page.close();
});

test('a link to firmware on another site or to a missing file is refused with the reason', async () => {
  const requested = [];
  const page = await open('link-other', { query: '?firmware=https://example.com/evil.dfu' });
  page.on('request', (r) => requested.push(r.url()));
  await page.waitForSelector('#fit:not([hidden])');
  assert.match(await page.textContent('#fit'), /The link names firmware on another site/);
  assert.match(await page.textContent('#fit'), /only from its own site \(http:\/\/127\.0\.0\.1:\d+\)/);
  await demo(page, 'stm32f4');
  assert.match(await page.textContent('#fit'), /another site/, 'the reason stays once a device is connected');
  assert.ok(await page.isDisabled('#update'));
  assert.deepEqual(requested.filter((u) => u.includes('example.com')), []);
  await page.shot('1-other-site');
  await page.close();

  const missing = await open('link-missing', { query: `?firmware=${linked}/missing.dfu` });
  await missing.waitForFunction(() => /Could not download/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#fit').textContent), null, { timeout: 20000 });
  assert.match(await missing.textContent('#fit'), /Could not download missing\.dfu/);
  assert.match(await missing.textContent('#fit'), /HTTP 404/);
  // Choosing a file by hand replaces the message.
  writeFileSync(join(dir, 'hand.bin'), bytes(1000, 9));
  await demo(missing, 'dfu11-runtime');
  await missing.setInputFiles('#file', join(dir, 'hand.bin'));
  await missing.waitForSelector('#fit.pending');
  await missing.close();
});

test("a link's vendor limits the chooser to that maker's DFU devices", async () => {
  // Headless Chromium has no chooser: a spy on the real navigator.usb records the filters
  // and answers as a chooser the user closed.
  const init = () => {
    window.chooser = [];
    navigator.usb.requestDevice = async (o) => {
      window.chooser.push(o.filters.map((f) => ({ ...f })));
      throw new DOMException('No device selected.', 'NotFoundError');
    };
  };
  const filters = async (query) => {
    const page = await open('vendor', { init, query });
    await page.click('#connect');
    await page.waitForFunction(() => window.chooser.length === 1);
    const f = await page.evaluate(() => window.chooser[0]);
    assert.ok(await page.isHidden('#result'), 'a closed chooser is not an error');
    await page.close();
    return f;
  };
  const dfu = { classCode: 0xFE, subclassCode: 0x01 };
  const any = await filters('');
  assert.deepEqual(any[0], dfu, 'any maker: the DFU interface class');
  const one = await filters('?vendor=0x1209');
  assert.deepEqual(one, [{ ...dfu, vendorId: 0x1209 }]);
  const two = await filters('?vendor=0483,1209');
  assert.deepEqual(two, [{ ...dfu, vendorId: 0x0483 }, { ...dfu, vendorId: 0x1209 }]);
  // A maker whose devices hide their DFU interface while running: those are offered too.
  const hiding = await filters('?vendor=1d50');
  assert.deepEqual(hiding[0], { ...dfu, vendorId: 0x1D50 });
  assert.ok(hiding.length > 1 && hiding.every((f) => f.vendorId === 0x1D50));
  assert.deepEqual(await filters('?vendor=nonsense'), any, 'an unreadable vendor changes nothing');
});

test('device text is rendered as text, never as markup', async () => {
  const page = await open('xss');
  await demo(page, 'stm32f4');
  const hostile = '<img src=x onerror="window.pwned=1">.bin';
  writeFileSync(join(dir, 'x.bin'), bytes(100, 5));
  await page.setInputFiles('#file', { name: hostile, mimeType: 'application/octet-stream', buffer: bytes(100, 5) });
  await page.waitForSelector('#file-panel:not([hidden])');
  assert.equal(await page.textContent('#file-name'), hostile);
  assert.equal(await page.$('#file-name img'), null);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await page.close();
});

test('a browser without WebUSB gets a plain explanation and can still try the demo', async () => {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'usb', { get: () => undefined, configurable: true });
  });
  await page.goto(URL);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  assert.ok(await page.isVisible('#unsupported'));
  assert.match(await page.textContent('#unsupported-text'), /Chrome.*Edge/);
  assert.ok(await page.isDisabled('#connect'));
  await demo(page, 'stm32f4');
  assert.match(await page.textContent('#device-name'), /STM32/);
  await page.close();
});

test('a hostile device: markup in its strings shows as text, 40 alt settings do not break the page', async () => {
  const page = await open('hostile');
  // Not among the advertised demos: add it the way a tester would.
  await page.evaluate(() => {
    const o = document.createElement('option');
    o.value = 'hostile';
    o.textContent = 'hostile';
    document.querySelector('dfu-flasher').shadowRoot.querySelector('#demo-profile').append(o);
  });
  await demo(page, 'hostile');
  await page.shot('1-device');
  assert.equal(await page.textContent('#device-name'), '<img src=x onerror=alert(1)>');
  assert.equal(await page.$('#device-panel img'), null);
  assert.equal(await page.$('#device-panel script'), null);
  assert.equal(await page.evaluate(() => window.alerted), undefined);
  const rows = await page.$$('#alts tr');
  assert.ok(rows.length <= 20, `${rows.length} rows`);
  assert.match(await page.textContent('#alts'), /<script>alert\(0\)<\/script>/);
  // It still updates.
  writeFileSync(join(dir, 'h.bin'), bytes(3000, 6));
  await page.setInputFiles('#file', join(dir, 'h.bin'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('closing the tab mid-update asks first; a second update cannot start', async () => {
  const page = await open('unload');
  await demo(page, 'stm32f4');
  writeFileSync(join(dir, 'u.bin'), bytes(900000, 7));
  await page.setInputFiles('#file', join(dir, 'u.bin'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Writing|Erasing/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text').textContent), null, { timeout: 30000 });
  assert.ok(await page.isDisabled('#update'), 'one update at a time');
  assert.ok(await page.isDisabled('#demo'), 'no switching devices mid-update');
  assert.match(await page.textContent('#progress-text'), /Writing|Erasing/, 'still running');
  // The page asks the browser to confirm leaving (headless Chromium shows no dialog).
  const asks = () => page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });
  assert.equal(await asks(), true, 'leaving mid-update asks first');
  await page.click('#cancel');
  await page.click('#stop-go'); // writing has started: Cancel asks first
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  assert.equal(await asks(), false, 'after the update, leaving is free');
  await page.close();
});

test('the device card says its state in plain words; the details are closed until opened, and stay as left', async () => {
  const page = await open('details');
  await demo(page, 'stm32f4');
  assert.equal(await page.textContent('#device-mode'), 'Ready to update');
  assert.equal(await page.$eval('#device-details', (d) => d.open), false);
  assert.equal(await page.isVisible('#alts'), false, 'memory areas behind Details');
  assert.equal(await page.isVisible('#device-facts'), false, 'USB ids behind Details');
  await page.click('#device-details > summary');
  assert.equal(await page.isVisible('#alts'), true);
  assert.match(await page.textContent('#device-facts'), /0483:df11/);
  // Remembered (the toggle event comes a task later): open after a reload.
  const stored = (v) => page.waitForFunction((x) => localStorage.getItem('dfu-flasher-device-details') === x, v);
  await stored('open');
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  await demo(page, 'stm32f4');
  assert.equal(await page.$eval('#device-details', (d) => d.open), true);
  await page.click('#device-details > summary');
  await stored('closed');
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  assert.equal(await page.$eval('#device-details', (d) => d.open), false);
  // Nothing scrolls sideways at phone width, details open.
  await page.setViewportSize({ width: 360, height: 740 });
  await demo(page, 'stm32f4');
  await page.click('#device-details > summary');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `page is ${wide} px wide at 360 px`);
  const cut = await page.$$eval('#alts .table-wrap', (ws) => ws.filter((w) => w.scrollWidth > w.clientWidth + 1).length);
  assert.equal(cut, 0, 'a memory table scrolls sideways');
  await page.shot('phone-details');
  await page.close();
});

test('closing the chooser with nothing picked shows why a device may be missing; the same help is one click away', async () => {
  const init = () => {
    navigator.usb.requestDevice = async () => { throw new DOMException('No device selected.', 'NotFoundError'); };
  };
  const page = await open('help', { init, query: '?help=' + encodeURIComponent('Hold <b>BOOT</b> while you plug Widget in.') + '&help-picture=www/demo/none.png' });
  assert.ok(await page.isHidden('#help'));
  await page.click('#connect');
  await page.waitForSelector('#help:not([hidden])');
  const said = await page.textContent('#help');
  assert.match(said, /No device was chosen/);
  for (const re of [/cable that carries data/, /update mode/, /WinUSB/, /udev/, /other programs and browser tabs/]) assert.match(said, re);
  // The vendor's words, as text (never markup), and the focus on the help.
  assert.match(said, /Hold <b>BOOT<\/b> while you plug Widget in\./);
  assert.equal(await page.$('#help b'), null);
  assert.equal(await page.evaluate(() => document.querySelector('dfu-flasher').shadowRoot.activeElement.id), 'help');
  assert.ok(await page.isHidden('#result'), 'a closed chooser is not an error');
  await page.shot('help');
  // Closed and opened again with the link, without the chooser.
  await page.click('#help-open');
  assert.ok(await page.isHidden('#help'));
  assert.equal(await page.getAttribute('#help-open', 'aria-expanded'), 'false');
  await page.keyboard.press('Enter'); // the link keeps the focus
  await page.waitForSelector('#help:not([hidden])');
  assert.doesNotMatch(await page.textContent('#help'), /No device was chosen/);
  // A picture from another site is not shown.
  const other = await open('help2', { init, query: '?help-picture=' + encodeURIComponent('https://example.com/x.png') });
  await other.click('#help-open');
  assert.ok(await other.isHidden('#help-picture'));
  await other.close();
  await page.close();
});

test('nothing is erased before the customer confirms, and a stop mid-write is asked first', async () => {
  const app = bytes(400000, 12);
  writeFileSync(join(dir, 'confirm.bin'), app);
  const page = await open('confirm');
  await demo(page, 'stm32f4');
  const before = await demoSha(page, 0, 0x08000000, 400000);
  await page.setInputFiles('#file', join(dir, 'confirm.bin'));
  await page.waitForSelector('#fit.ok');
  const focused = () => page.evaluate(() => {
    const r = document.querySelector('dfu-flasher').shadowRoot.activeElement;
    return r ? r.id : null;
  });
  // Update asks first: one sentence naming the device and the one thing to remember.
  await page.click('#update');
  await page.waitForSelector('#confirm:not([hidden])');
  assert.equal(await page.textContent('#confirm-title'), 'Update STM32  Bootloader?');
  assert.equal(await page.textContent('#confirm-text'), 'Keep STM32  Bootloader plugged in until this page says Done.');
  assert.equal(await focused(), 'confirm-go', 'the question has the focus');
  assert.ok(await page.isDisabled('#update'), 'one question at a time');
  await page.shot('1-confirm');
  // "Not now" and Escape both leave the device as it was; Update has the focus again.
  await page.click('#confirm-back');
  assert.ok(await page.isHidden('#confirm'));
  assert.equal(await focused(), 'update');
  await page.click('#update');
  await page.keyboard.press('Escape');
  assert.ok(await page.isHidden('#confirm'));
  assert.ok(await page.isHidden('#progress'), 'nothing started');
  assert.equal(await demoSha(page, 0, 0x08000000, 400000), before, 'nothing was erased or written');
  // Started: the focus goes to Cancel (Update disabled itself), not to the page's body.
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Writing/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text').textContent), null, { timeout: 30000 });
  assert.equal(await focused(), 'cancel');
  // Cancel mid-write asks, says what a stop means, and "Keep updating" goes on to the end.
  await page.click('#cancel');
  await page.waitForSelector('#stop:not([hidden])');
  assert.match(await page.textContent('#stop-text'),
    /^STM32  Bootloader is being written\. If you stop now, it has no working firmware until you update it again\./);
  assert.equal(await focused(), 'stop-back', 'the safe answer has the focus');
  await page.shot('2-stop');
  await page.click('#stop-back');
  assert.ok(await page.isHidden('#stop'));
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 120000 });
  assert.equal(await focused(), 'result');
  assert.equal(await demoSha(page, 0, 0x08000000, 400000), sha(app));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('"Copy details for support" gives the session as plain text: device, file and hash, phases, outcome', async () => {
  const app = bytes(60000, 13);
  writeFileSync(join(dir, 'support.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:support.bin', '-D', '0x0483:0xdf11', 'support.dfu'], { cwd: dir });
  const page = await open('support');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new globalThis.URL(URL).origin });
  await demo(page, 'stm32f4');
  await page.setInputFiles('#file', join(dir, 'support.dfu'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
  await page.click('#support-copy');
  await page.waitForFunction(() => /Copied/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#support-said').textContent));
  const log = await page.evaluate(() => navigator.clipboard.readText());
  const ua = await page.evaluate(() => navigator.userAgent);
  assert.ok(log.includes(ua), 'the browser');
  assert.match(log, /^Page version: \d+\.\d+\.\d+$/m);
  assert.match(log, /^USB id: 0483:df11$/m);
  assert.match(log, /^Product: "STM32  BOOTLOADER"$/m, 'the device\'s string as it gave it');
  assert.match(log, /^File name: "support\.dfu"$/m);
  assert.ok(log.includes(`SHA-256: ${sha(readFileSync(join(dir, 'support.dfu')))}`), 'the file\'s hash, as sha256sum has it');
  const phases = [...log.matchAll(/^Phase: (\w+)$/gm)].map((m) => m[1]);
  for (const p of ['erase', 'write', 'verify']) assert.ok(phases.includes(p), `phase ${p} in ${phases}`);
  assert.match(log, /^Result: success$/m);
  assert.doesNotMatch(log, /<|>/, 'plain text');
  assert.deepEqual(page.errors, []);
  await page.close();
  // Where the clipboard is refused, the log is shown, selected, to copy by hand.
  const denied = await open('support-denied');
  await denied.evaluate(() => { Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) } }); });
  await denied.click('#support-copy');
  await denied.waitForSelector('#support-log:not([hidden])');
  assert.match(await denied.inputValue('#support-log'), /^dfu-flasher support log/);
  assert.match(await denied.textContent('#support-said'), /copy them with Ctrl\+C/);
  await denied.close();
});
