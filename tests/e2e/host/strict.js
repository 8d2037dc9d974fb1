// The vendor page's own script: it keeps everything the element tells the page, and every
// policy violation, where the end-to-end test reads them (window.flasherEvents,
// window.cspViolations, window.definedTwice).
window.flasherEvents = [];
window.cspViolations = [];
for (const name of ['state', 'status', 'progress', 'done', 'error']) {
  // On the document: the events bubble out of the element and cross its shadow root.
  document.addEventListener(`dfu-flasher-${name}`, (e) => {
    window.flasherEvents.push({
      type: e.type,
      target: e.target.id || e.target.localName,
      bubbles: e.bubbles,
      composed: e.composed,
      detail: JSON.parse(JSON.stringify(e.detail)),
    });
  });
}
document.addEventListener('securitypolicyviolation', (e) => {
  window.cspViolations.push({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  });
});

// The element's module a second time, as a second copy of it would be (another URL is
// another module instance, whose define must not throw): once the first has defined it.
window.definedTwice = customElements.whenDefined('dfu-flasher').then(async () => {
  const first = customElements.get('dfu-flasher');
  const src = document.querySelector('script[src$="dfu-flasher.js"]').src;
  await import(`${src}?again`);
  return customElements.get('dfu-flasher') === first ? 'kept' : 'replaced';
}).catch((e) => `failed: ${e && e.message}`);
