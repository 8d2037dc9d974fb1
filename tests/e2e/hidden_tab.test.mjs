// End-to-end: an update keeps its pace when the user switches to another tab.
// Chromium runs a hidden tab's timers at most once a second; the page times its poll waits
// in a worker while hidden (src/web/clock.rs, www/timer-worker.js). Headless Chromium
// never hides a tab, and Playwright keeps the pages it drives visible, so this test runs a
// windowed Chromium (on Xvfb: `cargo xtask test` starts it) and drives it over the
// DevTools protocol directly; a second tab in front of it in the window hides it.
// Control: the same hidden update with the worker taken away must be throttled, or this
// machine does not hide tabs and the test proves nothing (it then fails, saying so).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const dir = mkdtempSync(join(tmpdir(), 'dfu-hidden-'));
let chromium;
let port;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha = (b) => createHash('sha256').update(b).digest('hex');

// One DevTools connection to one tab.
async function connect(wsUrl) {
  const ws = new WebSocket(wsUrl);
  const pending = new Map();
  let id = 0;
  ws.onmessage = (m) => {
    const d = JSON.parse(m.data);
    const p = pending.get(d.id);
    if (!p) return;
    pending.delete(d.id);
    if (d.error) p.reject(new Error(`${p.method}: ${d.error.message}`));
    else p.resolve(d.result);
  };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    pending.set(++id, { resolve, reject, method });
    ws.send(JSON.stringify({ id, method, params }));
  });
  const evaluate = async (expression) => {
    const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
  };
  const until = async (expression, what, ms = 20000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await evaluate(expression)) return;
      await sleep(100);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  };
  return { send, evaluate, until, close: () => ws.close() };
}

// The DevTools HTTP endpoints (JSON, or a line of text for /json/activate).
async function devtools(path, method = 'GET') {
  const text = await (await fetch(`http://127.0.0.1:${port}${path}`, { method })).text();
  try { return JSON.parse(text); } catch (_) { return text; }
}

before(async () => {
  assert.ok(typeof WebSocket === 'function', 'run with node --experimental-websocket (cargo xtask test does)');
  assert.ok(process.env.DISPLAY, 'a windowed Chromium needs a display: run under xvfb-run (cargo xtask test does)');
  const profile = join(dir, 'profile');
  chromium = spawn('/usr/bin/chromium', ['--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: 'ignore' });
  // Chromium writes its DevTools port there once it listens (wait for a whole line).
  const file = join(profile, 'DevToolsActivePort');
  for (let i = 0; i < 300 && !(port > 0); i++) {
    await sleep(100);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text.includes('\n')) port = Number(text.split('\n')[0]);
  }
  assert.ok(port > 0, 'Chromium did not open its DevTools port within 30 s');
});
after(async () => {
  if (chromium && chromium.exitCode === null && chromium.signalCode === null) {
    const gone = new Promise((r) => chromium.once('exit', r));
    chromium.kill();
    const late = setTimeout(() => chromium.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(late);
  }
  // Chromium's helper processes may still be writing the profile: a leftover temporary
  // folder is not a test failure.
  try { rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); } catch (_) { /* left in /tmp */ }
});

// Open the demo stm32f4 with the file loaded, ready for the update button.
async function prepare(tab, file) {
  await tab.send('Page.navigate', { url: URL });
  await tab.until("document.body && document.body.dataset.ready === 'true'", 'the page');
  await tab.evaluate(`(() => {
    const s = document.querySelector('dfu-flasher').shadowRoot.querySelector('#demo-profile');
    s.value = 'stm32f4';
    s.dispatchEvent(new Event('change'));
    document.querySelector('dfu-flasher').shadowRoot.querySelector('#demo').click();
  })()`);
  await tab.until("!document.querySelector('dfu-flasher').shadowRoot.querySelector('#device-panel').hidden", 'the demo device');
  // The file input is inside the element's shadow root: found by script, given by handle.
  const { result } = await tab.send('Runtime.evaluate',
    { expression: "document.querySelector('dfu-flasher').shadowRoot.querySelector('#file')" });
  await tab.send('DOM.setFileInputFiles', { objectId: result.objectId, files: [file] });
  await tab.until("document.querySelector('dfu-flasher').shadowRoot.querySelector('#fit').classList.contains('ok')", 'the file to fit');
}

// Click Update (a script click works in a hidden tab); return the update's wall time.
async function update(tab) {
  const t0 = Date.now();
  await tab.evaluate("document.querySelector('dfu-flasher').shadowRoot.querySelector('#update').click()");
  await tab.until("!document.querySelector('dfu-flasher').shadowRoot.querySelector('#confirm').hidden", 'the confirmation');
  await tab.evaluate("document.querySelector('dfu-flasher').shadowRoot.querySelector('#confirm-go').click()");
  await tab.until("!document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').hidden", 'the result', 240000);
  const ms = Date.now() - t0;
  assert.match(await tab.evaluate("document.querySelector('dfu-flasher').shadowRoot.querySelector('#result').textContent"), /Done!/);
  return ms;
}

const visibility = (tab) => tab.evaluate('document.visibilityState');

test('an update in a tab the user switched away from keeps its pace', async () => {
  const app = Buffer.alloc(24 * 1024);
  for (let i = 0; i < app.length; i++) app[i] = (i * 13 + (i >> 7)) & 0xff;
  app.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]); // a vector table, as programs have
  writeFileSync(join(dir, 'app.bin'), app);
  execFileSync('dfuse-pack', ['-b', '0x08000000:app.bin', '-D', '0x0483:0xdf11', 'app.dfu'], { cwd: dir });
  const file = join(dir, 'app.dfu');
  const [first] = (await devtools('/json/list')).filter((t) => t.type === 'page');
  const tab = await connect(first.webSocketDebuggerUrl);
  await tab.send('DOM.enable');

  // Visible: the reference.
  await prepare(tab, file);
  assert.equal(await visibility(tab), 'visible');
  const visible = await update(tab);

  // Hidden: another tab in front of it for the whole update (opening a tab takes longer
  // than this update, so the user's switch is made first and the update started after).
  await prepare(tab, file);
  const other = await devtools('/json/new?about:blank', 'PUT');
  await tab.until("document.visibilityState === 'hidden'", 'the tab to be hidden', 10000);
  const hidden = await update(tab);
  const held = await tab.evaluate(`(async () => {
    const b = window.dfuPage.device.demoMemory(0, 0x08000000, ${app.length});
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
    return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
  })()`);
  assert.equal(held, sha(app), 'the device holds the image written from the hidden tab');

  // Control: hidden again, the page's own timers only.
  await devtools(`/json/activate/${first.id}`);
  await tab.until("document.visibilityState === 'visible'", 'the tab to be visible again', 5000);
  await prepare(tab, file);
  await tab.evaluate("import('./www/pkg/dfu_flasher_plain.js').then((m) => m.setTimerWorker(null))");
  await devtools(`/json/activate/${other.id}`);
  await tab.until("document.visibilityState === 'hidden'", 'the tab to be hidden', 10000);
  const throttled = await update(tab);
  tab.close();

  console.log(`update of ${app.length} bytes: visible ${visible} ms, hidden ${hidden} ms, hidden without the worker ${throttled} ms`);
  assert.ok(throttled > 3 * visible + 3000,
    `this Chromium did not throttle the hidden tab (${throttled} ms against ${visible} ms visible): the test cannot tell anything here`);
  assert.ok(hidden < 1.5 * visible + 2000,
    `the hidden tab's update took ${hidden} ms against ${visible} ms visible: its waits were throttled`);
});
