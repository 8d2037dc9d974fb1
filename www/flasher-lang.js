// Languages of the element. English is compiled into the wasm; another language's table
// (`lang/<tag>.json`, next to this file) is downloaded only when it is chosen.
import { text as t, setLanguage } from './pkg/dfu_flasher.js';

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

// Make `tag` the language of every message. Resolves to the tag in use (English if the
// table could not be downloaded or does not match English's keys).
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

// The element's fixed texts: `data-t` names an element's text, `data-t-label` its
// accessible name.
export function translate(root) {
  for (const e of root.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const e of root.querySelectorAll('[data-t-label]')) e.setAttribute('aria-label', t(e.dataset.tLabel));
}
