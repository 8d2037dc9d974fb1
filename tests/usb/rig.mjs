// Helpers for the real-browser USB tests and benchmarks: one emulated device (a umockdev
// testbed in its own process, tests/usb/emulated_usb.py, backed by `dfu-flasher emulate`)
// and one Debian Chromium on it, with WebUSB permission from a managed policy.
// E2E_DEBUG=1 prints the page's console; E2E_SCREENSHOTS=dir keeps a picture of each step.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

export const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const ORIGIN = new globalThis.URL(URL).origin;
const FLASHER = process.env.FLASHER || 'target/debug/dfu-flasher';
const SHOTS = process.env.E2E_SCREENSHOTS || '';
const POLICY_DIR = '/etc/chromium/policies/managed';
const POLICY = join(POLICY_DIR, 'dfu-flasher-real-usb-test.json');
export const dir = mkdtempSync(join(tmpdir(), 'dfu-usb-'));
const live = new Set();

export function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 29 + seed * 13 + (i >> 9)) & 0xff;
  // A program, as firmware is: a Cortex-M vector table (stack in SRAM, reset handler
  // inside the image at 0x08000000) ahead of the filler.
  if (n >= 0x42) b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  return b;
}
export const sha = (b) => createHash('sha256').update(b).digest('hex');

export function grant(ids) {
  mkdirSync(POLICY_DIR, { recursive: true });
  const devices = ids.map(([v, p]) => ({ vendor_id: v, product_id: p }));
  writeFileSync(POLICY, JSON.stringify({ WebUsbAllowDevicesForUrls: [{ devices, urls: [ORIGIN] }] }));
}
export function cleanup() {
  rmSync(POLICY, { force: true });
  for (const r of live) r.kill();
}
process.on('exit', cleanup);

// One emulated device (one umockdev testbed, one process) and one browser on it.
export async function rig(name, device, ids, { faster = 10, query = '' } = {}) {
  const glue = spawn('/usr/bin/python3', ['tests/usb/emulated_usb.py', '--device', device,
    '--flasher', FLASHER, '--faster', String(faster)],
  { env: { ...process.env, LD_PRELOAD: 'libumockdev-preload.so.0' }, stdio: ['pipe', 'pipe', 'inherit'] });
  // Events in order; `next` takes the first unread one with the prefix (waiting for it).
  const events = [];
  const read = new Set();
  let wake = () => {};
  const rl = readline.createInterface({ input: glue.stdout });
  rl.on('line', (line) => { events.push(line); wake(); });
  const next = async (prefix, ms = 20000) => {
    const end = Date.now() + ms;
    for (;;) {
      const i = events.findIndex((e, k) => !read.has(k) && e.startsWith(prefix));
      if (i >= 0) { read.add(i); return events[i]; }
      if (Date.now() > end) throw new Error(`no "${prefix}" from the emulated device in ${ms} ms; saw ${events.join(' | ')}`);
      await new Promise((res) => { wake = res; setTimeout(res, 100); });
    }
  };
  const root = (await next('ready ')).slice(6);
  grant(ids);
  const browser = await chromium.launch({
    executablePath: '/usr/lib/chromium/chromium',
    env: { ...process.env, LD_PRELOAD: 'libumockdev-preload.so.0', UMOCKDEV_DIR: root },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-features=NetworkServiceInProcess2'],
  });
  const r = {
    glue, browser, events, next,
    async ask(line) { const p = next('reply '); glue.stdin.write(line + '\n'); return (await p).slice(6); },
    kill() { try { browser.close(); } catch (_) { /* gone */ } glue.kill(); },
  };
  live.add(r);
  const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (process.env.E2E_DEBUG) page.on('console', (m) => console.log(`[${name}] ${m.text()}`));
  page.errors = errors;
  page.shot = async (step) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `usb-${name}-${step}.png`), fullPage: true });
  };
  await page.goto(URL + query);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  r.page = page;
  r.close = async () => {
    live.delete(r);
    await browser.close();
    glue.stdin.write('quit\n');
    rmSync(POLICY, { force: true });
  };
  // What the device says about the host's manners: no protocol rule may be broken.
  r.violations = async () => Number(/violations=(\d+)/.exec(await r.ask('report'))[1]);
  return r;
}

export async function pick(page, label) {
  await page.waitForSelector('#known:not([hidden])', { timeout: 20000 });
  // The list follows connect and disconnect events: wait for the device to be in it.
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#known-list').textContent),
    label.source, { timeout: 20000 }).catch(() => {});
  assert.match(await page.textContent('#known-list'), label);
  await page.click('#known-list button');
  await page.waitForSelector('#device-panel:not([hidden])', { timeout: 20000 });
}

export async function memory(r, alt, address, len) {
  const reply = await r.ask(`read ${alt} ${address.toString(16)} ${len.toString(16)}`);
  assert.match(reply, /^ok /);
  return Buffer.from(reply.slice(3), 'hex');
}

export async function doneText(page) {
  try {
    await page.waitForSelector('#result:not([hidden])', { timeout: 90000 });
  } catch (e) {
    await page.shot('timeout');
    throw e;
  }
}

