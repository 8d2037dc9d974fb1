// The element's markup: static, written here, never built from anything a device, a file
// or a catalog says (those are set with textContent). Texts come from the message table:
// `data-t` names the key of an element's text, `data-t-label` of its aria-label.
export const MARKUP = `
<link rel="stylesheet" href="${new URL('./flasher.css', import.meta.url).href}">
<div class="flasher">
  <div class="bar-top">
    <p class="lead" data-t="page.lead"></p>
    <label class="inline lang-pick" for="language"><span data-t="page.language"></span>
      <select id="language"></select>
    </label>
  </div>
  <section id="unsupported" class="card warn" hidden>
    <h2 data-t="page.unsupported.title"></h2>
    <slot name="unsupported"><p id="unsupported-text"></p></slot>
  </section>

  <section id="step-device" class="card" aria-labelledby="device-title">
    <h2 id="device-title"><span class="num" aria-hidden="true">1</span> <span data-t="page.step.device"></span></h2>
    <p class="hint" data-t="page.step.device.hint"></p>
    <div class="row">
      <button id="connect" class="primary" type="button" data-t="page.connect"></button>
      <button id="demo" type="button" data-t="page.demo"></button>
      <label class="inline" for="demo-profile"><span data-t="page.demo.label"></span>
        <select id="demo-profile"></select>
      </label>
    </div>
    <p id="loading" class="hint" role="status" data-t="page.loading" hidden></p>
    <p><button id="help-open" type="button" class="link" aria-expanded="false" aria-controls="help" data-t="page.help.open"></button></p>
    <section id="help" class="card inner attention" aria-labelledby="help-title" tabindex="-1" hidden>
      <h3 id="help-title" data-t="page.help.title"></h3>
      <p id="help-lead" data-t="page.help.none_chosen"></p>
      <slot name="help"><p id="help-vendor" class="notes-text" hidden></p></slot>
      <img id="help-picture" alt="" hidden>
      <ul id="help-list"></ul>
      <p id="help-again" data-t="page.help.again"></p>
    </section>
    <p id="catalog-demo" class="hint" hidden><a id="catalog-demo-link" href="?catalog=www/demo/catalog.json" data-t="page.catalog_demo"></a></p>
    <div id="known" hidden>
      <h3 data-t="page.known"></h3>
      <ul id="known-list" class="plain"></ul>
    </div>
    <div id="device-panel" hidden>
      <h3 id="device-name"></h3>
      <p id="device-mode" class="badge"></p>
      <details id="device-details" class="more">
        <summary data-t="page.details"></summary>
        <dl id="device-facts" class="facts"></dl>
        <div id="alts"></div>
      </details>
      <div class="row">
        <button id="backup" type="button" data-t="page.backup"></button>
        <button id="disconnect" type="button" class="link" data-t="page.disconnect"></button>
      </div>
    </div>
  </section>

  <section id="offer" class="card" aria-labelledby="offer-title" hidden>
    <h2 id="offer-title"><span class="num" aria-hidden="true">2</span> <span id="offer-heading" data-t="page.offer.heading"></span></h2>
    <p id="offer-status" class="lead-line" role="status"></p>
    <div id="offer-release" hidden>
      <p id="offer-notes" class="notes-text"></p>
      <p id="offer-meta" class="hint"></p>
    </div>
    <ul id="offer-details" class="notes"></ul>
    <div class="row">
      <button id="offer-action" class="primary big" type="button" hidden></button>
      <button id="offer-secondary" type="button" hidden></button>
    </div>
    <div class="row">
      <label class="inline"><input id="beta" type="checkbox"> <span data-t="page.beta"></span></label>
    </div>
    <details id="offer-other" hidden>
      <summary data-t="page.offer.other"></summary>
      <div class="row">
        <label class="inline" for="offer-choice"><span data-t="page.offer.release"></span>
          <select id="offer-choice"></select>
        </label>
        <button id="offer-install" type="button" data-t="page.offer.install"></button>
      </div>
      <p id="offer-warning" class="warn-text"></p>
    </details>
  </section>

  <section id="step-file" class="card" aria-labelledby="file-title">
    <h2 id="file-title"><span class="num" aria-hidden="true">2</span> <span data-t="page.step.file"></span></h2>
    <div id="drop" class="drop" tabindex="-1">
      <p data-t="page.drop"></p>
      <input id="file" type="file" accept=".dfu,.bin,.hex,.ihex,application/octet-stream" class="visually-hidden">
      <label class="button" for="file" data-t="page.choose"></label>
    </div>
    <div id="file-panel" hidden>
      <h3 id="file-name"></h3>
      <details id="file-details" class="more">
        <summary data-t="page.details"></summary>
        <dl id="file-facts" class="facts"></dl>
        <div id="file-targets"></div>
      </details>
      <ul id="file-warnings" class="notes"></ul>
    </div>
    <div id="fit" class="verdict" hidden role="status"></div>
  </section>

  <section id="step-update" class="card" aria-labelledby="update-title">
    <h2 id="update-title"><span class="num" aria-hidden="true">3</span> <span data-t="page.step.update"></span></h2>
    <div class="row" id="alt-box" hidden>
      <label for="alt-select" data-t="page.alt"></label>
      <select id="alt-select"></select>
    </div>
    <div class="row">
      <label class="inline"><input id="verify" type="checkbox" checked> <span data-t="page.verify"></span></label>
    </div>
    <div class="row" id="force-box" hidden>
      <label class="inline" id="force-label"><input id="force" type="checkbox" aria-describedby="force-warning"> <span data-t="page.force"></span></label>
      <p id="force-warning"></p>
    </div>
    <div class="row">
      <button id="update" class="primary big" type="button" disabled data-t="page.update"></button>
      <button id="cancel" type="button" hidden data-t="page.cancel"></button>
    </div>
    <div id="confirm" class="card inner attention" role="group" aria-labelledby="confirm-title" aria-describedby="confirm-text" hidden>
      <h3 id="confirm-title"></h3>
      <p id="confirm-text"></p>
      <div class="row">
        <button id="confirm-go" class="primary" type="button" data-t="page.confirm.go"></button>
        <button id="confirm-back" type="button" data-t="page.confirm.back"></button>
      </div>
    </div>
    <div id="stop" class="card inner warn" role="group" aria-labelledby="stop-title" aria-describedby="stop-text" hidden>
      <h3 id="stop-title" data-t="page.stop.title"></h3>
      <p id="stop-text"></p>
      <div class="row">
        <button id="stop-back" class="primary" type="button" data-t="page.stop.back"></button>
        <button id="stop-go" type="button" data-t="page.stop.go"></button>
      </div>
    </div>
    <div id="repair" class="card inner attention" hidden>
      <p id="repair-text"></p>
      <p id="repair-countdown" class="hint"></p>
      <button id="repair-button" class="primary" type="button" aria-describedby="repair-text"></button>
    </div>
    <div id="progress" tabindex="-1" hidden>
      <progress id="bar" max="100" value="0" data-t-label="page.progress.label" aria-describedby="progress-text"></progress>
      <p id="progress-text"></p>
      <p id="progress-note" class="hint" hidden></p>
      <p id="progress-say" class="visually-hidden" aria-live="polite"></p>
    </div>
    <div id="result" hidden role="alert" tabindex="-1"></div>
  </section>
  <div class="support">
    <button id="support-copy" type="button" class="link" data-t="page.support.copy"></button>
    <p id="support-said" role="status"></p>
    <textarea id="support-log" readonly rows="8" data-t-label="page.support.log" hidden></textarea>
  </div>
  <p class="foot" data-t="page.footer"></p>
</div>
`;
