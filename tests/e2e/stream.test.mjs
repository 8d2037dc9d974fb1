// End-to-end (demo): an image larger than memory should hold. A 200 MB DFU-suffixed disk
// image is checked in slices, written to a partition of the demo U-Boot board chosen on
// the page, read back and compared block by block, while the page's memory stays far
// below the image's size. Checked against the bytes the simulated partition holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const SHOTS = process.env.E2E_SCREENSHOTS || '';
const dir = mkdtempSync(join(tmpdir(), 'dfu-stream-'));
let browser;

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); rmSync(dir, { recursive: true, force: true }); });

// A disk image: 4 KiB of data at the start of every MiB, zeros between (as file systems
// are), and a DFU suffix for the sunxi U-Boot ids with its CRC.
function diskImage(mib) {
  const b = Buffer.alloc(mib << 20);
  for (let m = 0; m < mib; m++) {
    for (let i = 0; i < 4096; i++) b[(m << 20) + i] = ((m * 131 + i * 7) & 0xff) | 1;
  }
  const s = Buffer.from([0x81, 0x7e, 0x10, 0x10, 0x3a, 0x1f, 0x00, 0x01, 0x55, 0x46, 0x44, 16, 0, 0, 0, 0]);
  const head = Buffer.concat([b, s.subarray(0, 12)]);
  s.writeUInt32LE((~crc32(head)) >>> 0, 12);
  return { payload: b, file: Buffer.concat([b, s]) };
}
const sha = (b) => createHash('sha256').update(b).digest('hex');
const root = "document.querySelector('dfu-flasher').shadowRoot";

test('a 200 MB image is streamed from the file to the chosen partition, with bounded memory', async () => {
  const { payload, file } = diskImage(200);
  writeFileSync(join(dir, 'rootfs.img.dfu'), file);
  const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await page.context().newCDPSession(page);
  await page.goto(URL);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  await page.selectOption('#demo-profile', 'uboot-emmc');
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
  await page.setInputFiles('#file', join(dir, 'rootfs.img.dfu'));
  await page.waitForSelector('#file-panel:not([hidden])', { timeout: 60000 });
  // Three partitions: the page asks where it goes (their names are the device's).
  await page.waitForSelector('#alt-box:not([hidden])');
  const names = await page.$$eval('#alt-select option', (o) => o.map((x) => x.textContent));
  assert.deepEqual(names, ['u-boot', 'boot', 'rootfs']);
  assert.equal(await page.inputValue('#alt-select'), '0', 'the first, until the user chooses');
  await page.selectOption('#alt-select', '2');
  await page.waitForSelector('#fit.ok');
  await page.screenshot({ path: join(SHOTS || dir, 'stream-chosen.png') });
  const mem = await page.evaluate(() => import('/www/pkg/dfu_flasher_plain.js').then((m) => m.memoryBytes()));
  let heapPeak = 0;
  const sampler = setInterval(async () => {
    try { heapPeak = Math.max(heapPeak, (await cdp.send('Runtime.getHeapUsage')).usedSize); } catch (_) { /* closing */ }
  }, 250);
  const t0 = Date.now();
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForSelector('#result:not([hidden])', { timeout: 600000 });
  clearInterval(sampler);
  const ms = Date.now() - t0;
  const said = await page.textContent('#result');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'stream-done.png'), fullPage: true });
  assert.match(said, /Done!/, said);
  assert.match(said, /Checked: the device holds exactly this firmware\./, said);
  const wasm = await page.evaluate(() => import('/www/pkg/dfu_flasher_plain.js').then((m) => m.memoryBytes()));
  // What the partition holds, read in slices.
  const held = await page.evaluate(async (len) => {
    const d = window.dfuPage.device;
    const parts = [];
    for (let at = 0; at < len; at += 8 << 20) parts.push(d.demoMemory(2, at, Math.min(8 << 20, len - at)));
    const all = new Uint8Array(len);
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    const h = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    return Array.from(h, (x) => x.toString(16).padStart(2, '0')).join('');
  }, payload.length);
  assert.equal(held, sha(payload));
  console.log(`# 200 MB streamed in ${ms} ms; wasm memory ${mem >> 20} MiB before, ${wasm >> 20} MiB at the end; JS heap peak ${(heapPeak / 1048576).toFixed(1)} MiB`);
  // The image is not held: far less memory than its 200 MB.
  assert.ok(wasm < 64 << 20, `wasm memory ${wasm}`);
  assert.ok(heapPeak < 64 << 20, `JS heap ${heapPeak}`);
  assert.deepEqual(errors, []);
  await page.close();
});
