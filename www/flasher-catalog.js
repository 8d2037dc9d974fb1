// The vendor's updater (the element's `catalog` attribute; `?catalog=catalog.json` on the
// project's page): the catalog names the product and the release, and the element offers
// the one obvious action. Rust decides and words everything; what a catalog says is only
// ever set with textContent. Downloaded only for an element given a catalog
// (dfu-flasher.js fetches it beside the rest of the updater). `ctx`: what the element's
// glue (flasher-app.js, `mount`) shares with it; `ctx.VendorCatalog` is missing where the
// page loaded the wasm without the catalog code.
export function catalogPart(ctx) {
const { root, host, state, $, show, opt, el, t, anyOf, setBusy, showProblem, showResult, onProgress, update, failed, VendorCatalog } = ctx;

// Read the catalog at `param` and offer what it has for the device.
async function loadCatalog(param) {
  $('beta').checked = opt('channel') === 'beta';
  const status = $('offer-status');
  status.textContent = t('page.offer.loading');
  let href = param;
  try { href = new URL(param, location.href).href; } catch (_) { /* refused as given */ }
  // The vendor's Ed25519 key, if the page is configured with one: then only a catalog
  // signed with it is used.
  const key = opt('public-key') || undefined;
  try {
    // Loaded without the catalog code: this element got its `catalog` attribute after
    // another element on the page had brought the updater (see dfu-flasher.js).
    if (!VendorCatalog) throw new Error('this page loaded the updater without the vendor catalog: give the element its catalog attribute before it is added to the page');
    state.catalog = await VendorCatalog.load(href, location.origin, key);
  } catch (e) {
    failed(e);
    return;
  }
  root.querySelector('.lead').textContent = state.catalog.lead();
  renderOffer();
}

function renderOffer() {
  if (!state.catalogMode || !state.catalog) return;
  const c = state.catalog;
  const status = $('offer-status');
  const d = state.device;
  status.className = 'lead-line';
  $('offer-heading').textContent = t('page.offer.vendor', { vendor: c.vendor() });
  const hideAll = () => {
    for (const id of ['offer-release', 'offer-action', 'offer-secondary', 'offer-other']) show(id, false);
    $('offer-details').replaceChildren();
  };
  if (!d) {
    hideAll();
    state.offer = null;
    status.textContent = t('page.offer.connect', { products: anyOf(c.products()) });
    return;
  }
  // Release notes in the element's language first, then the browser's.
  const languages = [host.flasherLanguage || 'en', ...(navigator.languages || [])];
  const o = d.needsReconnect() ? null : c.offer(d, { beta: $('beta').checked, languages });
  state.offer = o;
  if (!o) { hideAll(); status.textContent = t('page.offer.reconnect'); return; }
  status.textContent = o.title;
  if (o.kind === 'up-to-date') status.className = 'lead-line ok';
  if (o.kind === 'unknown-device' || o.kind === 'no-release') status.className = 'lead-line bad';
  const r = o.release;
  show('offer-release', !!r);
  if (r) {
    $('offer-notes').textContent = r.notes || '';
    $('offer-meta').textContent = r.label;
  }
  $('offer-details').replaceChildren(...o.details.map((t) => el('li', t)));
  const action = $('offer-action');
  show('offer-action', !!o.action);
  action.textContent = o.action || '';
  action.onclick = () => install(r.version);
  const second = $('offer-secondary');
  show('offer-secondary', !!o.secondary);
  second.textContent = o.secondary || '';
  second.onclick = () => install(r.version);
  // Any release, deliberately (an older one says what a downgrade means).
  const choice = $('offer-choice');
  const others = o.choices;
  show('offer-other', others.length > 1 || (others.length > 0 && !o.action && !o.secondary));
  const keep = choice.value;
  choice.replaceChildren(...others.map((x) => { const opt = el('option', x.label); opt.value = x.version; return opt; }));
  if (others.some((x) => x.version === keep)) choice.value = keep;
  const warn = () => {
    const x = others.find((y) => y.version === choice.value);
    $('offer-warning').textContent = x ? x.warning : '';
  };
  choice.onchange = warn;
  warn();
  $('offer-install').onclick = () => install(choice.value);
  for (const id of ['offer-action', 'offer-secondary', 'offer-install', 'beta']) $(id).disabled = state.busy;
}

// Download the release, check it (size, SHA-256, then the same fit checks as a chosen
// file), then update as for a file.
async function install(version) {
  const { device, catalog } = state;
  if (!device || !catalog || state.busy) return;
  $('result').hidden = true;
  state.expect = null;
  setBusy(true);
  let fw;
  try {
    fw = await catalog.download(device, version, onProgress);
  } catch (e) {
    show('progress', false);
    setBusy(false);
    showProblem(e, t('page.problem.download'));
    return;
  }
  state.firmware = fw;
  setBusy(false);
  // The alt setting the catalog names for this release, if any.
  const o = state.offer;
  const chosen = o && [o.release, ...o.choices].find((x) => x && x.version === version);
  const alt = chosen && chosen.alt !== null ? chosen.alt : undefined;
  const c = device.check(fw, { alt });
  if (!c.ok) {
    show('progress', false);
    showResult(false, c.verdict, [...c.problems, ...c.risks].map((text) => ({ text })));
    return;
  }
  await update(version, alt);
}

// After an update from the catalog: read the version again once the device runs its
// firmware (the demo at once; a real device when it is back, or say that it is not).
const BACK_WITHIN_S = 30;
function awaitVersion(version) {
  const name = state.offer ? state.offer.name : productName();
  state.expect = { version, timer: null };
  if (state.device && !state.device.needsReconnect()) { checkVersion(); return; }
  state.expect.timer = setTimeout(() => {
    if (!state.expect) return;
    const out = VendorCatalog.notBack(name, BACK_WITHIN_S);
    state.expect = null;
    showResult(false, out.title, out.details.map((text) => ({ text })));
  }, BACK_WITHIN_S * 1000);
}

function productName() {
  const d = state.device && state.device.describe();
  return d ? d.title : t('page.the_device');
}

function checkVersion() {
  const e = state.expect;
  if (!e || !state.device || !state.catalog || state.device.needsReconnect()) return;
  clearTimeout(e.timer);
  state.expect = null;
  const out = state.catalog.outcome(state.device, e.version);
  showResult(out.ok, out.title, out.details.map((text) => ({ text })));
  renderOffer();
}

return { load: loadCatalog, render: renderOffer, checkVersion, awaitVersion };
}
