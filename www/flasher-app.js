// The updater's glue, one instance per <dfu-flasher> element: render what the Rust API
// returns and forward clicks. Every decision (compatibility, wording, flow) is made in
// Rust. Text that comes from a device, a file or a catalog is only ever set with
// textContent.
// The page's wasm module, one of two builds (dfu-flasher.js picks it): `pkg/dfu_flasher`
// with the vendor's catalog (`VendorCatalog`), `pkg/dfu_flasher_plain` without it, for a
// page that is not given a catalog. `useWasm` is called once, before `mount`.
let environment, knownDevices, requestDevice, requestDfuDevice, openDevice, openDemo,
  demoProfiles, watchDevices, firmwareLink, firmwareDownloadProblem, linkVendors, Firmware,
  lostDevice, VendorCatalog, supportLog, t, setLanguage;
export function useWasm(m) {
  ({
    environment, knownDevices, requestDevice, requestDfuDevice, openDevice, openDemo,
    demoProfiles, watchDevices, firmwareLink, firmwareDownloadProblem, linkVendors, Firmware,
    lostDevice, VendorCatalog, supportLog, text: t, setLanguage,
  } = m);
}
import { translate } from './flasher-lang.js';
import { demoModule } from './flasher-demo.js';

// Make `tag` the language of every message the wasm words. English is compiled in;
// another language's whole table (`lang/<tag>.json`) is downloaded once. Resolves to the
// tag; rejects if the table cannot be had (the caller falls back to English).
const tables = new Map();
export async function useLanguage(tag) {
  if (tag !== 'en' && !tables.has(tag)) {
    const r = await fetch(new URL(`./lang/${tag}.json`, import.meta.url), { credentials: 'same-origin' });
    if (!r.ok) throw new Error(`lang/${tag}.json: HTTP ${r.status}`);
    tables.set(tag, await r.text());
  }
  setLanguage(tag, tag === 'en' ? '' : tables.get(tag));
  return tag;
}

// `root`: the element's shadow root; `host`: the element (its attributes are the options,
// its events tell the host page what happens).
export function mount(root, host) {
const $ = (id) => root.getElementById(id);
const opt = (name) => host.getAttribute(name);
function emit(name, detail) {
  host.dispatchEvent(new CustomEvent('dfu-flasher-' + name, { detail, bubbles: true, composed: true }));
}
// `finished`: an update just succeeded; the verdict about it is stale until the file or the
// device changes.
// `catalog`: the vendor's catalog (`catalog` attribute); `expect`: the version just
// installed, until the device reports what it runs.
const state = { device: null, firmware: null, busy: false, repair: null, lost: null, files: 0, note: null, vendors: [], finished: false, catalog: null, catalogMode: false, offer: null, expect: null, confirming: null, phase: null };
// The catalog part of an element given a catalog (flasher-catalog.js), once it is here.
let catalogUi = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function renderFacts(dl, facts) {
  dl.replaceChildren();
  for (const [label, value] of facts) {
    dl.append(el('dt', label), el('dd', value));
  }
}

function renderTable(container, caption, headers, rows) {
  const wrap = el('div', null, 'table-wrap');
  // A table wider than the card scrolls: the keyboard can reach and scroll it too.
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', caption);
  const table = el('table');
  table.append(el('caption', caption));
  const head = el('tr');
  for (const h of headers) { const th = el('th', h); th.scope = 'col'; head.append(th); }
  table.append(head);
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => {
      const td = el('td', c);
      // Shown before the value where the table is laid out as blocks (phone width).
      if (headers[i]) td.dataset.label = headers[i];
      tr.append(td);
    });
    table.append(tr);
  }
  wrap.append(table);
  container.append(wrap);
}

function show(id, visible) { $(id).hidden = !visible; }

function renderDevice() {
  const d = state.device;
  if (state.confirming && !d) dismissConfirm();
  show('device-panel', !!d);
  renderOffer();
  if (!d) return;
  const info = d.describe();
  $('device-name').textContent = info.title;
  // While the page asks for the device again, the card says what the re-pair box says.
  $('device-mode').textContent = state.repair ? t('page.mode.restarted') : info.modeText;
  renderFacts($('device-facts'), info.facts);
  const alts = $('alts');
  alts.replaceChildren();
  for (const a of info.alts) {
    renderTable(alts, a.caption, a.headers, a.rows);
  }
  $('backup').disabled = !info.canUpload || state.busy;
  $('backup').title = info.canUpload ? '' : info.uploadNote;
  renderFit();
}

