//! The kill switch (Trades page): one action that stops every level from triggering and every
//! entry order from going out, cancels open entry orders and, if ticked, squares off every open
//! position — with a confirm step. While on, it says so in red and offers release.

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::KillSwitch;

use crate::api::risk::{engage_kill_switch, release_kill_switch};
use crate::status_context::use_status;

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
pub fn KillSwitchPanel(
    state: RwSignal<Option<KillSwitch>>,
    /// Called after engaging or releasing, so the page reads its books again.
    on_change: Callback<()>,
) -> impl IntoView {
    // The top bar's badge follows the switch at once.
    let status = use_status();
    let square_off = RwSignal::new(true);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let engage = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let square = square_off.get_untracked();
        leptos::task::spawn_local(async move {
            let result = engage_kill_switch(square).await;
            busy.set(false);
            confirming.set(false);
            match result {
                Ok(report) => {
                    let mut text = format!(
                        "Trading stopped: {} cancelled, {} being squared off.",
                        plural(report.cancelled_orders, "open order", "open orders"),
                        plural(report.exits_sent, "position", "positions"),
                    );
                    if report.alerts_suspended > 0 {
                        text.push_str(&format!(
                            " {} taken from Kite: put back on the Alerts page once released.",
                            plural(report.alerts_suspended, "ATO alert", "ATO alerts"),
                        ));
                    }
                    if !report.outside.is_empty() {
                        let held: Vec<String> = report
                            .outside
                            .iter()
                            .map(|r| format!("{} {}", r.position.tradingsymbol, r.outside))
                            .collect();
                        text.push_str(&format!(
                            " Held outside the app, never squared off by the switch: {}; exit \
                             each with one click on the Account page.",
                            held.join(", ")
                        ));
                    }
                    for p in &report.problems {
                        text.push(' ');
                        text.push_str(p);
                    }
                    message.set(Some(text));
                    state.set(report.state);
                    status.refresh();
                    on_change.run(());
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let release = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = release_kill_switch().await;
            busy.set(false);
            match result {
                Ok(()) => {
                    message.set(Some(
                        "Released: levels trigger and orders go out again.".to_owned(),
                    ));
                    state.set(None);
                    status.refresh();
                    on_change.run(());
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card kill-switch" class:engaged=move || state.with(Option::is_some)
            data-testid="kill-switch">
            {move || match state.get() {
                Some(k) => view! {
                    <p class="kill-on" role="alert" data-testid="kill-switch-on">
                        <strong>"KILL SWITCH ON"</strong>
                        {format!(" since {} IST: no level triggers and no entry order goes out.", ist_clock(k.engaged_ms))}
                    </p>
                    <button type="button" class="button" data-testid="release-kill-switch"
                        disabled=move || busy.get() on:click=release>"Release"</button>
                }
                    .into_any(),
                None if confirming.get() => view! {
                    <p><strong>"Stop all trading now?"</strong>
                        {move || if square_off.get() {
                            " Open entry orders are cancelled and every open position is squared off at market."
                        } else {
                            " Open entry orders are cancelled; positions stay open."
                        }}
                    </p>
                    <div class="row-actions">
                        <button type="button" class="button danger" data-testid="confirm-kill-switch"
                            disabled=move || busy.get() on:click=engage>"Yes, stop trading"</button>
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                }
                    .into_any(),
                None => view! {
                    <div class="kill-off">
                        <button type="button" class="button danger" data-testid="engage-kill-switch"
                            on:click=move |_| confirming.set(true)>"Kill switch"</button>
                        <label class="check">
                            <input type="checkbox" data-testid="kill-square-off"
                                prop:checked=move || square_off.get()
                                on:change=move |ev| square_off.set(event_target_checked(&ev))/>
                            " also square off open positions"
                        </label>
                    </div>
                }
                    .into_any(),
            }}
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="kill-switch-message">{m}</p> })}
        </section>
    }
    .into_any()
}
