// The page as a vendor's one-click updater (`?catalog=`), against the demo widget: the
// offer for the installed version, the update through detach and re-pairing ending in the
// version read back from the device, files that are not the published ones refused before
// anything is written, catalogs and files that cannot be had explained, the up-to-date,
// reinstall, beta and downgrade states, and release notes as text. Catalogs and files other
// than the committed demo are served by the test itself (Playwright routes), written here
// by hand. What the device holds is read from the simulator (`demoMemory`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as edSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const SHOTS = process.env.E2E_SCREENSHOTS || '';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

const sha = (b) => createHash('sha256').update(b).digest('hex');
const demoFile = (v) => readFileSync(join('www', 'demo', `widget-${v}.dfu`));

/// A catalog for the demo widget, by hand: `releases` as [version, channel, file, bytes].
function catalog(releases, notes = {}) {
  return JSON.stringify({
    format: 'dfu-flasher-catalog/1',
    vendor: 'Example Gadgets',
    products: [{
      id: 'demo-widget',
      name: 'Demo Widget',
      devices: [{ vid: '1209', pid: '2301', mode: 'runtime' }, { vid: '1209', pid: '2302', mode: 'dfu' }],
      version: 'bcd',
      releases: releases.map(([version, channel, file, bytes]) => ({
        version, channel, file, size: bytes.length, sha256: sha(bytes), notes: notes[version] || {},
      })),
    }],
  });
}

