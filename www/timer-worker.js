// The page's timer while its tab is hidden (src/web/clock.rs): Chromium runs a hidden
// tab's own timers at most once a second, but not a dedicated worker's.
// Message in: [id, ms]; message out, at least ms milliseconds later: id.
onmessage = (e) => {
  const [id, ms] = e.data;
  setTimeout(() => postMessage(id), ms);
};
