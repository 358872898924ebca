//! The market stream: two signals (latest snapshot, link state) shared through context, kept up
//! to date in the browser by a websocket that reconnects with back-off. On the server the
//! signals keep their initial values; pages render the server-side snapshot meanwhile.

use leptos::prelude::*;
use osp_core::model::MarketSnapshot;

use super::LinkState;

#[derive(Clone, Copy)]
pub struct MarketStream {
    /// The newest snapshot received over the websocket, if any yet.
    pub snapshot: RwSignal<Option<MarketSnapshot>>,
    pub link: RwSignal<LinkState>,
}

/// Creates the stream for the whole app and, in the browser, opens the websocket.
pub fn provide_market_stream() -> MarketStream {
    let stream = MarketStream {
        snapshot: RwSignal::new(None),
        link: RwSignal::new(LinkState::Connecting),
    };
    provide_context(stream);
    // Effects run only in the browser, once hydrated.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        client::start(stream);
    });
    stream
}

pub fn use_market_stream() -> MarketStream {
    expect_context::<MarketStream>()
}

#[cfg(feature = "hydrate")]
mod client {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

    use super::MarketStream;
    use crate::live::{LinkState, PRICES_WS_PATH, ServerMessage, reconnect_delay_ms};

    struct Connection {
        socket: WebSocket,
        _on_open: Closure<dyn FnMut()>,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_close: Closure<dyn FnMut(CloseEvent)>,
    }

    impl Drop for Connection {
        fn drop(&mut self) {
            // Detach the handlers before their closures are freed.
            self.socket.set_onopen(None);
            self.socket.set_onmessage(None);
            self.socket.set_onclose(None);
        }
    }

    #[derive(Clone)]
    struct Client {
        stream: MarketStream,
        failures: Rc<Cell<u32>>,
        current: Rc<RefCell<Option<Connection>>>,
    }

    pub fn start(stream: MarketStream) {
        let client = Client {
            stream,
            failures: Rc::new(Cell::new(0)),
            current: Rc::new(RefCell::new(None)),
        };
        watch_network(stream);
        client.connect();
    }

    /// Shows "offline" as soon as the browser loses its network, not only at the next retry.
    fn watch_network(stream: MarketStream) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let on_offline = Closure::<dyn FnMut(Event)>::new(move |_| {
            stream.link.set(LinkState::Offline);
        });
        if window
            .add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref())
            .is_ok()
        {
            // Lives as long as the page.
            on_offline.forget();
        }
    }

    fn socket_url() -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!(
            "{scheme}://{}{PRICES_WS_PATH}",
            location.host().ok()?
        ))
    }

    fn browser_online() -> bool {
        web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true)
    }

    impl Client {
        fn connect(&self) {
            let Some(url) = socket_url() else { return };
            let socket = match WebSocket::new(&url) {
                Ok(socket) => socket,
                Err(_) => return self.schedule_retry(),
            };
            let on_open = {
                let c = self.clone();
                Closure::<dyn FnMut()>::new(move || {
                    c.failures.set(0);
                    c.stream.link.set(LinkState::Live);
                })
            };
            let on_message = {
                let c = self.clone();
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    let Some(text) = event.data().as_string() else {
                        return;
                    };
                    match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(ServerMessage::Snapshot { snapshot }) => {
                            c.stream.snapshot.set(Some(snapshot))
                        }
                        Err(err) => leptos::logging::warn!("unreadable price message: {err}"),
                    }
                })
            };
            let on_close = {
                let c = self.clone();
                Closure::<dyn FnMut(CloseEvent)>::new(move |_| c.schedule_retry())
            };
            socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            *self.current.borrow_mut() = Some(Connection {
                socket,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
            });
        }

        fn schedule_retry(&self) {
            let attempt = self.failures.get().saturating_add(1);
            self.failures.set(attempt);
            let delay = reconnect_delay_ms(attempt, js_sys::Math::random());
            self.stream.link.set(if browser_online() {
                LinkState::Reconnecting {
                    attempt,
                    retry_in_ms: delay,
                }
            } else {
                LinkState::Offline
            });
            let c = self.clone();
            set_timeout(move || c.connect(), Duration::from_millis(delay.into()));
        }
    }
}