function renderFirmware() {
  const f = state.firmware;
  show('file-panel', !!f);
  if (!f) return;
  const info = f.describe();
  $('file-name').textContent = info.title;
  renderFacts($('file-facts'), info.facts);
  const t = $('file-targets');
  t.replaceChildren();
  for (const target of info.targets) {
    renderTable(t, target.caption, target.headers, target.rows);
  }
  const w = $('file-warnings');
  w.replaceChildren(...info.warnings.map((x) => el('li', x)));
  renderFit();
}

function renderFit() {
  const fit = $('fit');
  const { device, firmware } = state;
  if (!firmware && state.note) {
    const n = state.note;
    fileNote(n.title, n.details, n.bad);
    $('update').disabled = true;
    show('force-box', false);
    return;
  }
  renderAlts();
  if (!device || !firmware || state.finished) {
    fit.hidden = true;
    $('update').disabled = !device || !firmware || state.busy || !!state.confirming || !device.check(firmware, { alt: chosenAlt() }).ok;
    show('force-box', false);
    return;
  }
  const c = device.check(firmware, { alt: chosenAlt() });
  fit.hidden = false;
  // fits: green; provisional (checked again in update mode): blue; confirm: amber; refused: red.
  fit.className = 'verdict ' + ({ fits: 'ok', provisional: 'pending', confirm: 'warn', refused: 'bad' }[c.stage] || 'bad');
  fit.replaceChildren(el('strong', c.verdict));
  if (c.problems.length || c.risks.length || c.warnings.length) {
    const ul = el('ul');
    for (const p of [...c.problems, ...c.risks, ...c.warnings]) ul.append(el('li', p));
    fit.append(ul);
  }
  show('force-box', c.canForce);
  $('force-warning').textContent = c.forceWarning;
  if (!c.canForce) $('force').checked = false;
  $('verify').disabled = !c.canVerify;
  if (!c.canVerify) $('verify').checked = false;
  $('update').disabled = state.busy || !!state.confirming || !(c.ok || (c.canForce && $('force').checked));
}

// Where a plain image goes on a device with several areas (U-Boot partitions, memories):
// the user's choice, offered only then. Names come from the device: set as text.
function renderAlts() {
  const { device, firmware } = state;
  const targets = device && firmware && firmware.describe().plain ? device.describe().targets : [];
  const box = $('alt-box');
  const select = $('alt-select');
  const key = JSON.stringify(targets);
  if (select.dataset.key !== key) {
    const before = select.value;
    select.replaceChildren(...targets.map(([alt, name]) => {
      const o = el('option', name);
      o.value = String(alt);
      return o;
    }));
    if (targets.some(([alt]) => String(alt) === before)) select.value = before;
    select.dataset.key = key;
  }
  box.hidden = targets.length < 2;
  select.disabled = state.busy;
}

function chosenAlt() {
  return $('alt-box').hidden ? undefined : Number($('alt-select').value);
}

function setBusy(busy) {
  state.busy = busy;
  resetProgress();
  for (const id of ['connect', 'demo', 'file', 'disconnect', 'demo-profile', 'offer-action', 'offer-secondary', 'offer-install', 'beta', 'alt-select']) $(id).disabled = busy;
  show('cancel', busy);
  $('cancel').disabled = false;
  if (!busy) show('stop', false);
  renderDevice();
  renderFit();
  // The button just pressed (Update, Back up, the offer) is disabled now: the focus goes
  // to Cancel rather than to the page's body.
  const f = root.activeElement;
  if (busy && (!f || f.disabled || f.closest('[hidden]'))) $('cancel').focus();
}

// What the element says in one line (progress, a step that needs the user, the outcome),
// for the host page (index.html puts it in the tab's title).
function tabTitle(text) {
  emit('status', { text: text || '' });
}

// "Widget or Gadget": product names joined the language's way.
function anyOf(names) {
  try { return new Intl.ListFormat(host.flasherLanguage || 'en', { type: 'disjunction' }).format(names); } catch (_) { return names.join(' / '); }
}

