// End-to-end: the first screen is usable before the wasm is downloaded, and the rest of
// the updater comes when the user acts. Before any action the page has fetched only its
// first screen (no wasm, no wasm glue, no flasher-app.js); the chooser opened before the
// wasm is here asks the browser for exactly the devices the wasm's own chooser asks for;
// a file chosen, the demo, a catalog each bring the rest; the demo chip's module (the
// simulator) comes only with the demo; a download that fails says so in the customer's
// words and the next click tries again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

// The rest of the updater: any of these fetched means it was downloaded.
const REST = /\/(flasher-app\.js|pkg\/|timer-worker\.js|lang\/[a-z]+\.json$)/;

async function open(query = '', { locale = 'en-US' } = {}) {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.fetched = [];
  page.on('request', (r) => page.fetched.push(new globalThis.URL(r.url()).pathname));
  // The browser's chooser cannot be driven headless: record what it is asked for, and
  // answer as a customer closing it without picking anything does.
  await page.addInitScript(() => {
    window.chooserAsked = [];
    if (navigator.usb) {
      navigator.usb.requestDevice = (opts) => {
        window.chooserAsked.push(JSON.parse(JSON.stringify(opts.filters)));
        return Promise.reject(new DOMException('No device selected.', 'NotFoundError'));
      };
    }
  });
  await page.goto(URL + query);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  page.done = () => context.close();
  return page;
}
const rest = (page) => page.fetched.filter((p) => REST.test(p));
// The demo chip's module (its glue or its wasm) was downloaded.
const demoChip = (page) => page.fetched.some((p) => /\/pkg\/dfu_demo/.test(p));
// Which builds of the page's wasm were downloaded: with the catalog, without it.
const pageWasm = (page) => ({
  catalog: page.fetched.some((p) => p.endsWith('/pkg/dfu_flasher_bg.wasm')),
  plain: page.fetched.some((p) => p.endsWith('/pkg/dfu_flasher_plain_bg.wasm')),
});

test('before the user acts, only the first screen is fetched, and it is worded and usable', async () => {
  const page = await open();
  await page.waitForTimeout(1500); // nothing more arrives by itself
  assert.deepEqual(rest(page), []);
  assert.ok(page.fetched.some((p) => p.endsWith('/lang/en.first.json')));
  assert.equal((await page.textContent('#connect')).trim(), 'Connect device');
  assert.equal(await page.isEnabled('#connect'), true);
  assert.match(await page.textContent('#demo-profile'), /Demo Widget/);
  assert.equal(await page.evaluate(() => window.dfuPage), null);
  // In German from the browser's languages, before the wasm too.
  const de = await open('', { locale: 'de-DE' });
  await de.waitForTimeout(500);
  assert.deepEqual(rest(de), []);
  assert.equal((await de.textContent('#connect')).trim(), 'Gerät verbinden');
  assert.equal(await de.evaluate(() => document.title), 'Firmware-Update');
  assert.deepEqual(page.errors.concat(de.errors), []);
  await page.done();
  await de.done();
});

test('connecting before the wasm asks for what the wasm asks for, and a closed chooser brings the help', async () => {
  // Vendor ids as a vendor may write them: duplicates, 0x, junk.
  const page = await open('?vendor=0483, 0x1d50,1D50,zz,12345');
  await page.click('#connect');
  // The customer closed the chooser: the help says why a device may be missing.
  await page.waitForSelector('#help:not([hidden])', { timeout: 20000 });
  assert.match(await page.textContent('#help-lead'), /\S/);
  assert.ok(rest(page).some((p) => p.endsWith('.wasm')));
  // Again, now through the wasm's own chooser.
  await page.click('#connect');
  await page.waitForFunction(() => window.chooserAsked.length === 2);
  const [first, wasm] = await page.evaluate(() => window.chooserAsked);
  assert.deepEqual(first, wasm);
  assert.equal(demoChip(page), false, 'a real device needs no simulator');
  assert.deepEqual(pageWasm(page), { catalog: false, plain: true }, 'no catalog: the page\'s wasm without the catalog code');
  assert.equal(page.fetched.some((p) => p.endsWith('/flasher-catalog.js')), false, 'no catalog: nor the glue of its offer');
  // And what both asked for, written out: DFU interfaces of the two vendors, and the
  // devices of theirs that hide their DFU interface while they run.
  assert.deepEqual(first, [
    { vendorId: 0x0483, classCode: 0xfe, subclassCode: 0x01 },
    { vendorId: 0x1d50, classCode: 0xfe, subclassCode: 0x01 },
    { vendorId: 0x1d50, productId: 0x5119 },
    { vendorId: 0x1d50, productId: 0x60a7 },
  ]);
  assert.deepEqual(page.errors, []);
  await page.done();
});

