// `cargo xtask bench`, the browser rows: the page in Debian's Chromium updating an
// emulated device (tests/usb/rig.mjs) against (a) the time the device demanded and (b) a
// minimal hand-written JS loop sending the same control transfers in the same browser;
// and the page's time from navigation to ready. Prints table rows; fails only if it
// cannot measure.
import { execFileSync } from 'node:child_process';
import { writeFileSync, openSync, ftruncateSync, writeSync, closeSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { rig, pick, bytes, dir, cleanup, URL } from './rig.mjs';

const REPS = Number(process.env.BENCH_REPS || 5);
const LOADS = 10;

function row(figure, values, unit, note = '') {
  const v = [...values].sort((a, b) => a - b);
  const f = (x) => (unit === '×' ? x.toFixed(3) : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const median = v[Math.floor(v.length / 2)];
  console.log(`${figure.padEnd(58)} ${String(v.length).padStart(5)} ${`${f(median)} ${unit}`.padStart(14)} ${`${f(v[0])}–${f(v[v.length - 1])}`.padStart(23)}  ${note}`);
}

// The minimal host: the recorded requests, in order, waiting before a GETSTATUS only
// until the poll timeout the previous GETSTATUS reported has passed.
async function replay(lines) {
  const [d] = await navigator.usb.getDevices();
  if (!d.opened) await d.open();
  if (!d.configuration) await d.selectConfiguration(1);
  await d.claimInterface(0);
  const kinds = ['standard', 'class', 'vendor', 'reserved'];
  const recipients = ['device', 'interface', 'endpoint', 'other'];
  const hex = (s) => (s === '-' ? new Uint8Array(0) : new Uint8Array(s.match(/../g).map((x) => parseInt(x, 16))));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let until = 0;
  const t0 = performance.now();
  for (const l of lines) {
    const w = l.split(' ');
    if (w[0] === 'reset') { await d.reset().catch(() => {}); continue; }
    const [rt, request, value, index] = w.slice(1, 5).map((x) => parseInt(x, 16));
    if (rt === 0x01 && request === 0x0b) { await d.selectAlternateInterface(index, value); continue; }
    const setup = { requestType: kinds[(rt >> 5) & 3], recipient: recipients[rt & 3], request, value, index };
    const status = (rt & 0x60) === 0x20 && request === 3;
    // setTimeout takes whole milliseconds; never less than the device asked for.
    while (status && until > performance.now()) await sleep(Math.ceil(until - performance.now()));
    if (w[0] === 'in') {
      const r = await d.controlTransferIn(setup, parseInt(w[5], 16));
      if (status && r.data && r.data.byteLength >= 4) {
        until = performance.now() + (r.data.getUint8(1) | (r.data.getUint8(2) << 8) | (r.data.getUint8(3) << 16));
      }
    } else {
      // The last request may find the device already leaving.
      await d.controlTransferOut(setup, hex(w[5])).catch(() => {});
    }
  }
  return performance.now() - t0;
}

// The page has the device open, and it is the device as it is now (not the object from
// before a re-enumeration, which the page is about to replace).
// `update`: and Update can be pressed (a file is chosen and fits).
async function ready(r, page, update = true) {
  const end = Date.now() + 30000;
  while (Date.now() < end) {
    const ok = await page.evaluate(async (u) => {
      const d = window.dfuPage.device && window.dfuPage.device.usbDevice();
      return !!d && (await navigator.usb.getDevices()).includes(d) && !window.dfuPage.busy
        && (!u || !document.querySelector('dfu-flasher').shadowRoot.querySelector('#update').disabled);
    }, update);
    if (ok) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the page did not reconnect to the device');
}

// Issue 12 in the browser, at the device's real timings (an update's time is then the
// device's erase and program time, as on the desk): an update of everything with compare
// first (the default) and off (the JS API), reinstalling what the device holds, and the
// retry after an unplug mid-write.
async function incremental() {
  const len = 256 << 10;
  // Each call a new file (choosing the same path again fires no change event); `i` picks
  // the content.
  let n = 0;
  const image = (i) => {
    n += 1;
    writeFileSync(join(dir, `inc${n}.bin`), bytes(len, 41 + i));
    execFileSync('dfuse-pack', ['-b', `0x08000000:inc${n}.bin`, '-D', '0x0483:0xdf11', `inc${n}.dfu`], { cwd: dir });
    return join(dir, `inc${n}.dfu`);
  };
  const r = await rig('bench-inc', 'stm32f4', [[0x0483, 0xdf11]], { faster: 1 });
  const { page } = r;
  await pick(page, /STM32/);
  await ready(r, page, false);
  // The device came back after its leave: the page reconnects by itself, or lists it.
  const settle = async () => {
    await r.next('added 0483 df11', 30000).catch(() => {});
    const end = Date.now() + 30000;
    while (Date.now() < end) {
      if (await page.evaluate(() => !!(window.dfuPage.device && window.dfuPage.device.usbDevice()))) break;
      const b = await page.$('#known-list button');
      if (b && await b.isVisible()) await b.click({ timeout: 2000 }).catch(() => {});
      await page.waitForTimeout(200);
    }
    await ready(r, page, false);
  };
  const timed = async () => {
    await page.evaluate(() => {
      const root = document.querySelector('dfu-flasher').shadowRoot;
      window.benchDone = new Promise((resolve) => {
        let t0;
        root.querySelector('#confirm-go').addEventListener('click', () => { t0 = performance.now(); }, { once: true, capture: true });
        const res = root.querySelector('#result');
        const obs = new MutationObserver(() => {
          if (t0 !== undefined && !res.hidden) { obs.disconnect(); resolve({ ms: performance.now() - t0, text: res.textContent }); }
        });
        obs.observe(res, { attributes: true, childList: true, subtree: true });
      });
    });
    await page.click('#update');
    await page.click('#confirm-go');
    return page.evaluate(() => window.benchDone);
  };
  // A first update, not timed: the device holds image 0 afterwards.
  await page.setInputFiles('#file', image(0));
  await page.waitForSelector('#fit.ok');
  const warm = await timed();
  if (!/Done!/.test(warm.text)) throw new Error(`first: ${warm.text}`);
  await settle();
  // (d) Everything changed, compare first (the default) …
  await page.setInputFiles('#file', image(1));
  await page.waitForSelector('#fit.ok');
  const cmp = await timed();
  if (!/Done!/.test(cmp.text)) throw new Error(`compare: ${cmp.text}`);
  await settle();
  // … and off (the JS API): the full update the other figures are measured against.
  await page.setInputFiles('#file', image(2));
  await page.waitForSelector('#fit.ok');
  const full = await page.evaluate(async () => {
    const t0 = performance.now();
    await window.dfuPage.device.update(window.dfuPage.firmware, { verify: true, compare: false }, () => {}, () => {});
    return performance.now() - t0;
  });
  row('Chromium+umockdev 256 KiB, real timing: (a) full update (compare off)', [full], 'ms', 'erase, write, verify, leave');
  row('Chromium+umockdev 256 KiB, real timing: (d) everything changed, compare first', [cmp.ms], 'ms', `${(cmp.ms / full).toFixed(3)}× full; target ≤ 1.10`);
  const everything = full;
  await settle();
  // (b) Reinstalling image 2.
  await page.setInputFiles('#file', image(2));
  await page.waitForSelector('#fit.ok');
  const again = await timed();
  if (!/Nothing needed writing/.test(again.text)) throw new Error(`reinstall: ${again.text}`);
  row('Chromium+umockdev 256 KiB, real timing: (b) reinstall identical', [again.ms], 'ms', `${(again.ms / everything).toFixed(3)}× full; target ≤ 0.15`);
  await settle();
  await page.setInputFiles('#file', image(3));
  await page.waitForSelector('#fit.ok');
  await page.click('#update');
  await page.click('#confirm-go');
  await page.waitForFunction(() => {
    const root = document.querySelector('dfu-flasher').shadowRoot;
    return /Writing/.test(root.querySelector('#progress-text').textContent) && root.querySelector('#bar').value >= 55;
  }, null, { timeout: 60000 });
  await r.ask('unplug');
  await r.next('removed ');
  await page.waitForSelector('#result:not([hidden])', { timeout: 60000 });
  await r.ask('plug');
  await settle();
  const retry = await timed();
  if (!/Done!/.test(retry.text)) throw new Error(`retry: ${retry.text}`);
  const there = /; ([\d.]+ KiB) were already there/.exec(retry.text);
  row('Chromium+umockdev 256 KiB, real timing: (e) retry after an unplug mid-write', [retry.ms], 'ms',
    `${(retry.ms / everything).toFixed(3)}× full; ${there ? there[1] : 'nothing'} already there`);
  await settle();
  await r.close();
}

async function main() {
  const len = 256 << 10;
  // Another image each time: every update erases and writes everything (an update of
  // what the device already holds writes nothing; that is measured below).
  const image = (i) => {
    writeFileSync(join(dir, `bench${i}.bin`), bytes(len, 21 + i));
    execFileSync('dfuse-pack', ['-b', `0x08000000:bench${i}.bin`, '-D', '0x0483:0xdf11', `bench${i}.dfu`], { cwd: dir });
    return join(dir, `bench${i}.dfu`);
  };
  const r = await rig('bench', 'stm32f4', [[0x0483, 0xdf11]], { faster: 20 });
  const { page } = r;
  await pick(page, /STM32/);
  const ours = [];
  const base = [];
  const mandated = [];
  for (let i = 0; i < REPS; i++) {
    if (i > 0) {
      // The page either reconnected by itself or lists the device: open it if needed.
      await page.waitForFunction(() => (window.dfuPage.device && window.dfuPage.device.usbDevice())
        || /STM32/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#known-list').textContent), null, { timeout: 30000 });
      if (!(await page.evaluate(() => !!(window.dfuPage.device && window.dfuPage.device.usbDevice())))) {
        await page.click('#known-list button');
      }
    }
    await ready(r, page, i > 0);
    await page.setInputFiles('#file', image(i));
    await page.waitForSelector('#fit.ok');
    await r.ask('mark');
    await page.evaluate(() => {
      window.benchDone = new Promise((resolve) => {
        let t0;
        // From the confirmation's "Start the update" (the question waits for the user).
        document.querySelector('dfu-flasher').shadowRoot.querySelector('#confirm-go').addEventListener('click', () => { t0 = performance.now(); }, { once: true, capture: true });
        const res = document.querySelector('dfu-flasher').shadowRoot.querySelector('#result');
        const obs = new MutationObserver(() => {
          if (t0 !== undefined && !res.hidden) { obs.disconnect(); resolve({ ms: performance.now() - t0, ok: /Done!/.test(res.textContent) }); }
        });
        obs.observe(res, { attributes: true, childList: true, subtree: true });
      });
    });
    await page.click('#update');
    await page.click('#confirm-go');
    const got = await page.evaluate(() => window.benchDone);
    if (!got.ok) throw new Error(`the update failed: ${await page.textContent('#result')}`);
    const t = (await r.ask('transcript')).split(' ');
    const deviceMs = Number(t[1]) / 1000;
    const lines = t.slice(2).join(' ').split(';');
    // The leave resets the device; the page reconnects by itself. Then the page lets go
    // of it (as "Use another device" does), and the minimal loop has it alone.
    await r.next('added 0483 df11', 30000);
    await ready(r, page);
    await page.click('#disconnect');
    await page.waitForTimeout(300); // let the page's own event handling settle
    const baseMs = await page.evaluate(replay, lines);
    await r.next('added 0483 df11', 30000);
    ours.push(got.ms);
    base.push(baseMs);
    mandated.push(deviceMs);
  }
  const n = ours.length;
  row('Chromium+umockdev stm32f4 256 KiB: page update wall time', ours, 'ms', 'erase, write, verify, leave; device timing /20');
  row('Chromium+umockdev: minimal JS loop, same transfers', base, 'ms');
  row('Chromium+umockdev: device-mandated time', mandated, 'ms', 'sum of bwPollTimeout');
  row('Chromium+umockdev: page / minimal JS loop', ours.map((x, i) => x / base[i]), '×', `target ≤ 1.03 (${n} pairs)`);
  row('Chromium+umockdev: page / device-mandated', ours.map((x, i) => x / mandated[i]), '×');
  // Navigation to ready: the first load and nine reloads.
  const loads = [];
  for (let i = 0; i < LOADS; i++) {
    if (i === 0) await page.goto(new URL('/', page.url()).href); else await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    loads.push(Number(await page.getAttribute('body', 'data-ready-ms')));
  }
  row('page: navigation to ready (1 cold + 9 reloads)', loads, 'ms', 'target ≤ 300 ms');
  await r.close();
  await incremental();
  await streamed();
}

// Issue 12: a 1 GiB raw disk image (4 KiB of data per MiB, written sparsely) checked in
// slices and sent from the File to the demo U-Boot board's rootfs, verify on: the time,
// and the page's peak memory (JS heap sampled every 250 ms; wasm linear memory, which
// never shrinks, at the end: it includes the demo board's 8 MiB buffer and partition).
async function streamed() {
  const len = 1 << 30;
  const path = join(dir, 'rootfs.img');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, len);
  for (let m = 0; m < len >> 20; m++) {
    const b = Buffer.alloc(4096);
    for (let i = 0; i < 4096; i++) b[i] = ((m * 131 + i * 7) & 0xff) | 1;
    writeSync(fd, b, 0, 4096, m << 20);
  }
  closeSync(fd);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const wall = [];
  const heap = [];
  const wasm = [];
  for (let i = 0; i < 3; i++) {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await page.goto(URL);
    await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
    await page.selectOption('#demo-profile', 'uboot-emmc');
    await page.click('#demo');
    await page.waitForSelector('#device-panel:not([hidden])');
    const t0 = Date.now();
    let peak = 0;
    const sampler = setInterval(async () => {
      try { peak = Math.max(peak, (await cdp.send('Runtime.getHeapUsage')).usedSize); } catch (_) { /* closing */ }
    }, 250);
    await page.setInputFiles('#file', path);
    await page.waitForSelector('#alt-box:not([hidden])', { timeout: 120000 });
    await page.selectOption('#alt-select', '2');
    await page.waitForSelector('#fit.ok');
    await page.click('#update');
    await page.click('#confirm-go');
    await page.waitForSelector('#result:not([hidden])', { timeout: 900000 });
    clearInterval(sampler);
    const said = await page.textContent('#result');
    if (!/Done!/.test(said)) throw new Error(`the streamed update failed: ${said}`);
    wall.push(Date.now() - t0);
    heap.push(peak / 1048576);
    wasm.push(await page.evaluate(() => import('/www/pkg/dfu_flasher.js').then((m) => m.memoryBytes())) / 1048576);
    await page.close();
  }
  await browser.close();
  row('Chromium demo U-Boot, 1 GiB streamed from the File: choose → Done!', wall, 'ms', 'check in 4 MiB slices, write, read back');
  row('Chromium demo U-Boot, 1 GiB streamed: JS heap peak', heap, 'MiB', 'target ≤ 64 MiB (with wasm)');
  row('Chromium demo U-Boot, 1 GiB streamed: wasm memory at the end', wasm, 'MiB', 'includes the demo board (8 MiB buffer, partition)');
}

main().then(() => { cleanup(); process.exit(0); }, (e) => { console.error(`browser bench failed: ${e.stack || e}`); cleanup(); process.exit(1); });
