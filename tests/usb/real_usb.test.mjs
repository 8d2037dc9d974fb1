// Real-browser USB: the served page in Debian's unmodified Chromium, whose WebUSB stack
// talks usbfs to an emulated device (umockdev, tests/usb/emulated_usb.py) backed by the
// project's simulator. Driven like a user: clicks and file inputs. Permission comes from
// a managed policy (WebUsbAllowDevicesForUrls), as on a school's Chromebooks.
//
// Needs root (the policy lives in /etc/chromium) and Debian's umockdev; `cargo xtask test`
// installs what is missing, builds the page and dfu-flasher, and sets E2E_URL and FLASHER.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rig, pick, memory, doneText, bytes, sha, dir, cleanup } from './rig.mjs';

after(cleanup);

test('DfuSe file onto stm32f4 through Chromium\'s WebUSB: erase, write, verify', { timeout: 120000 }, async () => {
  const app = bytes(60000, 3);
  writeFileSync(join(dir, 'app.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:app.bin', '-D', '0x0483:0xdf11', 'app.dfu'], { cwd: dir });
  const r = await rig('stm32f4', 'stm32f4', [[0x0483, 0xdf11]]);
  const { page } = r;
  await pick(page, /STM32\s+BOOTLOADER \(0483:df11\)/);
  await page.shot('1-device');
  await page.setInputFiles('#file', join(dir, 'app.dfu'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await doneText(page);
  await page.shot('2-done');
  assert.match(await page.textContent('#result'), /Done!.*Checked/s);
  // The DfuSe leave resets the device: it drops off the bus and comes back.
  await r.next('removed ');
  await r.next('added 0483 df11');
  assert.equal(sha(await memory(r, 0, 0x08000000, app.length)), sha(app));
  assert.equal(await r.violations(), 0);
  assert.deepEqual(page.errors, []);
  await r.close();
});

test("a vendor's link lists only that maker's devices the page may use", { timeout: 120000 }, async () => {
  const r = await rig('vendor', 'stm32f4', [[0x0483, 0xdf11]]);
  const { page } = r;
  await pick(page, /STM32\s+BOOTLOADER \(0483:df11\)/);
  await page.goto(`${new URL(page.url()).origin}/?vendor=1209`);
  await page.waitForSelector('body[data-ready=true]');
  // Give the list time to fill: it must stay empty (the permitted device is another maker's).
  await page.waitForTimeout(1500);
  assert.ok(await page.isHidden('#known'), "another maker's device is not offered");
  await page.goto(`${new URL(page.url()).origin}/?vendor=0x0483`);
  await pick(page, /STM32\s+BOOTLOADER \(0483:df11\)/);
  assert.deepEqual(page.errors, []);
  await r.close();
});

test('run-time device: detach, re-enumeration with a new product id, reconnect by itself where permitted', { timeout: 120000 }, async () => {
  const app = bytes(20000, 5);
  writeFileSync(join(dir, 'widget.bin'), app);
  execFileSync('dfu-suffix', ['-v', '1209', '-p', '2302', '-a', 'widget.bin'], { cwd: dir });
  const r = await rig('runtime', 'dfu11-runtime', [[0x1209, 0x2301], [0x1209, 0x2302]]);
  const { page } = r;
  await pick(page, /\(1209:2301\)/);
  assert.match(await page.textContent('#device-mode'), /Running firmware/);
  await page.setInputFiles('#file', join(dir, 'widget.bin'));
  await page.waitForSelector('#fit.pending'); // checked again once in update mode
  await page.click('#update');
  await page.click('#confirm-go');
  // The real disappearance and reappearance, as Chromium sees them.
  await r.next('removed ');
  await r.next('added 1209 2302');
  await doneText(page);
  await page.shot('done');
  assert.ok(await page.isHidden('#repair'), 'the policy grants the DFU-mode ids: no re-pair click needed');
  assert.match(await page.textContent('#result'), /Done!/);
  // Manifestation and reset: the device runs the new firmware in run-time mode again,
  // and the page, which may use it, reconnects to it (same serial number).
  await r.next('added 1209 2301', 30000);
  await page.waitForFunction(() => /Running firmware/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#device-mode').textContent)
    && !document.querySelector('dfu-flasher').shadowRoot.querySelector('#device-panel').hidden, null, { timeout: 20000 });
  assert.match(await page.textContent('#result'), /Done!/);
  await page.shot('reconnected');
  assert.equal(sha(await memory(r, 0, 0, app.length)), sha(app));
  assert.equal(await r.violations(), 0);
  assert.deepEqual(page.errors, []);
  await r.close();
});

test("the vendor's updater: one click from the catalog, through detach and re-enumeration, ending with the version read back", { timeout: 150000 }, async () => {
  const r = await rig('catalog', 'dfu11-runtime', [[0x1209, 0x2301], [0x1209, 0x2302]],
    { query: '?catalog=www/demo/catalog.json' });
  const { page } = r;
  await pick(page, /\(1209:2301\)/);
  assert.equal((await page.textContent('#offer-status')).trim(), 'Demo Widget 1.10 is available');
  assert.equal((await page.textContent('#offer-action')).trim(), 'Update Demo Widget from 1.00 to 1.10');
  await page.click('#offer-action');
  await page.click('#confirm-go');
  await r.next('removed ');
  await r.next('added 1209 2302');
  // Written, manifested, reset: back in run-time mode, where the page reconnects by itself
  // and reads the version the device now reports (its bcdDevice).
  await r.next('added 1209 2301', 40000);
  await page.waitForFunction(() => /now runs|still reports|not come back/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent),
    null, { timeout: 40000 });
  await page.shot('done');
  assert.equal((await page.textContent('#result h3')).trim(), 'Demo Widget now runs 1.10');
  assert.equal((await page.textContent('#offer-status')).trim(), 'Demo Widget is up to date (1.10)');
  const published = readFileSync('www/demo/widget-1.10.dfu');
  const image = published.subarray(0, published.length - 16); // without its DFU suffix
  assert.equal(sha(await memory(r, 0, 0, image.length)), sha(image));
  assert.equal(await r.violations(), 0);
  assert.deepEqual(page.errors, []);
  await r.close();
});

test('run-time device without permission for its DFU-mode id: the page asks for one click', { timeout: 120000 }, async () => {
  writeFileSync(join(dir, 'w2.bin'), bytes(4000, 6));
  const r = await rig('repair', 'dfu11-runtime', [[0x1209, 0x2301]]);
  const { page } = r;
  await pick(page, /\(1209:2301\)/);
  await page.setInputFiles('#file', join(dir, 'w2.bin'));
  await page.waitForSelector('#fit');
  await page.click('#update');
  await page.click('#confirm-go');
  await r.next('added 1209 2302');
  await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
  await page.shot('repair');
  assert.match(await page.textContent('#repair-button'), /Select .* in update mode/);
  assert.match(await page.textContent('#repair-text'), /permission|allow|select/i);
  assert.deepEqual(page.errors, []);
  await r.close();
});

test('back up reads the firmware through WebUSB and offers it as a file', { timeout: 120000 }, async () => {
  const r = await rig('backup', 'dfu11-dfumode', [[0x1209, 0x2302]]);
  const { page } = r;
  await pick(page, /\(1209:2302\)/);
  const download = page.waitForEvent('download', { timeout: 60000 });
  await page.click('#backup');
  const d = await download;
  const got = readFileSync(await d.path());
  const held = await memory(r, 0, 0, got.length);
  assert.ok(got.length > 0);
  assert.equal(sha(got), sha(held));
  assert.equal(await r.violations(), 0);
  await r.close();
});

test('unplugged mid-write: a clear message; plugged back in, the update resumes and finishes', { timeout: 150000 }, async () => {
  const app = bytes(300000, 7);
  writeFileSync(join(dir, 'big.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:big.bin', '-D', '0x0483:0xdf11', 'big.dfu'], { cwd: dir });
  const r = await rig('unplug', 'stm32f4', [[0x0483, 0xdf11]], { faster: 4 });
  const { page } = r;
  await pick(page, /STM32/);
  await page.setInputFiles('#file', join(dir, 'big.dfu'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  // Well into the writing: the first sectors are finished.
  await page.waitForFunction(() => {
    const root = document.querySelector('dfu-flasher').shadowRoot;
    return /Writing/.test(root.querySelector('#progress-text').textContent) && root.querySelector('#bar').value >= 60;
  }, null, { timeout: 60000 });
  await r.ask('unplug');
  await r.next('removed ');
  await doneText(page);
  await page.shot('1-unplugged');
  const msg = await page.textContent('#result');
  assert.doesNotMatch(msg, /Done!/);
  assert.match(msg, /disconnect|unplug|lost|vanish|connection/i);
  // Plugged back in: the page reconnects by itself (same serial number, permitted).
  await r.ask('plug');
  await r.next('added 0483 df11');
  await page.waitForFunction(() => window.dfuPage.device && window.dfuPage.device.usbDevice()
    && !document.querySelector('dfu-flasher').shadowRoot.querySelector('#update').disabled, null, { timeout: 20000 });
  assert.match(await page.textContent('#result'), /disconnected/i, 'the message stays until the user acts');
  await page.evaluate(() => {
    window.notes = [];
    const n = document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-note');
    new MutationObserver(() => { if (n.textContent) window.notes.push(n.textContent); })
      .observe(n, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#update');
  await page.click('#confirm-go');
  await doneText(page);
  await page.shot('2-finished');
  const done = await page.textContent('#result');
  assert.match(done, /Done!.*Checked/s);
  // The retry compared first and wrote only what the cut had not finished.
  assert.match(done, /Wrote [\d.]+ KiB; [\d.]+ KiB were already there\./);
  const notes = await page.evaluate(() => window.notes);
  assert.ok(notes.some((n) => /^Resuming: [\d.]+ KiB of 29\d(\.\d)? KiB are already on the device\.$/.test(n)), JSON.stringify(notes));
  assert.equal(sha(await memory(r, 0, 0x08000000, app.length)), sha(app));
  assert.deepEqual(page.errors, []);
  await r.close();
});

test('a device that stalls a request: the update stops with the reason, a retry succeeds', { timeout: 120000 }, async () => {
  const app = bytes(40000, 9);
  writeFileSync(join(dir, 's.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:s.bin', '-D', '0x0483:0xdf11', 's.dfu'], { cwd: dir });
  const r = await rig('stall', 'stm32f4', [[0x0483, 0xdf11]]);
  const { page } = r;
  await pick(page, /STM32/);
  assert.equal(await r.ask('fault stall request:DNLOAD:6'), 'ok');
  await page.setInputFiles('#file', join(dir, 's.dfu'));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await doneText(page);
  await page.shot('1-stalled');
  const msg = await page.textContent('#result');
  assert.doesNotMatch(msg, /Done!/);
  assert.match(msg, /refused|stall/i);
  await page.click('#update');
  await page.click('#confirm-go');
  await doneText(page);
  assert.match(await page.textContent('#result'), /Done!.*Checked/s);
  assert.equal(sha(await memory(r, 0, 0x08000000, app.length)), sha(app));
  assert.equal(await r.violations(), 0);
  await r.close();
});

test('two tabs cannot fight over one device: the second is told it is in use', { timeout: 120000 }, async () => {
  const r = await rig('tabs', 'stm32f4', [[0x0483, 0xdf11]]);
  const first = r.page;
  await pick(first, /STM32/);
  const second = await r.browser.newPage({ viewport: { width: 1000, height: 1200 } });
  const errors = [];
  second.on('pageerror', (e) => errors.push(e.message));
  await second.goto(first.url());
  await second.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  await second.waitForSelector('#known:not([hidden])', { timeout: 20000 });
  await second.click('#known-list button');
  await second.waitForSelector('#result:not([hidden])', { timeout: 20000 });
  if (process.env.E2E_SCREENSHOTS) await second.screenshot({ path: join(process.env.E2E_SCREENSHOTS, 'usb-tabs-second.png'), fullPage: true });
  const msg = await second.textContent('#result');
  assert.match(msg, /in use|another (program|tab)/i);
  assert.ok(await second.isHidden('#device-panel'));
  // The first tab still owns the device and updates it.
  const app = bytes(10000, 4);
  writeFileSync(join(dir, 'tabs.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:tabs.bin', '-D', '0x0483:0xdf11', 'tabs.dfu'], { cwd: dir });
  await first.setInputFiles('#file', join(dir, 'tabs.dfu'));
  await first.waitForSelector('#fit.ok');
  await first.click('#update');
  await first.click('#confirm-go');
  await doneText(first);
  assert.match(await first.textContent('#result'), /Done!/);
  assert.equal(sha(await memory(r, 0, 0x08000000, app.length)), sha(app));
  assert.deepEqual(errors, []);
  await r.close();
});

test('same VID:PID in both modes: detach and reconnect by itself without mistaking the old device', { timeout: 120000 }, async () => {
  const app = bytes(7000, 8);
  writeFileSync(join(dir, 'same.bin'), app);
  execFileSync('dfu-suffix', ['-v', '1209', '-p', '2302', '-a', 'same.bin'], { cwd: dir });
  const r = await rig('same-ids', 'dfu11-same-ids', [[0x1209, 0x2302]]);
  const { page } = r;
  await pick(page, /\(1209:2302\)/);
  assert.match(await page.textContent('#device-mode'), /Running firmware/);
  await page.setInputFiles('#file', join(dir, 'same.bin'));
  await page.waitForSelector('#fit.pending');
  await page.click('#update');
  await page.click('#confirm-go');
  await doneText(page);
  assert.match(await page.textContent('#result'), /Done!/);
  assert.ok(await page.isHidden('#repair'));
  await r.next('added 1209 2302', 30000); // back after the detach
  await r.next('added 1209 2302', 30000); // back after the manifestation reset
  assert.equal(sha(await memory(r, 0, 0, app.length)), sha(app));
  assert.equal(await r.violations(), 0);
  assert.deepEqual(page.errors, []);
  await r.close();
});

test('switching to the demo device lets go of the real one; no switch while an update runs', { timeout: 120000 }, async () => {
  const app = bytes(200000, 12);
  writeFileSync(join(dir, 'switch.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:switch.bin', '-D', '0x0483:0xdf11', 'switch.dfu'], { cwd: dir });
  const r = await rig('switch', 'stm32f4', [[0x0483, 0xdf11]], { faster: 4 });
  const first = r.page;
  await pick(first, /STM32/);
  // While an update runs, the demo cannot be picked.
  await first.setInputFiles('#file', join(dir, 'switch.dfu'));
  await first.waitForSelector('#fit.ok');
  await first.click('#update');
  await first.click('#confirm-go');
  await first.waitForFunction(() => /Erasing|Writing/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#progress-text').textContent), null, { timeout: 30000 });
  assert.ok(await first.isDisabled('#demo'));
  assert.ok(await first.isDisabled('#connect'));
  await doneText(first);
  assert.match(await first.textContent('#result'), /Done!/);
  await first.waitForFunction(() => window.dfuPage.device && window.dfuPage.device.usbDevice(), null, { timeout: 30000 });
  // Now the demo: the real device is released, so another tab can open it.
  await first.selectOption('#demo-profile', 'stm32f4');
  await first.click('#demo');
  await first.waitForFunction(() => window.dfuPage.device && !window.dfuPage.device.usbDevice(), null, { timeout: 20000 });
  const second = await r.browser.newPage();
  await second.goto(first.url());
  await second.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  await pick(second, /STM32/);
  assert.ok(await second.isHidden('#result'), await second.textContent('#result'));
  assert.equal(sha(await memory(r, 0, 0x08000000, app.length)), sha(app));
  assert.deepEqual(first.errors, []);
  await r.close();
});

test('a device whose firmware hides its update interface: the page says to start it in update mode by hand', { timeout: 120000 }, async () => {
  const r = await rig('hydrabus', 'hydrabus', [[0x1d50, 0x60a7]]);
  const { page } = r;
  await page.waitForSelector('#known:not([hidden])', { timeout: 20000 });
  assert.match(await page.textContent('#known-list'), /HydraBus \(1d50:60a7\)/);
  await page.click('#known-list button');
  await page.waitForSelector('#result:not([hidden])', { timeout: 20000 });
  await page.shot('by-hand');
  assert.match(await page.textContent('#result'), /update mode by hand/);
  assert.match(await page.textContent('#result'), /button|jumper/);
  assert.ok(await page.isHidden('#device-panel'));
  assert.deepEqual(page.errors, []);
  await r.close();
});