/// Open the page as the updater for `catalogPath`; `routes`: {path: body | status} served
/// under /e2e/ by the test.
async function open(name, catalogPath, routes = {}, { viewport = { width: 1000, height: 1200 }, query = '', key = null } = {}) {
  const page = await browser.newPage({ viewport });
  if (key) {
    // The page as a vendor configures it: their public key in a <meta>.
    await page.route((u) => u.pathname === '/', async (route) => {
      const r = await route.fetch();
      const html = (await r.text()).replace('<head>', `<head><meta name="dfu-flasher-catalog-key" content="${key}">`);
      await route.fulfill({ response: r, body: html });
    });
  }
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.requests = [];
  page.on('request', (r) => page.requests.push(r.url()));
  await page.route('**/e2e/**', (route) => {
    const path = new globalThis.URL(route.request().url()).pathname.replace(/^\/e2e\//, '');
    const r = routes[path];
    if (r === undefined) return route.fulfill({ status: 404, body: 'not found' });
    if (typeof r === 'number') return route.fulfill({ status: r, body: '' });
    return route.fulfill({ status: 200, body: r, contentType: 'application/octet-stream' });
  });
  await page.goto(`${URL}?catalog=${catalogPath}${query}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  page.shot = async (step) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `catalog-${name}-${step}.png`), fullPage: true });
  };
  page.errors = errors;
  return page;
}

async function demo(page, profile = 'dfu11-runtime') {
  await page.selectOption('#demo-profile', profile);
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
  // The catalog may still be on its way: the offer follows when it is read.
  await page.waitForFunction(() => !/Loading/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
}

const text = (page, sel) => page.textContent(sel).then((t) => t.trim());
const memory = (page, n = 27) => page.evaluate((len) => {
  const m = window.dfuPage.device.demoMemory(0, 0, len);
  return m ? new TextDecoder().decode(m) : null;
}, n);

/// Press the offer's main button and go through the demo's re-pair step to the end.
async function runOffer(page, button = '#offer-action') {
  await page.click(button);
  await page.click('#confirm-go');
  await page.waitForSelector('#repair:not([hidden])', { timeout: 30000 });
  await page.click('#repair-button');
  await page.waitForFunction(() => {
    const r = document.querySelector('dfu-flasher').shadowRoot.querySelector('#result');
    return !r.hidden && /runs|still reports|not come back|failed|not the one/.test(r.textContent);
  }, null, { timeout: 60000 });
}

test('one click updates the demo widget from 1.00 to 1.10 and reads the new version back', async () => {
  const page = await open('update', 'www/demo/catalog.json');
  await page.waitForFunction(() => !/Loading/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
  assert.match(await text(page, '#offer-status'), /Connect your Demo Widget/);
  assert.match(await text(page, '.lead'), /Update your Demo Widget from this page/);
  await demo(page);
  assert.equal(await text(page, '#offer-status'), 'Demo Widget 1.10 is available');
  assert.equal(await text(page, '#offer-action'), 'Update Demo Widget from 1.00 to 1.10');
  assert.equal(await text(page, '#offer-notes'), 'Fixes the battery gauge reading after a deep discharge.');
  assert.match(await text(page, '#offer-meta'), /^1\.10 · 20 November 2026 · 5\.9 KiB$/);
  assert.ok(await page.isHidden('#step-file'), 'no file to choose');
  await page.shot('1-offer');
  await runOffer(page);
  assert.equal(await text(page, '#result h3'), 'Demo Widget now runs 1.10');
  assert.match(await page.getAttribute('#result', 'class'), /ok/);
  assert.equal(await memory(page), 'DEMO-WIDGET-FIRMWARE v1.10\n');
  // Now up to date, with a quieter Reinstall; no "Update" button.
  assert.equal(await text(page, '#offer-status'), 'Demo Widget is up to date (1.10)');
  assert.ok(await page.isHidden('#offer-action'));
  assert.equal(await text(page, '#offer-secondary'), 'Reinstall 1.10');
  await page.shot('2-done');
  // The beta switch shows 1.20.
  await page.check('#beta');
  assert.equal(await text(page, '#offer-action'), 'Update Demo Widget from 1.10 to 1.20');
  assert.match(await text(page, '#offer-meta'), /1\.20 \(beta\)/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a file that is not the published one is refused before anything is written', async () => {
  const good = demoFile('1.10');
  const oneByte = Buffer.from(good);
  oneByte[100] ^= 0x01;
  const longer = Buffer.concat([good, Buffer.from([0])]);
  const cat = catalog([['1.10', 'stable', 'widget.dfu', good]]);
  for (const [what, body, expect] of [
    ['one byte changed', oneByte, /Its SHA-256 is [0-9a-f]{64}, where the published file's is/],
    ['one byte longer', longer, /It is 5\.9 KiB long, where the published file is 5\.9 KiB/],
  ]) {
    const page = await open('tampered', 'e2e/catalog.json', { 'catalog.json': cat, 'widget.dfu': body });
    await demo(page);
    await page.click('#offer-action');
    await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
    assert.equal(await text(page, '#result h3'), 'The downloaded file is not the one the vendor published', what);
    const said = await text(page, '#result');
    assert.match(said, expect, what);
    assert.match(said, /Nothing was written to your device/, what);
    // The device was never switched to update mode and still holds 1.00.
    assert.equal(await memory(page), 'DEMO-WIDGET-FIRMWARE v1.00\n', what);
    assert.match(await text(page, '#device-mode'), /Running firmware/, what);
    assert.ok(await page.isHidden('#repair'), what);
    await page.close();
  }
});

test('catalogs and files that cannot be had are explained', async () => {
  // No catalog at that address.
  let page = await open('missing', 'e2e/nothing.json');
  await page.waitForFunction(() => /could not/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
  assert.equal(await text(page, '#offer-status'), 'The firmware list could not be loaded');
  assert.match(await text(page, '#offer-details'), /HTTP 404/);
  await page.close();
  // A web page where the catalog should be.
  page = await open('html', 'e2e/catalog.json', { 'catalog.json': '<!doctype html><title>Oops</title>' });
  await page.waitForFunction(() => /could not/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
  assert.equal(await text(page, '#offer-status'), 'The firmware list could not be read');
  assert.match(await text(page, '#offer-details'), /not JSON/);
  await page.close();
  // A catalog with errors: each named with its field.
  const broken = JSON.parse(catalog([['1.10', 'stable', 'widget.dfu', demoFile('1.10')]]));
  broken.products[0].releases[0].sha256 = 'abc';
  delete broken.products[0].devices[1].mode;
  page = await open('broken', 'e2e/catalog.json', { 'catalog.json': JSON.stringify(broken) });
  await page.waitForFunction(() => /could not/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
  const details = await text(page, '#offer-details');
  assert.match(details, /products\[0\]\.devices\[1\]\.mode: is missing/);
  assert.match(details, /products\[0\]\.releases\[0\]\.sha256: must be the file's SHA-256 as 64 hex digits; this has 3 characters/);
  await page.shot('broken');
  await page.close();
  // A catalog on another site is not read at all.
  page = await open('elsewhere', 'https://example.com/catalog.json');
  await page.waitForFunction(() => /another site/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
  assert.ok(!page.requests.some((u) => u.startsWith('https://example.com')), 'nothing fetched from the other site');
  await page.close();
  // A release whose file is not there.
  page = await open('nofile', 'e2e/catalog.json', {
    'catalog.json': catalog([['1.10', 'stable', 'gone.dfu', demoFile('1.10')]]),
  });
  await demo(page);
  await page.click('#offer-action');
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  assert.equal(await text(page, '#result h3'), 'The firmware could not be downloaded');
  assert.match(await text(page, '#result'), /does not have gone\.dfu \(HTTP 404\)/);
  assert.equal(await memory(page), 'DEMO-WIDGET-FIRMWARE v1.00\n');
  await page.close();
});

test('newer than any release, downgrade on purpose, beta by address, notes as text', async () => {
  const hostile = '<img src=x onerror="window.pwned=1"> <b>bold</b> & more';
  const cat = catalog([
    ['1.00', 'stable', 'w100.dfu', demoFile('1.10')],
    ['0.90', 'stable', 'w090.dfu', demoFile('1.10')],
  ], { '1.00': { en: hostile } });
  // The widget runs 1.00 = the newest stable here: up to date, with the hostile notes.
  let page = await open('notes', 'e2e/catalog.json', { 'catalog.json': cat });
  await demo(page);
  assert.equal(await text(page, '#offer-status'), 'Demo Widget is up to date (1.00)');
  assert.equal(await page.textContent('#offer-notes'), hostile);
  assert.equal(await page.$$eval('#offer-notes *', (n) => n.length), 0, 'rendered as text');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  // The older release is offered only deliberately, with a warning.
  await page.click('#offer-other summary');
  await page.selectOption('#offer-choice', '0.90');
  assert.match(await text(page, '#offer-warning'), /Demo Widget runs 1\.00, which is newer\. Installing 0\.90 goes back to an older version/);
  await page.close();
  // Only older releases than the device runs: said as such, no Update button.
  const older = catalog([['0.90', 'stable', 'w090.dfu', demoFile('1.10')]]);
  page = await open('newer', 'e2e/catalog.json', { 'catalog.json': older });
  await demo(page);
  assert.equal(await text(page, '#offer-status'), 'Demo Widget runs 1.00, newer than any release on this page');
  assert.ok(await page.isHidden('#offer-action'));
  assert.ok(await page.isHidden('#offer-secondary'));
  await page.shot('newer');
  await page.close();
  // ?channel=beta shows the beta release from the start.
  page = await open('beta', 'www/demo/catalog.json', {}, { query: '&channel=beta' });
  await demo(page);
  assert.ok(await page.isChecked('#beta'));
  assert.equal(await text(page, '#offer-action'), 'Update Demo Widget from 1.00 to 1.20');
  await runOffer(page);
  assert.equal(await text(page, '#result h3'), 'Demo Widget now runs 1.20');
  // Back on the stable channel, 1.20 is newer than any stable release; 1.10 is a downgrade.
  await page.uncheck('#beta');
  assert.equal(await text(page, '#offer-status'), 'Demo Widget runs 1.20, newer than any release on this page');
  await page.close();
});

test('a device the catalog does not cover is told so, with the products it does', async () => {
  const page = await open('unknown', 'www/demo/catalog.json', {}, { viewport: { width: 360, height: 740 } });
  await demo(page, 'stm32f4');
  assert.match(await text(page, '#offer-status'), /^This page does not update STM32/);
  assert.match(await text(page, '#offer-details'), /This page updates Example Gadgets devices: Demo Widget\./);
  assert.ok(await page.isHidden('#offer-action'));
  await page.shot('unknown-phone');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `no sideways scrolling at 360 px (${wide})`);
  await page.close();
});

/// An Ed25519 key pair made by Node (independent of the page and of the CLI).
function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return { hex: raw.toString('hex'), sign: (text) => edSign(null, Buffer.from(text), privateKey).toString('hex') };
}

test('a page configured with the vendor key uses only a catalog signed with it', async () => {
  const vendor = keyPair();
  const stranger = keyPair();
  const cat = catalog([['1.10', 'stable', 'widget.dfu', demoFile('1.10')]]);
  const trust = async (routes) => {
    const page = await open('signed', 'e2e/catalog.json', { 'catalog.json': cat, 'widget.dfu': demoFile('1.10'), ...routes }, { key: vendor.hex });
    await page.waitForFunction(() => !/Loading/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-status').textContent));
    return page;
  };
  // Signed by the vendor: the page offers the update.
  let page = await trust({ 'catalog.json.sig': vendor.sign(cat) + '\n' });
  assert.match(await text(page, '#offer-status'), /Connect your Demo Widget/);
  await demo(page);
  assert.equal(await text(page, '#offer-status'), 'Demo Widget 1.10 is available');
  await page.close();
  // Signed with another key, unsigned, or the catalog changed after signing: refused.
  for (const [what, routes, said] of [
    ['another key', { 'catalog.json.sig': stranger.sign(cat) }, /does not match/],
    ['unsigned', {}, /has no signature/],
    ['changed', { 'catalog.json': cat.replace('Example Gadgets', 'Example Gadgetz'), 'catalog.json.sig': vendor.sign(cat) }, /does not match/],
    ['damaged signature', { 'catalog.json.sig': 'not a signature' }, /damaged/],
  ]) {
    page = await trust(routes);
    assert.equal(await text(page, '#offer-status'), 'The firmware list could not be trusted', what);
    assert.match(await text(page, '#offer-details'), said, what);
    await demo(page);
    assert.ok(await page.isHidden('#offer-action'), what);
    await page.close();
  }
});

test('cancel during the download, a broken connection, and a release for another alt setting', async () => {
  const good = demoFile('1.10');
  const cat = catalog([['1.10', 'stable', 'slow.dfu', good]]);
  // The server takes 3 s to answer: Cancel ends the wait at once, nothing written.
  let page = await open('cancel-download', 'e2e/catalog.json', { 'catalog.json': cat });
  await page.route('**/e2e/slow.dfu', async (route) => {
    await new Promise((r) => setTimeout(r, 3000));
    await route.fulfill({ status: 200, body: good }).catch(() => {});
  });
  await demo(page);
  await page.click('#offer-action');
  await page.waitForSelector('#cancel:not([hidden])');
  const t0 = Date.now();
  await page.click('#cancel');
  await page.waitForSelector('#result:not([hidden])', { timeout: 10000 });
  assert.ok(Date.now() - t0 < 2500, `cancelled within ${Date.now() - t0} ms`);
  assert.equal(await text(page, '#result h3'), 'Update cancelled');
  assert.match(await text(page, '#result'), /Nothing was written to your device/);
  assert.match(await page.getAttribute('#result', 'class'), /note/);
  assert.equal(await memory(page), 'DEMO-WIDGET-FIRMWARE v1.00\n');
  // The page is usable again: the update goes through.
  await page.unroute('**/e2e/slow.dfu');
  await page.route('**/e2e/slow.dfu', (route) => route.fulfill({ status: 200, body: good }));
  await runOffer(page);
  assert.equal(await text(page, '#result h3'), 'Demo Widget now runs 1.10');
  await page.close();
  // The connection breaks: said so, nothing written.
  page = await open('broken-connection', 'e2e/catalog.json', { 'catalog.json': cat });
  await page.route('**/e2e/slow.dfu', (route) => route.abort('connectionreset'));
  await demo(page);
  await page.click('#offer-action');
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  assert.equal(await text(page, '#result h3'), 'The firmware could not be downloaded');
  assert.match(await text(page, '#result'), /The download did not complete/);
  assert.equal(await memory(page), 'DEMO-WIDGET-FIRMWARE v1.00\n');
  await page.close();
  // A release for alt setting 1 (the widget's settings area) is written there, not over
  // the firmware.
  const settings = JSON.parse(cat);
  settings.products[0].releases[0].alt = 1;
  page = await open('alt', 'e2e/catalog.json', { 'catalog.json': JSON.stringify(settings), 'slow.dfu': good });
  await demo(page);
  await runOffer(page);
  const alt1 = await page.evaluate(() => new TextDecoder().decode(window.dfuPage.device.demoMemory(1, 0, 27)));
  assert.equal(alt1, 'DEMO-WIDGET-FIRMWARE v1.10\n');
  assert.equal(await memory(page), 'DEMO-WIDGET-FIRMWARE v1.00\n', 'the firmware area untouched');
  await page.close();
});

test('a file on another site that does not allow the page, and a device that does not come back', { timeout: 90000 }, async () => {
  // Another site without CORS permission (and not in the page's connect-src): refused by
  // the browser, said as such.
  const cat = catalog([['1.10', 'stable', 'https://cdn.example.com/widget.dfu', demoFile('1.10')]]);
  let page = await open('cors', 'e2e/catalog.json', { 'catalog.json': cat });
  await page.route('https://cdn.example.com/**', (route) => route.fulfill({ status: 200, body: demoFile('1.10') }));
  await demo(page);
  await page.click('#offer-action');
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  assert.equal(await text(page, '#result h3'), 'The firmware could not be downloaded');
  assert.match(await text(page, '#result'), /may not allow this page to download it: tell Example Gadgets/);
  assert.equal(await memory(page), 'DEMO-WIDGET-FIRMWARE v1.00\n');
  await page.close();
  // The STM32 ROM leaves for its firmware and does not come back as a USB device: after
  // the stated 30 s the page says what to do.
  const rom = JSON.stringify({
    format: 'dfu-flasher-catalog/1', vendor: 'Example Gadgets',
    products: [{ id: 'board', name: 'Board', version: 'none', devices: [{ vid: '0483', pid: 'df11', mode: 'dfu' }],
      releases: [{ version: '3', file: 'board.bin', size: 0, sha256: '' }] }],
  });
  const image = Buffer.alloc(4096);
  for (let i = 0; i < image.length; i++) image[i] = (i * 7 + 1) & 0xff;
  image.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  const romCat = JSON.parse(rom);
  romCat.products[0].releases[0].size = image.length;
  romCat.products[0].releases[0].sha256 = sha(image);
  page = await open('not-back', 'e2e/catalog.json', { 'catalog.json': JSON.stringify(romCat), 'board.bin': image });
  await demo(page, 'stm32f4');
  assert.equal(await text(page, '#offer-action'), 'Install Board 3');
  await page.click('#offer-action');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /has not come back/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
  assert.equal(await text(page, '#result h3'), 'Board has not come back');
  assert.match(await text(page, '#result'), /did not restart into it within 30 seconds\. Unplug it, plug it back in/);
  await page.close();
});
