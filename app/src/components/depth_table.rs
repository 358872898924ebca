use leptos::prelude::*;
use osp_core::format::indian_integer;
use osp_core::model::{Depth, Tick};

/// Five levels of bids and offers, and the day's open, high, low and previous close.
#[component]
pub fn DepthTable(tick: Tick) -> impl IntoView {
    let depth = tick.depth.unwrap_or_default();
    let has_depth = tick.depth.is_some();
    let rows = (0..5).map(|n| level_row(&depth, n)).collect::<Vec<_>>();
    view! {
        <div class="depth" data-testid="depth">
            {if has_depth {
                view! {
                    <table class="depth-table">
                        <thead>
                            <tr>
                                <th scope="col" class="num">"Bid"</th>
                                <th scope="col" class="num">"Orders"</th>
                                <th scope="col" class="num">"Qty"</th>
                                <th scope="col" class="num">"Offer"</th>
                                <th scope="col" class="num">"Orders"</th>
                                <th scope="col" class="num">"Qty"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                    .into_any()
            } else {
                view! { <p class="muted small">"No market depth for this instrument yet."</p> }
                    .into_any()
            }}
            <dl class="ohlc facts">
                <dt>"Open"</dt>
                <dd>{tick.ohlc.open.format_indian()}</dd>
                <dt>"High"</dt>
                <dd>{tick.ohlc.high.format_indian()}</dd>
                <dt>"Low"</dt>
                <dd>{tick.ohlc.low.format_indian()}</dd>
                <dt>"Prev. close"</dt>
                <dd>{tick.ohlc.close.format_indian()}</dd>
                <dt>"Volume"</dt>
                <dd>{indian_integer(tick.volume)}</dd>
            </dl>
        </div>
    }
}

fn level_row(depth: &Depth, n: usize) -> impl IntoView + use<> {
    let bid = depth.buy[n];
    let ask = depth.sell[n];
    view! {
        <tr>
            <td class="num up">{bid.price.format_indian()}</td>
            <td class="num">{bid.orders}</td>
            <td class="num">{indian_integer(bid.quantity.into())}</td>
            <td class="num down">{ask.price.format_indian()}</td>
            <td class="num">{ask.orders}</td>
            <td class="num">{indian_integer(ask.quantity.into())}</td>
        </tr>
    }
}
