// Customer safety on the page, against both demo devices: what is not firmware is never
// written, risky files need an explicit "Flash anyway", Cancel works in every phase
// (including the wait for the re-pair click) and says truly what it left, what can be
// checked before a run-time device is switched is checked before, errors say what is wrong
// in the customer's words, and a success looks like one. What the device holds is read
// from the simulator (`demoMemory`), not from what the page says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const SHOTS = process.env.E2E_SCREENSHOTS || '';
const dir = mkdtempSync(join(tmpdir(), 'dfu-safety-'));
let browser;

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

const sha = (b) => createHash('sha256').update(b).digest('hex');

/// A program image: a Cortex-M vector table (stack in SRAM, reset handler inside the image
/// at 0x08000000), then filler.
function program(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 37 + seed * 11 + (i >> 8)) & 0xff;
  if (n >= 0x42) b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  return b;
}

function file(name, bytes) {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}
const suffixed = (name, bytes, vid, pid, did) => {
  const path = file(name, bytes);
  const args = ['-v', vid, '-p', pid];
  if (did) args.push('-d', did);
  execFileSync('dfu-suffix', [...args, '-a', name], { cwd: dir });
  return path;
};
const dfusePack = (name, bytes, address, ids) => {
  file(`${name}.bin`, bytes);
  execFileSync('dfuse-pack', ['-b', `${address}:${name}.bin`, '-D', ids, `${name}.dfu`], { cwd: dir });
  return join(dir, `${name}.dfu`);
};

async function open(name, viewport = { width: 1000, height: 1200 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(URL);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  // The screen as the user sees it, scrolled to `at` first when given.
  page.shot = async (step, at) => {
    if (!SHOTS) return;
    if (at) await page.locator(at).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `safety-${name}-${step}.png`), fullPage: false });
  };
  page.errors = errors;
  return page;
}

async function demo(page, profile) {
  await page.selectOption('#demo-profile', profile);
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
}

const memory = (page, alt, address, length) => page.evaluate(([a, at, n]) => {
  const b = window.dfuPage.device.demoMemory(a, at, n);
  return b ? Array.from(b) : null;
}, [alt, address, length]);
const memorySha = async (page, alt, address, length) => sha(Buffer.from(await memory(page, alt, address, length)));
// Where each demo device keeps the firmware it runs.
const PLACE = { stm32f4: [0, 0x08000000], 'dfu11-runtime': [0, 0] };

const text = (page, sel) => page.textContent(sel);
const pageUsable = async (page) => {
  for (const id of ['#connect', '#demo', '#file', '#demo-profile']) {
    assert.ok(!(await page.isDisabled(id)), `${id} usable again`);
  }
  assert.ok(await page.isHidden('#cancel'), 'no Cancel once nothing runs');
  assert.ok(await page.isHidden('#repair'), 'no re-pair prompt left behind');
};

