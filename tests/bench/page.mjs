// `cargo xtask bench`, the page's weight and load figures (issue 13), in Debian's
// Chromium, no USB needed: the project's page served gzip -9 from this folder by a small
// server here (as a vendor's web server or CDN sends it), counting the bytes it sends.
//   1. What is downloaded before the user acts (target ≤ 50 KB gzip), and after the first
//      click (the demo).
//   2. Navigation → usable (the first screen worded and wired: body[data-ready]) under CDP
//      throttling: 1.6 Mbps down, 750 kbps up, 150 ms round trip, CPU 4× slower, no cache
//      (target ≤ 1.5 s); and the first click → the demo device shown, throttled the same.
//   3. Peak memory of the page during a 1 MiB update of the demo STM32F4 (JS heap sampled
//      every 50 ms by CDP, plus the wasm's linear memory, which never shrinks).
// Prints table rows (figure, count, median, min–max); fails only if it cannot measure.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, normalize, extname, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const ROOT = process.cwd();
const REPS = Number(process.env.BENCH_REPS || 5);
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml' };

function row(figure, values, unit, note = '') {
  const v = [...values].sort((a, b) => a - b);
  const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const median = v[Math.floor(v.length / 2)];
  console.log(`${figure.padEnd(58)} ${String(v.length).padStart(5)} ${`${f(median)} ${unit}`.padStart(14)} ${`${f(v[0])}–${f(v[v.length - 1])}`.padStart(23)}  ${note}`);
}

// The site, gzip -9 (compressed once per file), with the bytes sent per path.
const sent = [];
const packed = new Map();
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = normalize(join(ROOT, path === '/' ? 'index.html' : path));
  if (!file.startsWith(ROOT + sep) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404); res.end(); return; }
  if (!packed.has(file)) packed.set(file, gzipSync(readFileSync(file), { level: 9 }));
  const body = packed.get(file);
  sent.push({ path, bytes: body.length });
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Content-Encoding': 'gzip', 'Cache-Control': 'no-cache' });
  res.end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const URL_ = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
const total = (from) => sent.slice(from).reduce((n, s) => n + s.bytes, 0);
const kb = (n) => n / 1000;

async function page(throttled) {
  const context = await browser.newContext();
  const p = await context.newPage();
  const cdp = await context.newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (throttled) {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  }
  p.cdp = cdp;
  p.done = () => context.close();
  return p;
}

// 1. Weight before the user acts, and after the first click.
{
  const before = [];
  const after = [];
  let files = 0;
  for (let i = 0; i < 3; i++) {
    const p = await page(false);
    const from = sent.length;
    await p.goto(URL_);
    await p.waitForSelector('body[data-ready=true]');
    await p.waitForTimeout(1000); // anything the page fetches by itself
    before.push(kb(total(from)));
    files = sent.length - from;
    if (i === 0) console.log(`# before the user acts: ${sent.slice(from).map((s) => `${s.path} ${s.bytes}`).join(', ')}`);
    await p.click('#demo');
    await p.waitForSelector('#device-panel:not([hidden])');
    after.push(kb(total(from)));
    await p.done();
  }
  row('page: downloaded before the user acts (gzip)', before, 'KB', `${files} files; target ≤ 50 KB`);
  row('page: downloaded once the demo is opened (gzip)', after, 'KB', 'the rest of the updater, the wasm and the demo chip\'s wasm');
  // A customer with a real device: Connect, the chooser closed (headless has none), the
  // help shown; the demo chip's module is not downloaded.
  const real = [];
  for (let i = 0; i < 3; i++) {
    const p = await page(false);
    await p.addInitScript(() => {
      navigator.usb.requestDevice = () => Promise.reject(new DOMException('No device selected.', 'NotFoundError'));
    });
    const from = sent.length;
    await p.goto(URL_);
    await p.waitForSelector('body[data-ready=true]');
    await p.click('#connect');
    await p.waitForSelector('#help:not([hidden])');
    await p.waitForTimeout(500);
    if (sent.slice(from).some((x) => /dfu_demo/.test(x.path))) throw new Error('connecting a device downloaded the demo chip');
    real.push(kb(total(from)));
    await p.done();
  }
  row('page: downloaded once Connect is clicked (gzip)', real, 'KB', 'the rest of the updater and the wasm, no simulator');
}

// 2. Navigation → usable, and first click → demo device shown, throttled.
{
  const usable = [];
  const click = [];
  for (let i = 0; i < REPS; i++) {
    const p = await page(true);
    await p.goto(URL_, { waitUntil: 'commit' });
    await p.waitForSelector('body[data-ready=true]', { timeout: 30000 });
    usable.push(Number(await p.getAttribute('body', 'data-ready-ms')));
    const t0 = Date.now();
    await p.click('#demo');
    await p.waitForSelector('#device-panel:not([hidden])', { timeout: 60000 });
    click.push(Date.now() - t0);
    await p.done();
  }
  row('page throttled: navigation → usable', usable, 'ms', '1.6 Mbps, 150 ms RTT, CPU ×4, no cache; target ≤ 1500 ms');
  row('page throttled: first click → demo device shown', click, 'ms', 'downloads the rest (the wasm) in the click');
}

// 3. Peak memory during a 1 MiB update (demo STM32F4, from a dfuse-pack file).
{
  const dir = mkdtempSync(join(tmpdir(), 'dfu-bench-page-'));
  const heap = [];
  const wasm = [];
  const sum = [];
  for (let i = 0; i < 3; i++) {
    const b = Buffer.alloc(1 << 20);
    for (let k = 0; k < b.length; k++) b[k] = (k * 29 + i * 13 + (k >> 9)) & 0xff;
    b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    writeFileSync(join(dir, `m${i}.bin`), b);
    execFileSync('dfuse-pack', ['-b', `0x08000000:m${i}.bin`, '-D', '0x0483:0xdf11', `m${i}.dfu`], { cwd: dir });
    const p = await page(false);
    await p.goto(URL_);
    await p.waitForSelector('body[data-ready=true]');
    await p.selectOption('#demo-profile', 'stm32f4');
    await p.click('#demo');
    await p.waitForSelector('#device-panel:not([hidden])');
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try { peak = Math.max(peak, (await p.cdp.send('Runtime.getHeapUsage')).usedSize); } catch (_) { /* closing */ }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await p.setInputFiles('#file', join(dir, `m${i}.dfu`));
    await p.waitForSelector('#fit.ok');
    await p.click('#update');
    await p.click('#confirm-go');
    await p.waitForSelector('#result:not([hidden])', { timeout: 120000 });
    sampling = false;
    await sampler;
    const said = await p.textContent('#result');
    if (!/Done!/.test(said)) throw new Error(`the 1 MiB update failed: ${said}`);
    // Both wasm modules: the page's, and the demo chip's (its 1 MiB flash).
    const w = await p.evaluate(async () => (await import('/www/pkg/dfu_flasher_plain.js')).memoryBytes()
      + (await import('/www/pkg/dfu_demo.js')).memoryBytes());
    heap.push(peak / 1048576);
    wasm.push(w / 1048576);
    sum.push((peak + w) / 1048576);
    await p.done();
  }
  row('page, 1 MiB update (demo STM32F4): JS heap peak', heap, 'MiB', 'sampled every 50 ms');
  row('page, 1 MiB update: wasm memory', wasm, 'MiB', 'both modules: the page\'s and the demo chip\'s (its 1 MiB flash)');
  row('page, 1 MiB update: peak JS heap + wasm memory', sum, 'MiB');
}

await browser.close();
server.close();
