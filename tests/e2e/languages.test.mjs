// End-to-end: the page in English, German and Japanese. The language comes from the
// browser's languages, the element's `lang` attribute or the visible switch; only the
// chosen table is downloaded; every state of a whole demo update is shown in each
// language at desktop and phone width without a missing text or anything wider than the
// screen. Screenshots of every state (E2E_SCREENSHOTS) are looked at before a release.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const URL = process.env.E2E_URL || 'http://127.0.0.1:8000/';
const SHOTS = process.env.E2E_SCREENSHOTS || '';
const dir = mkdtempSync(join(tmpdir(), 'dfu-lang-'));
let browser;

before(async () => {
  browser = await launch();
});
after(async () => { await browser?.close(); });

function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  if (n >= 0x42) b.set([0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
  return b;
}

async function open(name, { locale = 'en-US', query = '', width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ locale, viewport: { width, height } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') page.errors.push(m.text()); });
  page.langFiles = [];
  page.on('request', (r) => { const m = /\/lang\/([a-z-]+(?:\.first)?)\.json$/.exec(r.url()); if (m) page.langFiles.push(m[1]); });
  await page.goto(URL + query);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  page.shot = async (step) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `lang-${name}-${step}.png`), fullPage: true });
  };
  page.done = async () => { await context.close(); };
  return page;
}

// What the element shows (its shadow root's visible text) and how wide the page is.
const look = (page) => page.evaluate(() => {
  const root = document.querySelector('dfu-flasher').shadowRoot;
  const visible = (e) => !e.closest('[hidden]') && e.getClientRects().length > 0;
  const texts = [...root.querySelectorAll('.flasher *')].filter((e) => visible(e) && e.children.length === 0)
    .map((e) => e.textContent.trim()).filter(Boolean);
  return { texts, wide: document.documentElement.scrollWidth, lang: root.querySelector('.flasher').lang };
});

// A message key shown as itself is a missing text.
const KEY = /\b(?:page|device|words|problem|fit|catalog|link|progress|date|size|number|duration)\.[a-z_]+(?:\.[a-z_0-9]+)*\b/;

async function check(page, width, where) {
  const l = await look(page);
  const raw = l.texts.filter((t) => KEY.test(t));
  assert.deepEqual(raw, [], `${where}: no message key shown as text`);
  assert.ok(l.wide <= width, `${where}: the page is ${l.wide} px wide at ${width} px`);
  return l;
}

const WORDS = {
  en: { connect: 'Connect device', update: 'Update firmware', keep: /^Keep Demo Widget plugged in until this page says Done\.$/, done: /^Done!/ },
  de: { connect: 'Gerät verbinden', update: 'Firmware aktualisieren', keep: /^Lassen Sie Demo Widget angeschlossen, bis diese Seite „Fertig“ meldet\.$/, done: /^Fertig!/ },
  ja: { connect: 'デバイスを接続', update: 'ファームウェアを更新', keep: /^このページに「完了」と表示されるまで、Demo Widget を接続したままにしてください。$/, done: /^完了しました/ },
};

