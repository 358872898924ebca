//! The market stream: the latest tick per followed instrument and the link state, shared
//! through context. Components say what they show (`follow(key, tokens)`); the client asks the
//! server for the union, again after every reconnect. In the browser a websocket keeps the
//! signals up to date, reconnecting with back-off; on the server they stay empty and pages
//! render the ticks their server functions returned. The same websocket brings what just
//! happened (the activity push), kept in a short numbered log for the toasts and the
//! notification centre.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use leptos::prelude::*;
use osp_core::model::{InstrumentToken, Tick};
use osp_core::services::activity::ActivityItem;

use super::LinkState;

#[derive(Clone, Copy)]
pub struct MarketStream {
    /// The newest tick of each followed instrument received over the websocket.
    pub ticks: RwSignal<HashMap<InstrumentToken, Tick>>,
    pub link: RwSignal<LinkState>,
    /// What each part of the page follows, by a key of its choosing.
    wanted: RwSignal<BTreeMap<String, Vec<InstrumentToken>>>,
    /// Why the server refused the last follow, if it did.
    pub refused: RwSignal<Option<String>>,
    /// What the server pushed since the page opened (the newest `ACTIVITY_KEPT`).
    pub activity: RwSignal<ActivityLog>,
}

/// How many pushed items the log keeps.
const ACTIVITY_KEPT: usize = 50;

/// Pushed activity, numbered in arrival order: a reader remembers the number after the last
/// one it took (`next`), so a batch is never taken twice or skipped, however the updates are
/// batched.
#[derive(Clone, Debug, Default)]
pub struct ActivityLog {
    /// The number the next item will get.
    pub next: u64,
    pub items: VecDeque<(u64, ActivityItem)>,
}

impl ActivityLog {
    pub fn push(&mut self, items: Vec<ActivityItem>) {
        for item in items {
            self.items.push_back((self.next, item));
            self.next += 1;
        }
        while self.items.len() > ACTIVITY_KEPT {
            self.items.pop_front();
        }
    }

    /// The items numbered `from` on.
    pub fn from(&self, from: u64) -> impl Iterator<Item = &ActivityItem> {
        self.items
            .iter()
            .filter(move |(n, _)| *n >= from)
            .map(|(_, item)| item)
    }
}

impl MarketStream {
    /// `key` now follows exactly `tokens` (an empty list stops it following anything).
    pub fn follow(&self, key: &str, tokens: Vec<InstrumentToken>) {
        self.wanted.update(|w| {
            if tokens.is_empty() {
                w.remove(key);
            } else {
                w.insert(key.to_owned(), tokens);
            }
        });
    }

    /// Every instrument any part of the page follows.
    pub fn followed(&self) -> Vec<InstrumentToken> {
        self.wanted.with(union)
    }

    /// The same, without subscribing the caller to changes.
    pub fn followed_untracked(&self) -> Vec<InstrumentToken> {
        self.wanted.with_untracked(union)
    }

    pub fn tick(&self, token: InstrumentToken) -> Option<Tick> {
        self.ticks.with(|t| t.get(&token).copied())
    }
}

fn union(wanted: &BTreeMap<String, Vec<InstrumentToken>>) -> Vec<InstrumentToken> {
    wanted
        .values()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Creates the stream for the whole app and, in the browser, opens the websocket.
pub fn provide_market_stream() -> MarketStream {
    let stream = MarketStream {
        ticks: RwSignal::new(HashMap::new()),
        link: RwSignal::new(LinkState::Connecting),
        wanted: RwSignal::new(BTreeMap::new()),
        refused: RwSignal::new(None),
        activity: RwSignal::new(ActivityLog::default()),
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
    use crate::live::{
        ClientMessage, LinkState, PRICES_WS_PATH, ServerMessage, reconnect_delay_ms,
    };

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
        // Tell the server whenever what the page follows changes.
        let c = client.clone();
        Effect::new(move |_| {
            let tokens = c.stream.followed();
            c.send_follow(tokens);
        });
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
                    // A new connection follows nothing until told.
                    c.send_follow(c.stream.followed_untracked());
                })
            };
            let on_message = {
                let c = self.clone();
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    let Some(text) = event.data().as_string() else {
                        return;
                    };
                    match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(ServerMessage::Ticks { ticks }) => c.stream.ticks.update(|map| {
                            for tick in ticks {
                                map.insert(tick.token, tick);
                            }
                        }),
                        Ok(ServerMessage::Refused { message }) => {
                            c.stream.refused.set(Some(message))
                        }
                        Ok(ServerMessage::Activity { items }) => {
                            c.stream.activity.update(|log| log.push(items))
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

        /// Sends what the page follows, if a connection is open (else `on_open` will).
        fn send_follow(&self, tokens: Vec<osp_core::model::InstrumentToken>) {
            let current = self.current.borrow();
            let Some(connection) = current.as_ref() else {
                return;
            };
            if connection.socket.ready_state() != WebSocket::OPEN {
                return;
            }
            if let Ok(text) = serde_json::to_string(&ClientMessage::Follow { tokens }) {
                self.stream.refused.set(None);
                let _ = connection.socket.send_with_str(&text);
            }
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
