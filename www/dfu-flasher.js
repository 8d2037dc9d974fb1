// <dfu-flasher>: the whole updater as one element, in its own shadow root (its styles do
// not reach the host page, the host page's do not reach inside, but for the documented
// custom properties and inherited font and colour).
//
//   <script type="module" src="dfu-flasher/dfu-flasher.js"></script>
//   <dfu-flasher catalog="firmware/catalog.json"></dfu-flasher>
//
// Attributes (read when the element starts; `lang` also later): `catalog`, `firmware`,
// `vendor` (USB vendor ids, comma-separated), `channel` (`beta`), `lang`, `public-key`
// (the catalog's Ed25519 key), `help` (the maker's words for update mode), `help-picture`
// (an image on the same site), `demo` (offer the demo devices). Slots: `unsupported`, `help`.
// Events (bubbling, composed): `dfu-flasher-state`, `-status`, `-progress`, `-done`,
// `-error`; see the README.
import { MARKUP } from './flasher-markup.js';
import { LANGUAGES, chooseLanguage, rememberLanguage, firstTable, firstText, translate } from './flasher-lang.js';

// The first screen is this file, the markup, the styles and a small message table: it is
// usable before the wasm and the rest of the updater (flasher-app.js) are downloaded.
// They are downloaded when they are needed: the user connects a device, opens the demo,
// chooses or drops a file or asks for help; the browser already lets the page use a
// device; or the element was given a catalog or a firmware link.

// The chooser's filters, for a click before the wasm is here (the chooser must open in
// the click itself). They are src/web/discover.rs's, which the wasm uses: DFU interfaces
// (class 0xFE, subclass 0x01), and the devices that hide theirs while they run
// (`core::quirks::without_runtime_interface`; tests/tidy.rs checks that the lists agree).
const HIDE_DFU_INTERFACE = [
  // without_runtime_interface: begin
  [0x1d50, 0x5119],
  [0x1d50, 0x60a7],
  // without_runtime_interface: end
];
function chooserFilters(vendors) {
  const dfu = (v) => (v === undefined ? { classCode: 0xfe, subclassCode: 0x01 } : { vendorId: v, classCode: 0xfe, subclassCode: 0x01 });
  const filters = vendors.length ? vendors.map(dfu) : [dfu()];
  for (const [vendorId, productId] of HIDE_DFU_INTERFACE) {
    if (!vendors.length || vendors.includes(vendorId)) filters.push({ vendorId, productId });
  }
  return filters;
}
// `vendor="0483,0x1209"`: as src/ui/link.rs `vendors` reads it.
function vendorIds(param) {
  const out = [];
  for (const v of String(param || '').split(/[, ]/)) {
    const h = v.replace(/^0[xX]/, '');
    if (/^[0-9a-fA-F]{1,4}$/.test(h) && !out.includes(parseInt(h, 16))) out.push(parseInt(h, 16));
  }
  return out;
}

// The demo devices (names as the wasm's `demoProfiles()`, which replaces these when it
// starts), labelled from the first table.
const DEMOS = [['dfu11-runtime', 'page.demo.widget'], ['stm32f4', 'page.demo.stm32f4'], ['uboot-emmc', 'page.demo.uboot']];

// The rest of the updater, downloaded once for every element on the page (one wasm
// instance, one language for all of them). A failed download is tried again at the next
// request. The wasm is the build with the vendor's catalog if an element on the page has
// a `catalog` attribute, else the one without it (64 KB less, 27 KB gzip).
let loading = null;
let loaded = null;
function wantsCatalog() {
  return [...elements].some((e) => e.hasAttribute('catalog')) || document.querySelector('dfu-flasher[catalog]') !== null;
}
function loadApp() {
  if (!loading) {
    loading = (async () => {
      const catalog = wantsCatalog();
      const module = catalog ? import('./pkg/dfu_flasher.js') : import('./pkg/dfu_flasher_plain.js');
      // With a catalog, the glue that shows its offer too (flasher-app.js imports it then).
      const parts = [import('./flasher-app.js'), module, catalog && import('./flasher-catalog.js')];
      const [app, wasm] = await Promise.all(parts);
      await wasm.default();
      app.useWasm(wasm);
      // Keeps poll waits at their length while the tab is hidden (see timer-worker.js).
      try {
        wasm.setTimerWorker(new Worker(new URL('./timer-worker.js', import.meta.url)));
      } catch (_) { /* no workers here: waits use the page's timers */ }
      // The wasm speaks the page's language from here on: in the order of the switches.
      const joined = (pageLanguage || Promise.resolve('en')).catch(() => 'en').then(async (tag) => {
        try { return await app.useLanguage(tag); } catch (_) { return app.useLanguage('en'); }
      });
      pageLanguage = joined;
      await joined;
      loaded = app;
      return app;
    })();
    loading.catch(() => { loading = null; });
  }
  return loading;
}

