// Languages of the element, before the wasm is here: the page's first screen is worded
// from a small table (`lang/<tag>.first.json`: the `page.*` messages, written by
// `cargo xtask build`); every other message comes from the wasm, which gets the whole
// table (`lang/<tag>.json`) when it loads (see flasher-app.js `useLanguage`).

// The languages there are tables for, each named in itself (the switch lists them without
// downloading them). A vendor adding `lang/xx.json` adds a line here; a test checks that
// this list and the files agree.
export const LANGUAGES = [
  ['en', 'English'],
  ['de', 'Deutsch'],
  ['ja', '日本語'],
];

const STORE = 'dfu-flasher-language';

// The language to start in: the one the customer picked with the switch, else the
// element's `lang` attribute, else the browser's languages in order, else English.
export function chooseLanguage(attr) {
  let picked = null;
  try { picked = localStorage.getItem(STORE); } catch (_) { /* no storage */ }
  const wanted = [picked, attr, ...(navigator.languages || [navigator.language])];
  for (const w of wanted) {
    if (!w) continue;
    const primary = String(w).toLowerCase().split('-')[0];
    if (LANGUAGES.some(([tag]) => tag === primary)) return primary;
  }
  return 'en';
}

export function rememberLanguage(tag) {
  try { localStorage.setItem(STORE, tag); } catch (_) { /* no storage */ }
}

// The first screen's table of `tag`, downloaded once (rejects if it cannot be).
const firsts = new Map();
export function firstTable(tag) {
  if (!firsts.has(tag)) {
    const p = fetch(new URL(`./lang/${tag}.first.json`, import.meta.url), { credentials: 'same-origin' })
      .then((r) => { if (!r.ok) throw new Error(`lang/${tag}.first.json: HTTP ${r.status}`); return r.json(); });
    p.catch(() => firsts.delete(tag)); // tried again next time
    firsts.set(tag, p);
  }
  return firsts.get(tag);
}

// Message `key` of a first table, `{name}` filled from `args` (as the wasm's `text` does).
export function firstText(table, key, args) {
  const s = table && typeof table[key] === 'string' ? table[key] : key;
  return s.replace(/\{([a-z_]+)\}/g, (m, k) => (args && k in args ? String(args[k]) : m));
}

// The element's fixed texts with `t`: `data-t` names an element's text, `data-t-label`
// its accessible name.
export function translate(root, t) {
  for (const e of root.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const e of root.querySelectorAll('[data-t-label]')) e.setAttribute('aria-label', t(e.dataset.tLabel));
}
