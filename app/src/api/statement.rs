//! The Account page's broker statement — funds and margins, holdings, today's order and trade
//! books as the broker reports them — rendered here on the server to HTML that the `account`
//! server function carries (read-only tables: the browser's bundle carries no code for them,
//! only the slot they go in). Text from the broker is escaped by the renderer like any text in
//! a view.

#[cfg(feature = "ssr")]
pub(crate) mod html {
    use leptos::prelude::*;
    use osp_core::format::ist_clock;
    use osp_core::model::{BrokerStatement, OrderSide, Price};
    use osp_core::services::trading::StatementView;

    fn money(p: Price) -> String {
        p.format_inr()
    }

    fn num(p: Price) -> String {
        if p == Price::ZERO {
            "—".to_owned()
        } else {
            p.format_indian()
        }
    }

    fn side(s: OrderSide) -> &'static str {
        match s {
            OrderSide::Buy => "BUY",
            OrderSide::Sell => "SELL",
        }
    }

    fn tables(s: &BrokerStatement, ours: &[String]) -> impl IntoView + use<> {
        let funds = s
            .funds
            .iter()
            .map(|f| {
                view! {
                    <tr data-testid="funds-row">
                        <th scope="row">{f.segment.clone()}</th>
                        <td class="num">{money(f.available)}</td>
                        <td class="num">{money(f.opening_balance)}</td>
                        <td class="num">{money(f.used)}</td>
                        <td class="num">{money(f.span)}</td>
                        <td class="num">{money(f.exposure)}</td>
                        <td class="num">{money(f.option_premium)}</td>
                    </tr>
                }
            })
            .collect_view();
        let holdings = (!s.holdings.is_empty()).then(|| {
            let rows = s
                .holdings
                .iter()
                .map(|h| {
                    view! {
                        <tr data-testid="holding-row">
                            <th scope="row">{format!("{} {}", h.exchange.code(), h.tradingsymbol)}</th>
                            <td class="num">{h.quantity}</td>
                            <td class="num">{h.t1_quantity}</td>
                            <td class="num">{num(h.average_price)}</td>
                            <td class="num">{num(h.last_price)}</td>
                            <td class="num">{money(h.pnl)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="table-wrap">
                    <table class="quotes">
                        <thead><tr>
                            <th scope="col">"Instrument"</th><th>"Qty"</th><th>"T1"</th>
                            <th>"Avg"</th><th>"Last"</th><th>"P&L"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
        });
        let orders = s
            .orders
            .iter()
            .rev()
            .map(|o| {
                let whose = if ours.contains(&o.order_id) { "app" } else { "outside" };
                view! {
                    <tr data-testid="book-order" data-whose=whose>
                        <td class="small">{o.placed_at.clone()}</td>
                        <th scope="row">{format!("{} {}", o.exchange.code(), o.tradingsymbol)}</th>
                        <td>{side(o.side)}</td>
                        <td>{format!("{} {}", o.order_type, o.product)}</td>
                        <td class="num">{format!("{}/{}", o.filled_quantity, o.quantity)}</td>
                        <td class="num">{num(o.price)}</td>
                        <td class="num">{num(o.trigger_price)}</td>
                        <td class="num">{num(o.average_price)}</td>
                        <td>
                            {o.status.clone()}
                            {o.status_message.clone().map(|m| view! { <span class="muted small">" — " {m}</span> })}
                        </td>
                        <td>{if whose == "app" { "the app's" } else { "outside the app" }}</td>
                    </tr>
                }
            })
            .collect_view();
        let fills = s
            .trades
            .iter()
            .rev()
            .map(|t| {
                view! {
                    <tr data-testid="book-fill">
                        <td class="small">{t.filled_at.clone()}</td>
                        <th scope="row">{format!("{} {}", t.exchange.code(), t.tradingsymbol)}</th>
                        <td>{side(t.side)}</td>
                        <td>{t.product.clone()}</td>
                        <td class="num">{t.quantity}</td>
                        <td class="num">{t.price.format_indian()}</td>
                        <td class="small">{t.order_id.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        let no_holdings = s.holdings.is_empty();
        let no_orders = s.orders.is_empty();
        let no_fills = s.trades.is_empty();
        view! {
            <section class="card">
                <h2>"Funds and margins"</h2>
                <div class="table-wrap">
                    <table class="quotes" data-testid="funds">
                        <thead><tr>
                            <th scope="col">"Segment"</th><th>"Available"</th><th>"Opening"</th>
                            <th>"Used"</th><th>"SPAN"</th><th>"Exposure"</th><th>"Option premium"</th>
                        </tr></thead>
                        <tbody>{funds}</tbody>
                    </table>
                </div>
            </section>
            <section class="card">
                <h2>"Holdings"</h2>
                {no_holdings.then(|| view! { <p class="muted" data-testid="no-holdings">"No holdings (delivery buys settle into holdings the next trading day)."</p> })}
                {holdings}
            </section>
            <section class="card">
                <h2>"Order book"</h2>
                <p class="muted small">"Every order of the day at the broker, newest first — the app's and those placed outside it."</p>
                {no_orders.then(|| view! { <p class="muted">"No orders today."</p> })}
                <div class="table-wrap">
                    <table class="quotes" data-testid="order-book">
                        <thead><tr>
                            <th scope="col">"Time"</th><th>"Instrument"</th><th>"Side"</th><th>"Type"</th>
                            <th>"Filled"</th><th>"Price"</th><th>"Trigger"</th><th>"Avg"</th>
                            <th>"Status"</th><th>"Whose"</th>
                        </tr></thead>
                        <tbody>{orders}</tbody>
                    </table>
                </div>
            </section>
            <section class="card">
                <h2>"Trade book"</h2>
                {no_fills.then(|| view! { <p class="muted">"No fills today."</p> })}
                <div class="table-wrap">
                    <table class="quotes" data-testid="trade-book">
                        <thead><tr>
                            <th scope="col">"Time"</th><th>"Instrument"</th><th>"Side"</th>
                            <th>"Product"</th><th>"Qty"</th><th>"Price"</th><th>"Order"</th>
                        </tr></thead>
                        <tbody>{fills}</tbody>
                    </table>
                </div>
            </section>
        }
    }

    pub(crate) fn render(v: &StatementView) -> String {
        let read = format!("read from the broker at {}", ist_clock(v.read_ms));
        let body = match (&v.statement, &v.problem) {
            (_, Some(problem)) => {
                view! { <p class="error" role="alert" data-testid="statement-problem">{problem.clone()}</p> }
                    .into_any()
            }
            (Some(s), None) => tables(s, &v.ours).into_any(),
            (None, None) => view! { <p class="muted">"This venue keeps no funds, holdings or order book of its own."</p> }
                .into_any(),
        };
        view! {
            <div data-testid="statement">
                {body}
                <p class="muted small" data-testid="statement-read">{read}</p>
            </div>
        }
        .to_html()
    }
}
