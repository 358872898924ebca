//! The paper account (Trades page, paper mode): virtual capital, free funds, what open
//! positions use and the realised result since the last reset — and the reset itself, behind a
//! confirm step, refused with the reason while a trade is open or an order working.

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::Price;
use osp_core::services::trading::PaperAccount;

use crate::api::trades::reset_paper_account;

fn signed(p: Price) -> (String, &'static str) {
    let text = p.format_indian();
    match p {
        p if p > Price::ZERO => (format!("+{text}"), "up"),
        p if p < Price::ZERO => (text, "down"),
        _ => (text, ""),
    }
}

#[component]
pub fn PaperAccountCard(account: RwSignal<Option<PaperAccount>>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let reset = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = reset_paper_account().await;
            busy.set(false);
            confirming.set(false);
            match result {
                Ok(fresh) => {
                    message.set(Some(format!(
                        "The paper account starts afresh with {}.",
                        fresh.capital.format_inr()
                    )));
                    account.set(Some(fresh));
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let value = move |read: fn(&PaperAccount) -> Price| {
        move || account.with(|a| a.as_ref().map(read).unwrap_or_default().format_inr())
    };
    let realised =
        move || account.with(|a| signed(a.as_ref().map(|a| a.realised).unwrap_or_default()));
    view! {
        <Show when=move || account.with(Option::is_some)>
            <section class="card paper-account" data-testid="paper-account">
                <div class="trade-totals">
                    <div>
                        <span class="muted small">"Paper capital"</span>
                        <strong>{value(|a| a.capital)}</strong>
                    </div>
                    <div>
                        <span class="muted small">"Free funds"</span>
                        <strong data-testid="paper-available">{value(|a| a.available)}</strong>
                    </div>
                    <div>
                        <span class="muted small">"In positions"</span>
                        <strong>{value(|a| a.used)}</strong>
                    </div>
                    <div>
                        <span class="muted small">
                            {move || match account.with(|a| a.as_ref().and_then(|a| a.since_ms)) {
                                Some(ms) => format!("Paper P&L since reset at {} IST", ist_clock(ms)),
                                None => "Paper P&L (realised)".to_owned(),
                            }}
                        </span>
                        <strong class=move || format!("num {}", realised().1) data-testid="paper-realised">
                            {move || realised().0}
                        </strong>
                    </div>
                </div>
                <div class="form-actions">
                    {move || if confirming.get() {
                        view! {
                            <span class="small">"Start afresh with the full capital? Past trades stay in the book."</span>
                            <button type="button" class="button danger" data-testid="paper-reset-confirm"
                                disabled=move || busy.get() on:click=reset>"Reset the paper account"</button>
                            <button type="button" class="button" data-testid="paper-reset-back"
                                on:click=move |_| confirming.set(false)>"Back"</button>
                        }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button subtle" data-testid="paper-reset"
                                on:click=move |_| { message.set(None); confirming.set(true); }>"Reset…"</button>
                        }.into_any()
                    }}
                </div>
                {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="paper-message">{m}</p> })}
            </section>
        </Show>
    }
    .into_any()
}
