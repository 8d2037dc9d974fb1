// The page's timers, and a worker's while the page is hidden: see src/web/clock.rs.
let worker = null;
let next = 0;
const waiting = new Map();
export function use_worker(w) {
  if (worker) { worker.onmessage = null; worker.onerror = null; }
  worker = w || null;
  if (!worker) return;
  worker.onmessage = (e) => {
    const wait = waiting.get(e.data);
    if (wait) { waiting.delete(e.data); wait[0](); }
  };
  worker.onerror = () => {
    worker = null;
    for (const [resolve, at] of waiting.values()) setTimeout(resolve, Math.max(0, at - performance.now()));
    waiting.clear();
  };
}
// Is there a worker to time waits while the page is hidden, and is it hidden now?
export function use_worker_now() {
  return !!worker && typeof document !== 'undefined' && document.hidden;
}
export function worker_sleep(ms) {
  return new Promise((resolve) => {
    const id = ++next;
    waiting.set(id, [resolve, performance.now() + ms]);
    worker.postMessage([id, ms]);
  });
}
