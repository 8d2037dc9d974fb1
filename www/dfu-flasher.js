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
import init, { setTimerWorker } from './pkg/dfu_flasher.js';
import { MARKUP } from './flasher-markup.js';
import { mount } from './flasher-app.js';
import { LANGUAGES, chooseLanguage, rememberLanguage, useLanguage } from './flasher-lang.js';

// One wasm instance for every element on the page (one language for all of them).
let ready = null;
function loadWasm() {
  if (!ready) {
    ready = init().then(() => {
      // Keeps poll waits at their length while the tab is hidden (see timer-worker.js).
      try {
        setTimerWorker(new Worker(new URL('./timer-worker.js', import.meta.url)));
      } catch (_) { /* no workers here: waits use the page's timers */ }
    });
  }
  return ready;
}

const elements = new Set();

class DfuFlasher extends HTMLElement {
  static get observedAttributes() { return ['lang']; }

  connectedCallback() {
    if (this.shadowRoot) return; // moved in the page: keeps running as it is
    const root = this.attachShadow({ mode: 'open' });
    const template = document.createElement('template');
    template.innerHTML = MARKUP; // the element's own static markup (see flasher-markup.js)
    root.append(template.content.cloneNode(true));
    this.app = mount(root, this);
    elements.add(this);
    this.start().catch((e) => this.app.fail(e));
  }

  async start() {
    await loadWasm();
    await this.switchLanguage(chooseLanguage(this.getAttribute('lang')), false);
    const pick = this.shadowRoot.getElementById('language');
    pick.replaceChildren(...LANGUAGES.map(([tag, name]) => {
      const o = document.createElement('option');
      o.value = tag;
      o.textContent = name;
      o.lang = tag;
      return o;
    }));
    pick.value = this.flasherLanguage;
    pick.onchange = () => { rememberLanguage(pick.value); this.switchLanguage(pick.value, true); };
    this.app.start();
  }

  attributeChangedCallback(name, before, after) {
    if (name === 'lang' && this.app && after && after !== before && this.flasherLanguage) {
      this.switchLanguage(chooseLanguage(after), true);
    }
  }

  // Every element on the page speaks the language just chosen.
  async switchLanguage(tag, live) {
    let used = 'en';
    try { used = await useLanguage(tag); } catch (e) {
      console.warn(`dfu-flasher: language ${tag} not available (${e.message}); using English`);
      await useLanguage('en');
    }
    for (const el of elements) {
      el.flasherLanguage = used;
      el.shadowRoot.querySelector('.flasher').lang = used;
      const pick = el.shadowRoot.getElementById('language');
      if (pick.options.length) pick.value = used;
      if (live || el !== this) el.app.rewrite();
    }
    this.dispatchEvent(new CustomEvent('dfu-flasher-state', { detail: { state: 'language', language: used }, bubbles: true, composed: true }));
  }

  // The state of the open updater, for tests and for vendors building on the element.
  get state() { return this.app ? this.app.state : null; }

  // The message `key` in the element's language (see lang/en.json).
  text(key, args) { return this.app ? this.app.text(key, args) : ''; }
}

// Defining it twice (the script included twice, or two copies of it) does no harm.
if (!customElements.get('dfu-flasher')) customElements.define('dfu-flasher', DfuFlasher);