test('a file chosen before the wasm is checked once it is here', async () => {
  const page = await open();
  // A program (a Cortex-M vector table ahead of its code), as firmware is.
  const fw = Buffer.alloc(4096);
  for (let i = 0; i < fw.length; i++) fw[i] = (i * 31 + (i >> 8)) & 0xff;
  fw.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  await page.setInputFiles('#file', { name: 'app.bin', mimeType: 'application/octet-stream', buffer: fw });
  await page.waitForSelector('#file-panel:not([hidden])', { timeout: 20000 });
  assert.match(await page.textContent('#file-name'), /app\.bin/);
  assert.deepEqual(page.errors, []);
  await page.done();
});

test('a catalog brings the rest at once', async () => {
  const page = await open('?catalog=www/demo/catalog.json');
  await page.waitForFunction(() => window.dfuPage !== null, null, { timeout: 20000 });
  assert.ok(rest(page).some((p) => p.endsWith('.wasm')));
  await page.waitForTimeout(500);
  assert.equal(demoChip(page), false, 'a catalog needs no simulator');
  assert.deepEqual(pageWasm(page), { catalog: true, plain: false }, 'the page\'s wasm with the catalog code, only');
  assert.ok(page.fetched.some((p) => p.endsWith('/flasher-catalog.js')), 'and the glue of its offer');
  // The catalog is read and offers its products.
  await page.waitForFunction(() => /Connect/.test(document.querySelector('dfu-flasher').shadowRoot.getElementById('offer-status').textContent), null, { timeout: 20000 });
  assert.deepEqual(page.errors, []);
  await page.done();
});

test('an element given a catalog after the page loaded the updater without it says so, and reads nothing', async () => {
  const page = await open();
  await page.click('#connect');
  await page.waitForSelector('#help:not([hidden])', { timeout: 20000 });
  assert.deepEqual(pageWasm(page), { catalog: false, plain: true });
  await page.evaluate(() => {
    const e = document.createElement('dfu-flasher');
    e.id = 'late';
    e.setAttribute('catalog', 'www/demo/catalog.json');
    document.body.append(e);
  });
  const said = () => page.evaluate(() => {
    const r = document.getElementById('late').shadowRoot;
    return [r.getElementById('offer-status').textContent, r.getElementById('offer-details').textContent];
  });
  await page.waitForFunction(() => /could not be loaded/.test(document.getElementById('late').shadowRoot.getElementById('offer-status').textContent), null, { timeout: 20000 });
  const [title, details] = await said();
  assert.equal(title, 'The firmware list could not be loaded');
  assert.match(details, /give the element its catalog attribute before it is added to the page/);
  assert.equal(page.fetched.some((p) => p.endsWith('/catalog.json')), false, 'the catalog is not read');
  assert.deepEqual(pageWasm(page), { catalog: false, plain: true }, 'one wasm instance for the page');
  await page.done();
});

test('the demo chip comes only with the demo; a failed download of it says so, and the next click tries again', async () => {
  const page = await open();
  await page.click('#connect');
  await page.waitForSelector('#help:not([hidden])', { timeout: 20000 });
  assert.equal(demoChip(page), false);
  await page.route('**/dfu_demo_bg.wasm', (r) => r.abort('internetdisconnected'));
  await page.click('#demo');
  await page.waitForSelector('#result:not([hidden])', { timeout: 20000 });
  const said = await page.textContent('#result');
  assert.match(said, /Could not open the device/);
  assert.match(said, /internet connection/);
  await page.unroute('**/dfu_demo_bg.wasm');
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])', { timeout: 20000 });
  assert.equal(await page.isHidden('#result'), true);
  assert.match(await page.textContent('#device-panel'), /Demo Widget/);
  assert.deepEqual(page.errors, []);
  await page.done();
});

test('when the rest cannot be downloaded the page says so, and the next click tries again', async () => {
  const page = await open();
  await page.route('**/*.wasm', (r) => r.abort('internetdisconnected'));
  await page.click('#demo');
  await page.waitForSelector('#result:not([hidden])', { timeout: 20000 });
  const said = await page.textContent('#result');
  assert.match(said, /The page could not start/);
  assert.match(said, /internet connection/);
  await page.unroute('**/*.wasm');
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])', { timeout: 20000 });
  assert.equal(await page.isHidden('#result'), true);
  await page.done();
});
