//! The browser entry point: takes over the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazy routes (see `app`): hydration waits for the current
    // page's wasm chunk, which the server already asked the browser to
    // preload alongside this bundle.
    leptos::mount::hydrate_lazy(app::App);
}