// `kind`: for the host page's `dfu-flasher-error` event (the library's error kind, e.g.
// `cancelled`, `device`, `file`).
function showResult(ok, title, details, kind = ok ? null : 'failed') {
  tabTitle(title);
  const lines = (details || []).map((d) => d.code || d.text);
  emit(ok ? 'done' : 'error', ok ? { title, details: lines } : { title, details: lines, kind });
  const r = $('result');
  r.hidden = false;
  r.className = ok ? 'ok' : 'bad';
  r.replaceChildren(el('h3', title));
  for (const d of details || []) {
    if (d.code) r.append(el('pre', d.code)); else r.append(el('p', d.text));
  }
  // In view and focused: the outcome is what the user looks for next (and a screen
  // reader reads it from here).
  r.focus();
  r.scrollIntoView({ block: 'nearest' });
}

// An error from the library: a title and details (text, or {code}) with the remedy.
function showProblem(e, fallback) {
  const details = (e && e.details) || [(e && e.message) || String(e)];
  showResult(false, (e && e.title) || fallback, details.map((x) => (typeof x === 'string' ? { text: x } : x)),
    (e && e.kind) || 'failed');
  // A cancel the user asked for is no fault: said plainly, not in red.
  if (e && e.kind === 'cancelled') $('result').className = 'note';
}

// What a screen reader hears of the progress: the phase when it changes, otherwise at
// most every 10 % or 5 s (the visible line changes many times a second).
const said = { phase: null, percent: -100, at: 0 };
function announce(p) {
  const now = performance.now();
  const phase = p.reconnecting ? 'reconnect' : p.phase;
  if (phase !== said.phase || p.percent - said.percent >= 10 || now - said.at >= 5000) {
    said.phase = phase;
    said.percent = p.percent;
    said.at = now;
    $('progress-say').textContent = p.text;
  }
}

// Each phase stays on screen at least this long, so that a quick one can be read: a
// report of the next phase waits (the latest one is shown when the time is up).
const PHASE_MIN_MS = 700;
const shown = { phase: null, at: 0, timer: null, latest: null };

function onProgress(p) {
  if (!p.reconnecting) state.phase = p.phase;
  emit('progress', { phase: p.phase, percent: p.percent, text: p.text, reconnecting: !!p.reconnecting, note: p.note || null });
  if (p.reconnecting) {
    // The re-pair box, when shown, has the countdown; the bar would contradict it.
    if (state.repair) { $('repair-countdown').textContent = p.text; return; }
  } else if (state.repair) hideRepair();
  noteFound(p);
  shown.latest = p;
  const phase = p.reconnecting ? 'reconnect' : p.phase;
  const wait = shown.phase && phase !== shown.phase ? shown.at + PHASE_MIN_MS - performance.now() : 0;
  if (shown.timer) return; // a later report is shown when the timer fires
  if (wait > 0) { shown.timer = setTimeout(() => { shown.timer = null; paint(shown.latest); }, wait); return; }
  paint(p);
}

function paint(p) {
  if (!p || !state.busy) return; // the outcome is shown meanwhile
  const phase = p.reconnecting ? 'reconnect' : p.phase;
  if (phase !== shown.phase) { shown.phase = phase; shown.at = performance.now(); }
  tabTitle(p.text);
  show('progress', true);
  $('bar').value = p.percent;
  $('progress-text').textContent = p.text;
  announce(p);
}

// What the compare found ("14 of 16 sectors already hold this firmware; …"): shown and
// said as soon as it is known, whatever the phase line waits for.
function noteFound(p) {
  const note = $('progress-note');
  if (!p.note || note.textContent === p.note) return;
  note.textContent = p.note;
  show('progress-note', true);
  show('progress', true);
  $('progress-say').textContent = p.note;
}

function resetProgress() {
  clearTimeout(shown.timer);
  $('progress-note').textContent = '';
  show('progress-note', false);
  Object.assign(shown, { phase: null, at: 0, timer: null, latest: null });
}

function hideRepair() {
  show('repair', false);
  if (state.repair) { state.repair.cancelled = true; state.repair = null; renderDevice(); }
}

