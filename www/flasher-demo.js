// The demo chip's wasm module (the simulator, `web::chip`): downloaded the first time
// the demo is chosen, never for a real device. One instance for the whole page: every
// caller shares the one promise (two initialisations would be two modules).
let loading = null;
export function demoModule() {
  loading ??= import('./pkg/dfu_demo.js').then(async (m) => {
    await m.default();
    return m;
  });
  // A failed download is tried again on the next call.
  loading.catch(() => { loading = null; });
  return loading;
}
