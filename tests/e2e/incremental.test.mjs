// End-to-end (demo): an update writes only what changed. Reinstalling the same firmware
// erases and writes nothing; after the cable slips mid-write, the retry resumes with the
// sectors that were not finished. Checked against what the simulated device holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const SHOTS = process.env.E2E_SCREENSHOTS || '';
const dir = mkdtempSync(join(tmpdir(), 'dfu-inc-'));
let browser;

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

function program(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 29 + seed + (i >> 9)) & 0xff;
  b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  return b;
}
const sha = (b) => createHash('sha256').update(b).digest('hex');
const root = "document.querySelector('dfu-flasher').shadowRoot";

async function open(name) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(URL);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  await page.selectOption('#demo-profile', 'stm32f4');
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
  // Every note the progress shows.
  await page.evaluate((r) => {
    window.notes = [];
    const n = eval(r).querySelector('#progress-note');
    new MutationObserver(() => { if (n.textContent) window.notes.push(n.textContent); })
      .observe(n, { childList: true, characterData: true, subtree: true });
  }, root);
  page.shot = async (step) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `incremental-${name}-${step}.png`), fullPage: true });
  };
  return page;
}

async function update(page) {
  const t0 = Date.now();
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForSelector('#result:not([hidden])', { timeout: 120000 });
  return Date.now() - t0;
}

const held = (page, n) => page.evaluate(async (len) => {
  const b = window.dfuPage.device.demoMemory(0, 0x08000000, len);
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
}, n);

test('reinstalling the same firmware erases and writes nothing, says so, and is fast', async () => {
  const fw = program(256 * 1024, 1);
  writeFileSync(join(dir, 'same.bin'), fw);
  const page = await open('reinstall');
  await page.setInputFiles('#file', join(dir, 'same.bin'));
  await page.waitForSelector('#fit.ok');
  const first = await update(page);
  assert.match(await page.textContent('#result'), /Wrote 256 KiB\./);
  assert.equal(await held(page, fw.length), sha(fw));
  // The device restarted into its firmware; put back in update mode, it is the same chip.
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
  await page.waitForSelector('#fit.ok');
  await page.evaluate(() => { window.notes = []; });
  const again = await update(page);
  await page.shot('done');
  const said = await page.textContent('#result');
  assert.match(said, /Nothing needed writing: STM32\s+BOOTLOADER already held this firmware\./);
  assert.match(said, /Checked: the device holds exactly this firmware\./);
  const notes = await page.evaluate(() => window.notes);
  assert.ok(notes.includes('All 6 sectors already hold this firmware: nothing to erase or write.'), JSON.stringify(notes));
  assert.ok(again < first * 0.5, `reinstall took ${again} ms, the first update ${first} ms`);
  assert.equal(await held(page, fw.length), sha(fw));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('after the cable slips at 75 %, the retry resumes with the unfinished sectors', async () => {
  const fw = program(256 * 1024, 2);
  writeFileSync(join(dir, 'resume.bin'), fw);
  const page = await open('resume');
  await page.setInputFiles('#file', join(dir, 'resume.bin'));
  await page.waitForSelector('#fit.ok');
  // In sector 5 (0x08020000–0x0803FFFF): sectors 0–4 (128 KiB) are finished by then.
  assert.equal(await page.evaluate(() => window.dfuPage.device.demoUnplugAt(0x08030000)), true);
  await update(page);
  await page.shot('cut');
  assert.doesNotMatch(await page.textContent('#result'), /Done!/);
  // Plugged back in, it is in update mode: connect it again, as the message says.
  await page.waitForFunction(() => !window.dfuPage.busy);
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
  await page.waitForSelector('#fit.ok');
  await page.evaluate(() => { window.notes = []; });
  await update(page);
  await page.shot('resumed');
  const notes = await page.evaluate(() => window.notes);
  const said = await page.textContent('#result');
  assert.match(said, /Done!/);
  assert.match(said, /Wrote 128 KiB; 128 KiB were already there\./);
  assert.ok(notes.some((n) => /^(Resuming: 128 KiB of 256 KiB are already on the device\.|5 of 6 sectors already hold this firmware; 1 sector \(128 KiB\) will be written\.)$/.test(n)), JSON.stringify(notes));
  assert.equal(await held(page, fw.length), sha(fw));
  assert.deepEqual(page.errors, []);
  await page.close();
});
