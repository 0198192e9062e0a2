//! A deployment's adapter output, live: server-sent events from
//! `/live/deployments/{id}` (see the server's `live.rs`), appended as they
//! arrive. `on_change` runs when the deployment changes state, so the page
//! can reload what it shows around it.

use leptos::prelude::*;

#[component]
pub fn DeploymentOutput(
    id: i64,
    /// The state the page showed; only a change from it calls `on_change`.
    state: slipway_domain::deployment::DeploymentState,
    /// Called when the deployment's state changes (and when it ends).
    #[prop(optional)]
    on_change: Option<Callback<()>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let connected = RwSignal::new(false);
    let seen = StoredValue::new(state.as_str().to_owned());
    // The stream is the browser's (after hydration); the server renders
    // the empty frame.
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, on_change, seen);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        let url = format!("/live/deployments/{id}");
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        connected.set(true);
        let on_output = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |e: web_sys::MessageEvent| {
                if let Some(chunk) = e.data().as_string() {
                    text.update(|t| t.push_str(&chunk));
                }
            },
        );
        let on_state = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |e: web_sys::MessageEvent| {
                let now = e.data().as_string().unwrap_or_default();
                if seen.with_value(|s| *s != now) {
                    seen.set_value(now);
                    if let Some(cb) = on_change {
                        cb.run(());
                    }
                }
            },
        );
        let closer = source.clone();
        let on_end = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |_: web_sys::MessageEvent| closer.close(),
        );
        let _ =
            source.add_event_listener_with_callback("output", on_output.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("state", on_state.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
        let held = send_wrapper::SendWrapper::new((source, on_output, on_state, on_end));
        on_cleanup(move || held.0.close());
    });
    view! {
        <pre class="deploy-output" data-test="deployment-output" aria-live="polite" tabindex="0"
            aria-label="What the deploy adapter printed">
            {move || {
                let t = text.get();
                if t.is_empty() {
                    if connected.get() { "Waiting for output\u{2026}".to_owned() } else { String::new() }
                } else {
                    t
                }
            }}
        </pre>
    }
}