// The library asks for the device again after it re-enumerated with new ids.
function onRepair(req) {
  return new Promise((resolve, reject) => {
    const pending = { cancelled: false };
    state.repair = pending;
    $('repair-text').textContent = req.message;
    $('repair-button').textContent = req.buttonLabel;
    tabTitle(req.buttonLabel);
    show('repair', true);
    show('progress', false); // "Switching to update mode… 0%" would contradict the box
    renderDevice();
    $('repair-button').onclick = () => {
      if (pending.cancelled) return;
      const chosen = req.demo ? Promise.resolve(null) : requestDfuDevice(req.vendorId);
      chosen.then((dev) => { hideRepair(); resolve(dev); }, (e) => {
        $('repair-countdown').textContent = e.message || String(e);
      });
    };
    $('repair-button').focus();
    pending.reject = reject;
  });
}

// Open a device. `auto`: the page reconnects by itself to a device that came back; if
// that fails (it may still be starting, or be gone again) it stays quiet, keeps what the
// page says, and tries again at the next connect event.
// A demo device: its chip from the demo module (downloaded now if it is not yet), opened
// as a device.
async function openDemoChip(profile) {
  let m;
  try {
    m = await demoModule();
  } catch (_) {
    throw { title: t('page.problem.open'), details: [t('page.start_failed.retry')] };
  }
  const chip = m.DemoChip.open(profile);
  if (!chip) throw new Error(`no demo device is called ${profile}`);
  return openDemo(chip);
}

async function useDevice(opener, { auto = null } = {}) {
  if (!auto) { $('result').hidden = true; tabTitle(null); state.finished = false; }
  state.lost = null;
  try {
    if (state.device) { state.device.close(); state.device = null; }
    state.device = await opener();
    emit('state', { state: 'connected', device: state.device.describe().title });
    show('help', false);
    $('help-open').setAttribute('aria-expanded', 'false');
    if (state.expect && catalogUi) catalogUi.checkVersion();
  } catch (e) {
    if (auto) state.lost = auto; // retried when the device shows up anew
    // NotFoundError: the chooser was closed with nothing picked; the device may not be
    // listed at all, so the help says why that happens.
    else if (e && e.name === 'NotFoundError') showHelp(true);
    else showProblem(e, t('page.problem.open'));
  }
  renderDevice();
  refreshKnown();
}

async function refreshKnown() {
  let list = [];
  try { list = await knownDevices(); } catch (_) { list = []; }
  // The open device went away (unplugged, or restarted into its firmware): back to the
  // list, remembering who it was. When it is back and the page may use it (same vendor
  // and serial number), reconnect by itself.
  const open = state.device && !state.busy && state.device.usbDevice();
  if (open && !list.some((k) => k.device === open)) {
    state.device.close();
    state.device = null;
    emit('state', { state: 'disconnected' });
    // Who it was, to find it again when it is back (Rust decides: same vendor and serial).
    const gadget = lostDevice(open);
    state.lost = gadget ? { gadget, tried: null } : null;
    renderDevice();
  }
  const lost = state.lost;
  const again = !state.device && !state.busy && lost
    ? lost.gadget.findIn(list.map((k) => k.device), lost.tried) : undefined;
  if (again) {
    await useDevice(() => openDevice(again), { auto: { ...lost, tried: again } });
    return;
  }
  const ul = $('known-list');
  ul.replaceChildren();
  const shown = state.vendors.length ? list.filter((k) => state.vendors.includes(k.vendorId)) : list;
  for (const k of shown) {
    const li = el('li');
    const b = el('button', k.label);
    b.type = 'button';
    b.onclick = () => useDevice(() => openDevice(k.device));
    li.append(b);
    ul.append(li);
  }
  show('known', shown.length > 0 && !state.device);
}

// "My device is not in the list": what keeps a device out of the browser's chooser.
// The maker's own words for update mode (`help` attribute, or the `help` slot) and picture
// (`help-picture`, on this site only), shown as text.
function showHelp(afterChooser, focus = true) {
  $('help-title').textContent = t('page.help.title');
  $('help-lead').textContent = afterChooser ? t('page.help.none_chosen') : '';
  show('help-lead', afterChooser);
  const items = ['page.help.cable', 'page.help.mode', 'page.help.windows', 'page.help.linux', 'page.help.busy'];
  $('help-list').replaceChildren(...items.map((k) => el('li', t(k))));
  $('help-again').textContent = t('page.help.again');
  const words = opt('help');
  $('help-vendor').textContent = words || '';
  show('help-vendor', !!words);
  const pic = opt('help-picture');
  let src = null;
  try { if (pic) { const u = new URL(pic, location.href); if (u.origin === location.origin) src = u.href; } } catch (_) { /* not shown */ }
  if (src) $('help-picture').src = src;
  show('help-picture', !!src);
  show('help', true);
  $('help-open').setAttribute('aria-expanded', 'true');
  if (focus) $('help').focus();
}

