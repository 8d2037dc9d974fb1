// The screen wake lock while an operation runs: see src/web/awake.rs.
let wanted = 0;
let sentinel = null;
let asking = false;
let listening = false;
async function take() {
  if (!wanted || sentinel || asking || typeof navigator === 'undefined' || !navigator.wakeLock
      || typeof document === 'undefined' || document.visibilityState !== 'visible') return;
  asking = true;
  try {
    const s = await navigator.wakeLock.request('screen');
    if (wanted) {
      sentinel = s;
      s.addEventListener('release', () => { if (sentinel === s) sentinel = null; });
    } else {
      s.release().catch(() => {});
    }
  } catch (_) {
    // Refused: the operation runs without it.
  } finally {
    asking = false;
  }
}
export function hold() {
  wanted += 1;
  if (!listening && typeof document !== 'undefined') {
    listening = true;
    document.addEventListener('visibilitychange', take);
  }
  take();
}
export function release() {
  wanted = Math.max(0, wanted - 1);
  if (!wanted && sentinel) {
    const s = sentinel;
    sentinel = null;
    s.release().catch(() => {});
  }
}