test('what is not firmware is refused on both demo devices, with what it is; nothing is written', async () => {
  const page404 = '<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>';
  const whole = suffixed('whole.dfu', program(20000, 1), '1209', '2302');
  const cut = readFileSync(whole).subarray(0, 10000);
  const cases = [
    ['notes.txt', Buffer.from('Widget firmware 2.1: release notes\n'), /text file/],
    ['firmware.dfu', Buffer.from(page404), /web page \(HTML\)/],
    ['release.json', Buffer.from('{"version": "2.1"}'), /JSON/],
    ['manual.pdf', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n'), /PDF/],
    ['firmware.zip', execFileSync('zip', ['-q', '-', 'whole.dfu'], { cwd: dir }), /ZIP archive.*Unpack it first/],
    ['half.dfu', cut, /neither a DfuSe file nor has a DFU suffix/],
    ['plain.dfu', program(20000, 2), /neither a DfuSe file nor has a DFU suffix/],
  ];
  for (const profile of ['stm32f4', 'dfu11-runtime']) {
    const page = await open(`junk-${profile}`);
    await demo(page, profile);
    const [alt, at] = PLACE[profile];
    const before = await memorySha(page, alt, at, 3000);
    for (const [name, bytes, says] of cases) {
      await page.setInputFiles('#file', { name, mimeType: 'application/octet-stream', buffer: bytes });
      await page.waitForFunction((n) => document.querySelector('dfu-flasher').shadowRoot.querySelector('#fit').textContent.startsWith(n + ':'), name);
      const fit = await text(page, '#fit');
      assert.match(fit, says, `${profile} ${name}: ${fit}`);
      assert.match(await page.getAttribute('#fit', 'class'), /bad/);
      assert.ok(await page.isDisabled('#update'), `${profile} ${name}: no update offered`);
      assert.ok(await page.isHidden('#force-box'), `${profile} ${name}: no "Flash anyway" for junk`);
      if (name === 'firmware.dfu') await page.shot('html', '#fit');
    }
    assert.equal(await memorySha(page, alt, at, 3000), before, `${profile}: nothing written`);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test('a tiny file and one that is no program need "Flash anyway", which says what it risks', async () => {
  const page = await open('risky');
  await demo(page, 'stm32f4');
  const blank = await memorySha(page, 0, 0x08000000, 4096);
  const zeros = dfusePack('zeros', Buffer.alloc(4096), '0x08000000', '0x0483:0xdf11');
  const tiny = program(200, 3);
  for (const [path, says] of [
    [zeros, /This does not look like a program for this device/],
    [file("tiny.bin", tiny), /holds only 200/],
  ]) {
    await page.setInputFiles('#file', path);
    await page.waitForSelector('#fit.warn');
    assert.match(await text(page, '#fit'), says);
    assert.ok(await page.isVisible('#force-box'));
    assert.match(await text(page, '#force-warning'), /unable to start.*maker told you/);
    assert.ok(await page.isDisabled('#update'), 'not without the confirmation');
    // The API refuses it too without force, before touching the device.
    const refused = await page.evaluate(() => window.dfuPage.device.update(window.dfuPage.firmware, {},
      () => {}, () => Promise.resolve(null)).then(() => 'done', (e) => e.title));
    assert.match(refused, /may not be right/);
    assert.equal(await memorySha(page, 0, 0x08000000, 4096), blank, 'nothing written');
  }
  await page.shot('confirm', '#force-box');
  await page.check('#force');
  assert.ok(!(await page.isDisabled('#update')));
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
  const held = Buffer.from(await memory(page, 0, 0x08000000, tiny.length));
  assert.equal(sha(held), sha(tiny), 'written once confirmed');
  assert.ok(!(await page.isChecked('#force')), 'the confirmation is for one update');
  await page.close();
});

test('files for another maker or another format are refused before the run-time device is switched', async () => {
  const page = await open('before-detach');
  await demo(page, 'dfu11-runtime');
  const st = dfusePack('st', program(8000, 4), '0x08000000', '0x0483:0xdf11');
  const other = suffixed('other.bin', program(8000, 5), '1234', '5678');
  for (const [path, says] of [[st, /another maker \(USB id 0483:df11; this device is 1209:2301\)/], [other, /USB id 1234:5678/]]) {
    await page.setInputFiles('#file', path);
    await page.waitForSelector('#fit.bad');
    assert.match(await text(page, '#fit'), says);
    assert.doesNotMatch(await text(page, '#fit'), /fits/);
    assert.ok(await page.isDisabled('#update'));
    assert.ok(await page.isHidden('#force-box'), 'another maker: never forced');
  }
  await page.shot('refused', '#fit');
  assert.match(await text(page, '#device-mode'), /Running firmware/, 'not switched');
  // The right file: not called a fit yet; it is checked again in update mode.
  await page.setInputFiles('#file', suffixed('right.bin', program(8000, 6), '1209', '2302'));
  await page.waitForSelector('#fit.pending');
  assert.match(await text(page, '#fit'), /checked against it once more/);
  await page.close();
});

test('a check that fails after the switch says the device waits in update mode and how to bring it back', async () => {
  const page = await open('after-detach');
  await demo(page, 'dfu11-runtime');
  const shipped = await memorySha(page, 0, 0, 3000);
  // Same maker and product, another release (9.00; the device in update mode is 1.00).
  await page.setInputFiles('#file', suffixed('release9.bin', program(8000, 7), '1209', '2302', '0900'));
  await page.waitForSelector('#fit.pending');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
  await page.click('#repair-button');
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  const said = await text(page, '#result');
  assert.match(said, /release 9\.00 of this device .* this device is release 1\.00/);
  assert.match(said, /Nothing was written\. Demo Widget is waiting in update mode: unplug it and plug it back in/);
  assert.equal(await memorySha(page, 0, 0, 3000), shipped, 'nothing written');
  await pageUsable(page);
  await page.close();
});

test('a file larger than the device says so, with both sizes, and not "try again"', async () => {
  const page = await open('too-large');
  await demo(page, 'dfu11-runtime');
  await page.setInputFiles('#file', suffixed('big.bin', program(293 * 1024, 8), '1209', '2302'));
  await page.waitForSelector('#fit.pending');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
  await page.click('#repair-button');
  await page.waitForSelector('#result:not([hidden])', { timeout: 120000 });
  const said = await text(page, '#result');
  assert.match(said, /The file is larger than this device's memory/);
  assert.match(said, /first 256 KiB of this 293 KiB file/);
  assert.match(said, /made for another model/);
  assert.doesNotMatch(said, /Try again/);
  // The page now knows: the same file is refused before anything is written.
  await page.waitForFunction(() => !window.dfuPage.busy);
  assert.match(await text(page, '#fit'), /larger than Demo Widget's memory: when a file was written to it, it took 256 KiB/);
  assert.ok(await page.isDisabled('#update'));
  await page.shot('too-large', '#result');
  await page.close();
});

test('Cancel during the wait for the re-pair click ends it at once, truthfully, and the page stays usable', async () => {
  const page = await open('cancel-repair');
  await demo(page, 'dfu11-runtime');
  const shipped = await memorySha(page, 0, 0, 3000);
  const fw = program(20000, 9);
  await page.setInputFiles('#file', suffixed('widget.bin', fw, '1209', '2302'));
  await page.waitForSelector('#fit.pending');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
  const t0 = Date.now();
  await page.click('#cancel');
  await page.waitForSelector('#result:not([hidden])', { timeout: 5000 });
  assert.ok(Date.now() - t0 < 3000, `ended within ${Date.now() - t0} ms`);
  await page.shot('cancelled');
  const said = await text(page, '#result');
  assert.match(said, /Update cancelled/);
  assert.match(said, /Nothing was written\. Demo Widget is waiting in update mode: unplug it and plug it back in to return to its firmware, or update it again/);
  assert.doesNotMatch(said, /incomplete/);
  assert.equal(await memorySha(page, 0, 0, 3000), shipped, 'nothing written');
  await pageUsable(page);
  // "Update it again": it is in update mode now, so it goes without a re-pair.
  assert.match(await text(page, '#device-mode'), /Ready to update/);
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
  assert.equal(sha(Buffer.from(await memory(page, 0, 0, fw.length))), sha(fw));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Cancel in each phase of a DfuSe update leaves a usable page and a true message', async () => {
  const fw = program(400000, 10);
  const path = dfusePack('phases', fw, '0x08000000', '0x0483:0xdf11');
  for (const [phase, says] of [
    ['erase', /incomplete, so it may not start\. It is back in update mode and ready/],
    ['write', /incomplete, so it may not start\. It is back in update mode and ready/],
    ['verify', /The whole firmware was written, but .* did not finish/],
  ]) {
    const page = await open(`cancel-${phase}`);
    await demo(page, 'stm32f4');
    await page.setInputFiles('#file', path);
    await page.waitForSelector('#fit.ok');
    // As soon as the update reports the phase: Cancel asks first (writing has started),
    // and both answers come in one go, so that the phase cannot end between them (the
    // stop question itself is tested in demo.test).
    await page.evaluate((ph) => {
      const el = document.querySelector('dfu-flasher');
      const on = (e) => {
        if (e.detail.phase !== ph) return;
        el.removeEventListener('dfu-flasher-progress', on);
        el.shadowRoot.querySelector('#cancel').click();
        el.shadowRoot.querySelector('#stop-go').click();
      };
      el.addEventListener('dfu-flasher-progress', on);
    }, phase);
    await page.click('#update');
    await page.click('#confirm-go');
    await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
    const said = await text(page, '#result');
    assert.match(said, /Update cancelled/, phase);
    assert.match(said, says, `${phase}: ${said}`);
    assert.doesNotMatch(said, /Nothing was written/, `${phase}: something was`);
    await pageUsable(page);
    // And it can be updated again right away.
    await page.click('#update');
    await page.click('#confirm-go');
    await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 120000 });
    assert.equal(sha(Buffer.from(await memory(page, 0, 0x08000000, fw.length))), sha(fw), phase);
    await page.close();
  }
});

test('a successful STM32 update looks like one at desktop and phone width', async () => {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const page = await open(`success-${name}`, viewport);
    await demo(page, 'stm32f4');
    await page.setInputFiles('#file', file('app.bin', program(60000, 11)));
    await page.waitForSelector('#fit.ok');
    assert.match(await text(page, '#fit'), /will be written at 0x08000000/);
    await page.click('#update');
    await page.click('#confirm-go');
    await page.waitForFunction(() => /Done!/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent), null, { timeout: 60000 });
    await page.waitForFunction(() => !window.dfuPage.busy);
    await page.shot('done');
    const r = await page.evaluate(() => {
      const visible = (e) => e && !e.closest('[hidden]') && e.getClientRects().length > 0;
      const root = document.querySelector('dfu-flasher').shadowRoot;
      const box = root.querySelector('#result').getBoundingClientRect();
      return {
        focused: root.activeElement && root.activeElement.id,
        inView: box.top >= 0 && box.top < window.innerHeight && box.bottom <= window.innerHeight + 1,
        red: [...root.querySelectorAll('.bad')].filter(visible).map((e) => e.id || e.className),
        stale: [...root.querySelectorAll('.flasher *')].filter(visible)
          .some((e) => e.children.length === 0 && /will be written at/.test(e.textContent)),
      };
    });
    assert.equal(r.focused, 'result', `${name}: the result is focused`);
    assert.ok(r.inView, `${name}: the result is in view`);
    assert.deepEqual(r.red, [], `${name}: nothing red`);
    assert.equal(r.stale, false, `${name}: no stale "will be written at"`);
    const said = await text(page, '#result');
    assert.match(said, /Done! STM32\s+BOOTLOADER is restarting with the new firmware/);
    assert.match(said, /Wait a few seconds for it to start; then you can use it, or unplug it/);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});