function toggleHelp() {
  if ($('help').hidden) showHelp(false);
  else { show('help', false); $('help-open').setAttribute('aria-expanded', 'false'); }
}

// A message in place of the fit verdict, about the file (not the device); it stays until a
// file is chosen.
function fileNote(title, details, bad) {
  state.note = { title, details, bad };
  const fit = $('fit');
  fit.hidden = false;
  fit.className = bad ? 'verdict bad' : 'verdict';
  fit.replaceChildren(el('strong', title));
  if (details.length) {
    const ul = el('ul');
    for (const d of details) ul.append(el('li', d));
    fit.append(ul);
  }
}

// `?firmware=path` in the page's address: download that file from this site and choose
// it, unless the user chose one meanwhile. Rust decides what may be downloaded.
async function loadLinked() {
  const param = opt('firmware');
  if (!param) return;
  let href = param;
  try { href = new URL(param, location.href).href; } catch (_) { /* left as given: refused */ }
  const link = firmwareLink(href, location.origin);
  if (!link.ok) { fileNote(link.title, link.details, true); return; }
  const chosen = state.files;
  fileNote(link.title, [], false);
  const problem = (status, message) => {
    const p = firmwareDownloadProblem(link.name, status, message);
    if (state.files === chosen) fileNote(p.title, p.details, true);
  };
  let bytes;
  try {
    const r = await fetch(link.url, { cache: 'no-cache', credentials: 'same-origin' });
    if (!r.ok) return problem(r.status, '');
    if (Number(r.headers.get('content-length') || 0) > link.maxBytes) return problem(413, '');
    bytes = await r.arrayBuffer();
  } catch (e) {
    return problem(0, e.message || String(e));
  }
  if (state.files === chosen) await loadFile(new File([bytes], link.name));
}

async function loadFile(file) {
  dismissConfirm();
  state.files += 1;
  state.note = null;
  state.finished = false;
  $('result').hidden = true;
  tabTitle(null);
  const chosen = state.files;
  // A large file takes a moment to check: say so.
  if (file.size > (16 << 20)) fileNote(t('page.file.checking', { name: file.name }), [], false);
  try {
    // Read whole, or in slices when larger than memory should hold (then sent from it).
    const fw = await Firmware.fromFile(file, file.name);
    if (chosen !== state.files) { fw.free(); return; }
    state.note = null;
    state.firmware = fw;
    emit('state', { state: 'file', file: file.name });
    $('fit').hidden = true;
  } catch (e) {
    if (chosen !== state.files) return;
    state.firmware = null;
    show('file-panel', false);
    // Stays shown (also once a device is connected) until another file is chosen.
    fileNote(file.name + ': ' + (e.message || String(e)), [], true);
    $('update').disabled = true;
    return;
  }
  renderFirmware();
}

// Before anything is erased: one sentence with the one thing to remember, and the choice.
// Resolves to true when the user starts the update.
function confirmStart(device) {
  dismissConfirm();
  const name = device.describe().title;
  $('confirm-title').textContent = t('page.confirm.title', { name });
  $('confirm-text').textContent = t('page.confirm.keep', { name });
  show('confirm', true);
  $('update').disabled = true;
  $('confirm-go').focus();
  return new Promise((resolve) => {
    const done = (go) => {
      state.confirming = null;
      show('confirm', false);
      $('confirm').onkeydown = null;
      renderFit();
      if (!go) ($('update').hidden || $('update').disabled ? $('step-update') : $('update')).focus();
      resolve(go);
    };
    state.confirming = done;
    $('confirm-go').onclick = () => done(true);
    $('confirm-back').onclick = () => done(false);
    $('confirm').onkeydown = (e) => { if (e.key === 'Escape') { e.preventDefault(); done(false); } };
  });
}

// The question is stale once the device or the file changes.
function dismissConfirm() {
  if (state.confirming) state.confirming(false);
}