// The elements in the page, and the language they all speak: a promise of its tag, set as
// soon as a switch is asked for, so that switches run in order and an element that starts
// meanwhile knows what it joins.
const elements = new Set();
let pageLanguage = null;

// The language once every switch asked for so far has run.
async function settled() {
  let p;
  let tag;
  do { p = pageLanguage; tag = await p; } while (p !== pageLanguage);
  return tag;
}

// Make `tag` the language of the first screens and, once it is here, of the wasm.
async function useLanguage(tag) {
  const table = await firstTable(tag);
  if (loaded) await loaded.useLanguage(tag);
  tables.set(tag, table);
  return tag;
}
const tables = new Map();

class DfuFlasher extends HTMLElement {
  static get observedAttributes() { return ['lang']; }

  connectedCallback() {
    if (this.shadowRoot) {
      // Moved in the page, or put back: keeps running as it is, in the page's language.
      elements.add(this);
      if (this.flasherLanguage && pageLanguage) {
        pageLanguage.then((tag) => { if (tag !== this.flasherLanguage) this.speak(tag, true); });
      }
      return;
    }
    const root = this.attachShadow({ mode: 'open' });
    const template = document.createElement('template');
    template.innerHTML = MARKUP; // the element's own static markup (see flasher-markup.js)
    root.append(template.content.cloneNode(true));
    elements.add(this);
    this.start().catch((e) => this.failed(e));
  }

  disconnectedCallback() { elements.delete(this); }

  // The first screen: worded, its controls wired, usable.
  async start() {
    // Its own `lang` sets the language of every element; without one, an element joins the
    // language the page's elements already speak.
    const own = this.getAttribute('lang');
    if (own || !pageLanguage) await this.switchLanguage(chooseLanguage(own), false);
    else this.speak(await settled(), false);
    const $ = (id) => this.shadowRoot.getElementById(id);
    const pick = $('language');
    pick.replaceChildren(...LANGUAGES.map(([tag, name]) => {
      const o = document.createElement('option');
      o.value = tag;
      o.textContent = name;
      o.lang = tag;
      return o;
    }));
    pick.value = this.flasherLanguage;
    pick.onchange = () => { rememberLanguage(pick.value); this.switchLanguage(pick.value, true); };
    this.first();
    this.dispatchEvent(new CustomEvent('dfu-flasher-state', { detail: { state: 'ready' }, bubbles: true, composed: true }));
    if (loaded) { this.begin(); return; } // another element brought the rest already
    // Needed at once: a catalog or a firmware link to fetch, or a device the browser
    // already lets the page use (it is listed, or the page reconnects to it).
    if (this.hasAttribute('catalog') || this.hasAttribute('firmware')) this.upgrade();
    else if (navigator.usb) {
      navigator.usb.getDevices().then((list) => { if (list.length) this.upgrade(); }, () => {});
      navigator.usb.addEventListener('connect', () => this.upgrade(), { once: true });
    }
  }

