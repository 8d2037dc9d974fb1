// The project's own page, one host of <dfu-flasher> as a vendor's page would be: the
// page's address gives the element its attributes (`?catalog=`, `?firmware=`, `?vendor=`,
// `?channel=`, `?lang=`, `?help=`, `?help-picture=`), and the element's events give the tab
// its title.
const flasher = document.getElementById('flasher');
const q = new URLSearchParams(location.search);
for (const name of ['catalog', 'firmware', 'vendor', 'channel', 'lang', 'help', 'help-picture']) {
  const v = q.get(name);
  if (v !== null) flasher.setAttribute(name, v);
}
// A vendor's key for signed catalogs, as a <meta> of the page.
const key = document.querySelector('meta[name="dfu-flasher-catalog-key"]');
if (key) flasher.setAttribute('public-key', key.content);

// The tab's title follows what the element says, for a user who looks at another tab
// while the device is written: progress, a step that needs them, the outcome.
const title = () => flasher.text('page.title');
flasher.addEventListener('dfu-flasher-status', (e) => {
  document.title = e.detail.text ? `${e.detail.text} – ${title()}` : title();
});
flasher.addEventListener('dfu-flasher-state', (e) => {
  const s = e.detail.state;
  if (s === 'language') {
    document.documentElement.lang = e.detail.language;
    document.getElementById('title').textContent = title();
    document.title = title();
  }
  if (s === 'ready') {
    // For end-to-end tests: the current device and firmware handles; and for
    // `cargo xtask bench`, when the page became usable.
    // (The element's state exists once the rest of the updater is here: read it anew.)
    if (!Object.getOwnPropertyDescriptor(window, 'dfuPage')) {
      Object.defineProperty(window, 'dfuPage', { get: () => flasher.state, configurable: true });
    }
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = 'true';
  }
});

await import('./dfu-flasher.js');