// Cancel before anything is written stops at once; once the device is being erased or
// written, it asks first and says what a stop means.
function cancelPressed() {
  const name = state.device ? state.device.describe().title : t('page.the_device');
  const phase = state.phase;
  if (phase === 'erase' || phase === 'write' || phase === 'verify') {
    $('stop-text').textContent = t(phase === 'verify' ? 'page.stop.verify' : 'page.stop.writing', { name });
    show('stop', true);
    $('stop-back').focus();
    $('stop').onkeydown = (e) => { if (e.key === 'Escape') { e.preventDefault(); keepGoing(); } };
    return;
  }
  stopNow();
}

function keepGoing() {
  show('stop', false);
  if (state.busy) $('cancel').focus();
}

function stopNow() {
  show('stop', false);
  if (state.device) state.device.cancel();
  $('cancel').disabled = true;
  // The disabled Cancel cannot keep the focus: the progress line has it until the result.
  if (!$('progress').hidden) $('progress').focus();
}

async function update(expect = null, alt = chosenAlt()) {
  const { device, firmware } = state;
  if (!device || !firmware || state.busy || state.confirming) return;
  $('result').hidden = true;
  if (!(await confirmStart(device))) return;
  if (state.device !== device || state.firmware !== firmware || state.busy) return;
  state.finished = false;
  state.phase = null;
  setBusy(true);
  emit('state', { state: 'updating' });
  window.addEventListener('beforeunload', warnUnload);
  try {
    const r = await device.update(firmware, { verify: $('verify').checked, force: $('force').checked, alt },
      onProgress, onRepair);
    // What the verdict said before (where the image goes, a warning) is history now.
    state.finished = true;
    $('force').checked = false;
    show('progress', false); // "Restarting the device… 100%" is history: the result says it
    renderFit();
    showResult(true, r.title, r.details.map((text) => ({ text })));
    if (expect && catalogUi) catalogUi.awaitVersion(expect);
  } catch (e) {
    show('progress', false); // a stale "about 3 s left" would mislead
    showProblem(e, t('page.problem.update'));
  } finally {
    hideRepair();
    window.removeEventListener('beforeunload', warnUnload);
    setBusy(false);
    refreshKnown(); // the device may have gone (unplugged) or come back meanwhile
  }
}

function renderOffer() { if (catalogUi) catalogUi.render(); }

// The catalog, or the code that reads it, could not be had: said where the offer goes.
function catalogFailed(e) {
  const status = $('offer-status');
  status.className = 'lead-line bad';
  status.textContent = (e && e.title) || t('page.offer.load_failed');
  $('offer-details').replaceChildren(...((e && e.details) || [String(e)]).map((d) => el('li', typeof d === 'string' ? d : d.code)));
}

async function backup() {
  const { device } = state;
  if (!device || state.busy) return;
  $('result').hidden = true;
  setBusy(true);
  try {
    const r = await device.backup(onProgress, onRepair);
    const url = URL.createObjectURL(new Blob([r.bytes], { type: 'application/octet-stream' }));
    const a = el('a');
    a.href = url;
    a.download = r.fileName;
    root.querySelector('.flasher').append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    showResult(true, r.title, r.details.map((text) => ({ text })));
  } catch (e) {
    show('progress', false);
    showProblem(e, t('page.problem.backup'));
  } finally {
    hideRepair();
    setBusy(false);
    refreshKnown();
  }
}

function warnUnload(ev) {
  ev.preventDefault();
  ev.returnValue = '';
}

// Everything the element shows again in the current language: its fixed texts and what
// the Rust API words (the device, the file, the verdict, the offer, the help).
function rewrite() {
  translate(root, t);
  const env = environment();
  $('unsupported-text').textContent = env.advice;
  // The demo devices, labelled anew (the first screen listed them; a tester may add one).
  const pick = $('demo-profile');
  for (const p of demoProfiles()) {
    let o = [...pick.options].find((x) => x.value === p.name);
    if (!o) { o = el('option'); o.value = p.name; pick.append(o); }
    o.textContent = p.label;
  }
  renderDevice();
  renderFirmware();
  renderFit();
  if (!$('help').hidden) showHelp(!$('help-lead').hidden, false);
  if (state.catalog) root.querySelector('.lead').textContent = state.catalog.lead();
}