  // The first screen's controls: each downloads the rest and hands over what the user did.
  first() {
    const root = this.shadowRoot;
    const $ = (id) => root.getElementById(id);
    const t = (k, a) => this.text(k, a);
    const usb = navigator.usb;
    if (!usb) {
      $('unsupported').hidden = false;
      $('unsupported-text').textContent = t(window.isSecureContext ? 'page.unsupported.browser' : 'page.unsupported.insecure');
      $('connect').disabled = true;
    }
    const demo = this.hasAttribute('demo');
    $('demo').hidden = !demo;
    $('demo-profile').closest('label').hidden = !demo;
    $('catalog-demo').hidden = !(demo && !this.hasAttribute('catalog'));
    if (this.hasAttribute('catalog')) {
      // The catalog's screen from the start (the updater loads it as soon as it is here).
      $('offer').hidden = false;
      $('step-file').hidden = true;
      $('update').hidden = true;
      $('offer-status').textContent = t('page.offer.loading');
    }
    $('demo-profile').replaceChildren(...DEMOS.map(([name, key]) => {
      const o = document.createElement('option');
      o.value = name;
      o.textContent = t(key);
      return o;
    }));
    $('connect').onclick = () => {
      // In the click: the browser opens its chooser only while handling one.
      let chosen;
      try { chosen = usb.requestDevice({ filters: chooserFilters(vendorIds(this.getAttribute('vendor'))) }); } catch (e) { chosen = Promise.reject(e); }
      chosen.catch(() => {}); // handled by the app
      this.upgrade((app) => app.connect(chosen));
    };
    // The rest of the updater handles these (its handlers replace these ones).
    for (const id of ['demo', 'help-open', 'support-copy']) $(id).onclick = () => this.upgrade(() => $(id).click());
    // The demo needs its chip's module too: downloaded beside the rest, not after it.
    $('demo').addEventListener('click', () => {
      if (!this.app) import('./flasher-demo.js').then((m) => m.demoModule()).catch(() => {});
    });
    $('file').onchange = (e) => { const f = e.target.files[0]; if (f) this.upgrade((app) => app.loadFile(f)); };
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => { if (!this.app) { e.preventDefault(); drop.classList.add('over'); } });
    drop.addEventListener('dragleave', () => { if (!this.app) drop.classList.remove('over'); });
    drop.addEventListener('drop', (e) => {
      if (this.app) return;
      e.preventDefault();
      drop.classList.remove('over');
      const f = e.dataTransfer.files[0];
      if (f) this.upgrade((app) => app.loadFile(f));
    });
  }

  // The whole updater in this element (every element on the page, once it is here), then
  // `then(app)`: what the user asked for. While it downloads, the element says so.
  upgrade(then) {
    const $ = (id) => this.shadowRoot.getElementById(id);
    if (this.app) { if (then) then(this.app); return; }
    const slow = setTimeout(() => { if (!this.app) $('loading').hidden = false; }, 300);
    loadApp().then(() => {
      for (const el of elements) el.begin();
      clearTimeout(slow);
      $('loading').hidden = true;
      if (then) then(this.app);
    }, (e) => { clearTimeout(slow); $('loading').hidden = true; this.failed(e); });
  }

  // The updater takes over this element's screen (its handlers replace the first's).
  begin() {
    if (this.app || !loaded || !this.flasherLanguage) return;
    this.app = loaded.mount(this.shadowRoot, this);
    this.app.start();
  }

  // The rest of the updater could not be downloaded (the connection dropped): said in the
  // element, and tried again at the next click.
  failed(e) {
    if (this.app) { this.app.fail(e); return; }
    const r = this.shadowRoot.getElementById('result');
    const title = document.createElement('strong');
    title.textContent = this.text('page.start_failed');
    const why = document.createElement('p');
    why.textContent = this.text('page.start_failed.retry');
    r.replaceChildren(title, why);
    r.className = 'failed';
    r.hidden = false;
    console.warn(`dfu-flasher: ${e && e.message ? e.message : e}`);
  }

  attributeChangedCallback(name, before, after) {
    if (name === 'lang' && after && after !== before && this.flasherLanguage) {
      this.switchLanguage(chooseLanguage(after), true);
    }
  }

  // Every element on the page speaks the language just chosen, and each whose language
  // changed tells its host page.
  async switchLanguage(tag, live) {
    const switching = (pageLanguage || Promise.resolve()).catch(() => null).then(async () => {
      try { return await useLanguage(tag); } catch (e) {
        console.warn(`dfu-flasher: language ${tag} not available (${e.message}); using English`);
        return useLanguage('en');
      }
    });
    pageLanguage = switching;
    const used = await settled();
    this.speak(used, live);
    for (const el of elements) {
      if (el !== this && el.flasherLanguage && el.flasherLanguage !== used) el.speak(used, true);
    }
  }

  // This element in the language `tag` (already the message table's): `live`, its texts
  // are rewritten (otherwise its start writes them).
  speak(tag, live) {
    this.flasherLanguage = tag;
    this.shadowRoot.querySelector('.flasher').lang = tag;
    const pick = this.shadowRoot.getElementById('language');
    if (pick.options.length) pick.value = tag;
    if (this.app) { if (live) this.app.rewrite(); } else this.rewriteFirst();
    this.dispatchEvent(new CustomEvent('dfu-flasher-state', { detail: { state: 'language', language: tag }, bubbles: true, composed: true }));
  }

  // The first screen's texts in the current language.
  rewriteFirst() {
    const root = this.shadowRoot;
    translate(root, (k, a) => this.text(k, a));
    const demos = root.getElementById('demo-profile');
    for (const o of demos.options) {
      const d = DEMOS.find(([name]) => name === o.value);
      if (d) o.textContent = this.text(d[1]);
    }
    if (this.hasAttribute('catalog')) root.getElementById('offer-status').textContent = this.text('page.offer.loading');
    if (!navigator.usb) {
      root.getElementById('unsupported-text').textContent = this.text(window.isSecureContext ? 'page.unsupported.browser' : 'page.unsupported.insecure');
    }
  }

  // The state of the open updater, for tests and for vendors building on the element
  // (null until the rest of the updater is here).
  get state() { return this.app ? this.app.state : null; }

  // The message `key` in the element's language (see lang/en.json): the wasm's once it is
  // here, before that the first table's (the `page.*` messages).
  text(key, args) {
    if (this.app) return this.app.text(key, args);
    return firstText(tables.get(this.flasherLanguage), key, args);
  }
}

// Defining it twice (the script included twice, or two copies of it) does no harm.
if (!customElements.get('dfu-flasher')) customElements.define('dfu-flasher', DfuFlasher);