// Before the user acts, only its first screen's table (`.first`); the whole table comes
// with the rest of the updater.
test('the browser\'s language is used, and only its table is downloaded', async () => {
  for (const [locale, lang] of [['de-DE', 'de'], ['ja-JP', 'ja'], ['en-GB', 'en'], ['fr-FR', 'en']]) {
    const page = await open(`auto-${lang}`, { locale });
    assert.equal((await page.textContent('#connect')).trim(), WORDS[lang].connect, locale);
    assert.equal((await look(page)).lang, lang, `${locale}: the element says which language it speaks`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    assert.deepEqual(page.langFiles, [`${lang}.first`], `${locale}: downloaded ${page.langFiles}`);
    await page.click('#demo');
    await page.waitForSelector('#device-panel:not([hidden])');
    assert.deepEqual(page.langFiles, lang === 'en' ? ['en.first'] : [`${lang}.first`, lang], `${locale}: then ${page.langFiles}`);
    assert.deepEqual(page.errors, []);
    await page.done();
  }
});

test('the switch changes the language at once, is remembered, and wins over the browser', async () => {
  const page = await open('switch', { locale: 'de-DE' });
  await page.click('#demo');
  await page.waitForSelector('#device-panel:not([hidden])');
  const mode = (await page.textContent('#device-mode')).trim();
  await page.selectOption('#language', 'ja');
  await page.waitForFunction(() => document.querySelector('dfu-flasher').shadowRoot.querySelector('.flasher').lang === 'ja');
  assert.equal((await page.textContent('#connect')).trim(), WORDS.ja.connect);
  // What the Rust side words is rewritten too (the device card), not only the fixed texts.
  assert.notEqual((await page.textContent('#device-mode')).trim(), mode);
  assert.equal(await page.title(), 'ファームウェアの更新');
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  assert.equal((await page.textContent('#connect')).trim(), WORDS.ja.connect, 'remembered');
  assert.deepEqual(page.errors, []);
  await page.done();
  // The element's lang attribute (here from the page's ?lang=) is used when nobody chose.
  const asked = await open('attr', { locale: 'en-US', query: '?lang=de' });
  assert.equal((await asked.textContent('#connect')).trim(), WORDS.de.connect);
  await asked.done();
});

test('release notes and dates from the catalog come in the page\'s language', async () => {
  const page = await open('catalog-de', { locale: 'de-DE', query: '?catalog=www/demo/catalog.json' });
  await page.selectOption('#demo-profile', 'dfu11-runtime');
  await page.click('#demo');
  await page.waitForSelector('#offer-release:not([hidden])');
  assert.equal((await page.textContent('#offer-notes')).trim(), 'Behebt die Anzeige der Akkuladung nach einer Tiefentladung.');
  assert.match(await page.textContent('#offer-meta'), /20\. November 2026/);
  await page.selectOption('#language', 'en');
  await page.waitForFunction(() => /battery gauge/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#offer-notes').textContent));
  assert.match(await page.textContent('#offer-meta'), /20 November 2026/);
  await check(page, 1280, 'catalog');
  await page.done();
});

test('every state of a demo update in each language, at desktop and phone width', async () => {
  const fw = bytes(20000, 5);
  writeFileSync(join(dir, 'widget.bin'), fw);
  execFileSync('dfu-suffix', ['-v', '1209', '-p', '2302', '-a', 'widget.bin'], { cwd: dir });
  writeFileSync(join(dir, 'notes.txt'), 'these are not firmware\n'.repeat(20));
  for (const lang of ['en', 'de', 'ja']) {
    for (const [width, height] of [[1280, 900], [360, 740]]) {
      const where = `${lang} ${width}`;
      const page = await open(`${lang}-${width}`, { query: `?lang=${lang}`, width, height });
      await check(page, width, `${where} start`);
      await page.shot('1-start');
      await page.click('#help-open');
      await check(page, width, `${where} help`);
      await page.shot('2-help');
      await page.click('#help-open');
      await page.setInputFiles('#file', join(dir, 'notes.txt'));
      await page.waitForSelector('#fit.bad');
      await check(page, width, `${where} refused file`);
      await page.shot('3-refused');
      await page.selectOption('#demo-profile', 'stm32f4');
      await page.click('#demo');
      await page.waitForSelector('#device-panel:not([hidden])');
      await page.click('#device-details summary');
      await check(page, width, `${where} memory tables`);
      await page.shot('4-details');
      await page.click('#device-details summary');
      await page.selectOption('#demo-profile', 'dfu11-runtime');
      await page.click('#demo');
      await page.waitForFunction(() => /Demo Widget/.test(document.querySelector('dfu-flasher').shadowRoot.querySelector('#device-name').textContent));
      await page.setInputFiles('#file', join(dir, 'widget.bin'));
      await page.waitForSelector('#fit.pending');
      await check(page, width, `${where} file`);
      await page.shot('5-file');
      assert.equal((await page.textContent('#update')).trim(), WORDS[lang].update, where);
      await page.click('#update');
      await page.waitForSelector('#confirm:not([hidden])');
      assert.match((await page.textContent('#confirm-text')).trim(), WORDS[lang].keep, where);
      await check(page, width, `${where} confirm`);
      await page.shot('6-confirm');
      await page.click('#confirm-go');
      await page.waitForSelector('#repair:not([hidden])', { timeout: 20000 });
      await check(page, width, `${where} re-pair`);
      await page.shot('7-repair');
      await page.click('#repair-button');
      await page.waitForSelector('#result:not([hidden])', { timeout: 60000 });
      assert.match((await page.textContent('#result h3')).trim(), WORDS[lang].done, where);
      await check(page, width, `${where} done`);
      await page.shot('8-done');
      assert.deepEqual(page.errors, [], where);
      await page.done();
    }
  }
});
