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
    this.app = mount(root, this);
    elements.add(this);
    this.start().catch((e) => this.app.fail(e));
  }

  disconnectedCallback() { elements.delete(this); }

  async start() {
    await loadWasm();
    // Its own `lang` sets the language of every element; without one, an element joins the
    // language the page's elements already speak.
    const own = this.getAttribute('lang');
    if (own || !pageLanguage) await this.switchLanguage(chooseLanguage(own), false);
    else this.speak(await settled(), false);
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
    if (live) this.app.rewrite();
    this.dispatchEvent(new CustomEvent('dfu-flasher-state', { detail: { state: 'language', language: tag }, bubbles: true, composed: true }));
  }

  // The state of the open updater, for tests and for vendors building on the element.
  get state() { return this.app ? this.app.state : null; }

  // The message `key` in the element's language (see lang/en.json).
  text(key, args) { return this.app ? this.app.text(key, args) : ''; }
}

// Defining it twice (the script included twice, or two copies of it) does no harm.
if (!customElements.get('dfu-flasher')) customElements.define('dfu-flasher', DfuFlasher);