// "Copy details for support": the session's plain-text log (see ui::support) on the
// clipboard, for the customer to paste into an email; where the clipboard is refused, the
// log is shown selected, to copy by hand.
async function copySupport() {
  const log = supportLog(navigator.userAgent);
  const box = $('support-log');
  try {
    await navigator.clipboard.writeText(log);
    box.hidden = true;
    $('support-said').textContent = t('page.support.copied');
  } catch (_) {
    box.value = log;
    box.hidden = false;
    box.focus();
    box.select();
    $('support-said').textContent = t('page.support.select');
  }
}

// The element starts: `wasm` has loaded and the language is set.
function start() {
  // "Details" (USB ids, memory areas, file internals) is closed until the customer opens
  // it, and stays as they left it.
  for (const id of ['device-details', 'file-details']) {
    const d = $(id);
    try { d.open = localStorage.getItem('dfu-flasher-' + id) === 'open'; } catch (_) { /* no storage */ }
    d.addEventListener('toggle', () => {
      try { localStorage.setItem('dfu-flasher-' + id, d.open ? 'open' : 'closed'); } catch (_) { /* no storage */ }
    });
  }
  const env = environment();
  if (!env.supported) {
    show('unsupported', true);
    $('connect').disabled = true;
  }
  // The demo device is the project's own page's; a vendor's page shows it only when asked
  // (`demo` attribute).
  const demo = host.hasAttribute('demo');
  for (const id of ['demo', 'demo-profile']) show(id, demo);
  $('demo-profile').closest('label').hidden = !demo;
  // `vendor="0483"` (several: comma-separated): only that maker's devices, in the chooser
  // and in the list of devices the page may already use.
  state.vendors = Array.from(linkVendors(opt('vendor')));
  $('connect').onclick = () => useDevice(() => requestDevice({ vendors: state.vendors }));
  $('help-open').onclick = toggleHelp;
  $('support-copy').onclick = copySupport;
  $('demo').onclick = () => useDevice(() => openDemoChip($('demo-profile').value));
  $('disconnect').onclick = () => {
    if (state.device) state.device.close();
    state.device = null;
    emit('state', { state: 'disconnected' });
    renderDevice();
    refreshKnown();
  };
  $('file').onchange = (e) => { if (e.target.files[0]) loadFile(e.target.files[0]); };
  $('force').onchange = renderFit;
  $('alt-select').onchange = renderFit;
  $('update').onclick = () => update();
  $('backup').onclick = backup;
  $('cancel').onclick = cancelPressed;
  $('stop-back').onclick = keepGoing;
  $('stop-go').onclick = stopNow;
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (!state.busy && e.dataTransfer.files[0]) loadFile(e.dataTransfer.files[0]);
  });
  rewrite();
  if (env.supported) {
    // Kept for the element's life: freeing it would remove the listeners.
    state.watch = watchDevices(() => { if (!state.busy) refreshKnown(); });
    refreshKnown();
  }
  const catalogParam = opt('catalog');
  show('catalog-demo', demo && !catalogParam);
  if (catalogParam) {
    // The offer takes the file step's place at once. Its code (flasher-catalog.js) came
    // beside the rest if the page had an element with a catalog then; else it comes now.
    state.catalogMode = true;
    show('offer', true);
    show('step-file', false);
    show('catalog-demo', false);
    show('update', false);
    $('offer-status').textContent = t('page.offer.loading');
    import('./flasher-catalog.js').then((m) => {
      catalogUi = m.catalogPart({ root, host, state, $, show, opt, el, t, anyOf, setBusy, showProblem, showResult, onProgress, update, failed: catalogFailed, VendorCatalog });
      $('beta').onchange = catalogUi.render;
      return catalogUi.load(catalogParam);
    }, catalogFailed);
  } else {
    loadLinked();
  }
}

// What the first screen (dfu-flasher.js) hands over when the user acted before the wasm
// was here: `connect(chosen)` opens the device the chooser gave (a promise: the chooser
// had to open in the click itself); the file chosen or dropped; the help asked for.
return {
  state, start, rewrite, text: (k, a) => t(k, a),
  connect: (chosen) => useDevice(async () => openDevice(await chosen)),
  loadFile, toggleHelp,
  fail: (e) => showResult(false, t('page.start_failed'), [{ text: e.message || String(e) }]),
};
}
