// The fault matrix through the real browser: one representative fault per phase (the
// whole matrix runs natively in tests/fault_matrix.rs), injected into the emulated device
// behind Chromium's WebUSB. Each row: the update stops with a message and never claims
// success; once the fault is gone (faults fire once; a vanished device is plugged back
// in), the same clicks finish the update, the device holds the image, and the host broke
// no protocol rule.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rig, pick, memory, doneText, bytes, sha, dir, cleanup } from './rig.mjs';

after(cleanup);

const counts = async (r) => Object.fromEntries([...(await r.ask('report')).matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
const ready = (page) => page.waitForFunction(() => window.dfuPage.device && window.dfuPage.device.usbDevice()
  && !document.querySelector('dfu-flasher').shadowRoot.querySelector('#update').disabled, null, { timeout: 30000 });

// Update and confirm once the device is back. The page may open the device once more
// just after it came back (a second arrival event), which makes a question asked
// meanwhile stale (the page dismisses it): ask again then, as a customer would.
async function startAfterReplug(page) {
  for (let k = 0; k < 3; k++) {
    await ready(page);
    await page.click('#update');
    try {
      await page.click('#confirm-go', { timeout: 5000 });
      return;
    } catch (_) { /* dismissed as stale: the device was opened again */ }
  }
  throw new Error('the confirmation never stayed up');
}

function dfuse(name, len, seed) {
  const app = bytes(len, seed);
  writeFileSync(join(dir, `${name}.bin`), app);
  execFileSync('dfuse-pack', ['-b', `0x08000000:${name}.bin`, '-D', '0x0483:0xdf11', `${name}.dfu`], { cwd: dir });
  return { app, file: join(dir, `${name}.dfu`), alt: 0, address: 0x08000000 };
}
function suffixed(name, len, seed) {
  const app = bytes(len, seed);
  writeFileSync(join(dir, `${name}.bin`), app);
  execFileSync('dfu-suffix', ['-v', '1209', '-p', '2302', '-a', `${name}.bin`], { cwd: dir });
  return { app, file: join(dir, `${name}.bin`), alt: 0, address: 0 };
}

// fault(c, d): the fault line, from the device's request counts now (c) and the number of
// DNLOADs a whole update took in a dry run (d), for faults at its end.
const rows = [
  { phase: 'detach', device: 'dfu11-runtime', ids: [[0x1209, 0x2301], [0x1209, 0x2302]], image: () => suffixed('detach', 6000, 1),
    fault: (c) => `fault stall request:DETACH:${(c.DETACH || 0) + 1}` },
  // The update reads back first: the 40000 bytes touch three 16 KiB sectors, read after
  // one Set-Address (a DNLOAD) in 24 UPLOADs. The first erase is the second DNLOAD.
  { phase: 'erase', device: 'stm32f4', ids: [[0x0483, 0xdf11]], image: () => dfuse('erase', 40000, 2),
    fault: (c) => `fault status:4 request:DNLOAD:${(c.DNLOAD || 0) + 2}` },
  { phase: 'write', device: 'stm32f4', ids: [[0x0483, 0xdf11]], image: () => dfuse('write', 40000, 3),
    fault: () => 'fault status:6 block:6' },
  { phase: 'verify', device: 'stm32f4', ids: [[0x0483, 0xdf11]], image: () => dfuse('verify', 40000, 4),
    fault: (c) => `fault vanish request:UPLOAD:${(c.UPLOAD || 0) + 24 + 3}`, vanishes: true },
  { phase: 'manifest', device: 'dfu11-dfumode', ids: [[0x1209, 0x2302]], image: () => suffixed('manifest', 5000, 5), dry: true,
    fault: (c, d) => `fault stall request:DNLOAD:${c.DNLOAD + d}` },
  // A transfer that never completes: the page gives up after its timeout (5 s); the
  // remedy it gives, unplugging and plugging back in, is what the test then does.
  { phase: 'write (transfer never completes)', device: 'stm32f4', ids: [[0x0483, 0xdf11]], image: () => dfuse('hang', 40000, 7),
    fault: (c) => `fault hang request:DNLOAD:${(c.DNLOAD || 0) + 8}`, replug: true, said: /answer|time/i },
  // A refused leave: the image is written and checked, so the update is done, but the
  // page must not promise a restart that did not happen.
  { phase: 'leave', device: 'stm32f4', ids: [[0x0483, 0xdf11]], image: () => dfuse('leave', 20000, 6), dry: true,
    fault: (c, d) => `fault stall request:DNLOAD:${c.DNLOAD + d}`, written: /Done! Unplug .* and plug it back in/, replug: true },
];

for (const row of rows) {
  test(`real browser, fault in ${row.phase}: stops with a message, recoverable, a retry succeeds`, { timeout: 150000 }, async () => {
    const img = row.image();
    const r = await rig(`fault-${row.phase}`, row.device, row.ids);
    const { page } = r;
    await pick(page, /./);
    await page.setInputFiles('#file', img.file);
    await page.waitForSelector('#fit.ok, #fit.pending');
    let d = 0;
    // Dry runs count the DNLOADs of a whole update, for a fault at its end. Twice: the
    // faulted run repeats the second (an update of what the device already holds writes
    // nothing after its compare).
    for (let k = 0; row.dry && k < 2; k++) {
      const c0 = await counts(r);
      await page.click('#update');
      await page.click('#confirm-go');
      await doneText(page);
      assert.match(await page.textContent('#result'), /Done!/);
      d = ((await counts(r)).DNLOAD || 0) - (c0.DNLOAD || 0);
      await ready(page);
    }
    assert.equal(await r.ask(row.fault(await counts(r), d)), 'ok');
    await page.click('#update');
    await page.click('#confirm-go');
    await doneText(page);
    await page.shot('1-fault');
    const msg = await page.textContent('#result');
    if (row.said) assert.match(msg, row.said);
    if (row.written) assert.match(msg, row.written);
    else assert.doesNotMatch(msg, /Done!/, `${row.phase}: a fault must never read as success`);
    assert.ok(msg.trim().length > 20, `${row.phase}: the message says what happened: ${msg}`);
    assert.ok(await page.isHidden('#cancel'), 'the update has stopped');
    if (row.vanishes) {
      await r.next('removed ');
      await r.ask('plug');
    }
    if (row.replug) {
      // As the page asks: unplug and plug back in.
      await r.ask('unplug');
      await r.next('removed ');
      await r.ask('plug');
    }
    await startAfterReplug(page);
    await doneText(page);
    await page.shot('2-retry');
    assert.match(await page.textContent('#result'), /Done!/, `${row.phase}: the retry succeeds`);
    // Let a restarting device come back before reading it.
    if (row.device !== 'stm32f4') await r.next(`added 1209 ${row.device === 'dfu11-runtime' ? '2301' : '2302'}`, 30000).catch(() => {});
    assert.equal(sha(await memory(r, img.alt, img.address, img.app.length)), sha(img.app));
    assert.equal(await r.violations(), 0);
    assert.deepEqual(page.errors, []);
    await r.close();
  });
}

test('real browser, fault in upload (backup): stops with a message, a retry succeeds', { timeout: 150000 }, async () => {
  const r = await rig('fault-upload', 'dfu11-dfumode', [[0x1209, 0x2302]]);
  const { page } = r;
  await pick(page, /\(1209:2302\)/);
  assert.equal(await r.ask(`fault stall request:UPLOAD:${((await counts(r)).UPLOAD || 0) + 3}`), 'ok');
  await page.click('#backup');
  await doneText(page);
  await page.shot('1-fault');
  const msg = await page.textContent('#result');
  assert.match(msg, /backup|read/i);
  assert.ok(msg.trim().length > 20, msg);
  await page.waitForFunction(() => window.dfuPage.device && window.dfuPage.device.usbDevice()
    && !document.querySelector('dfu-flasher').shadowRoot.querySelector('#backup').disabled, null, { timeout: 30000 });
  const download = page.waitForEvent('download', { timeout: 60000 });
  await page.click('#backup');
  const d = await download;
  const got = readFileSync(await d.path());
  assert.ok(got.length > 0);
  assert.equal(sha(got), sha(await memory(r, 0, 0, got.length)));
  assert.equal(await r.violations(), 0);
  assert.deepEqual(page.errors, []);
  await r.close();
});
