//! A candlestick chart drawn as SVG by the app itself: it renders on the server (the first HTML
//! already holds the chart, no script or CDN needed) and updates reactively in the browser. The
//! geometry is integer arithmetic on fixed-point prices. `lines` draws horizontal price lines
//! (the instrument page passes its levels); with `on_pick`, a click or tap on the plot gives
//! the price under it, on the instrument's tick grid (to set a level there).

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::{Candle, Price};

// A viewBox small enough that its text stays readable when a phone scales it to ~340 px.
const WIDTH: i64 = 640;
const HEIGHT: i64 = 340;
const PLOT_RIGHT: i64 = 556;
const TOP: i64 = 10;
const BOTTOM: i64 = 314;
/// Candles shown at most (the newest): one and a half hours.
const VISIBLE: usize = 90;
const GRID_LINES: i64 = 4;

/// A horizontal line at a price, with a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceLine {
    pub price: Price,
    pub label: String,
}

#[derive(Clone, Copy, Debug)]
struct Scale {
    low: i64,
    high: i64,
}

impl Scale {
    fn y(&self, price: Price) -> i64 {
        let span = (self.high - self.low).max(1);
        let offset =
            i128::from(self.high - price.raw()) * i128::from(BOTTOM - TOP) / i128::from(span);
        TOP + offset as i64
    }

    /// The price at height `y` of the viewBox, on the `tick` grid (nearest); `None` outside
    /// the plot.
    fn price_at(&self, y: i64, tick: Price) -> Option<Price> {
        if !(TOP..=BOTTOM).contains(&y) {
            return None;
        }
        let span = i128::from(self.high - self.low);
        let raw = i128::from(self.high) - i128::from(y - TOP) * span / i128::from(BOTTOM - TOP);
        let price = Price::from_raw(i64::try_from(raw).ok()?);
        if tick > Price::ZERO {
            price.round_to_tick(tick)
        } else {
            Some(price)
        }
        .filter(|p| *p > Price::ZERO)
    }
}

#[component]
pub fn CandleChart(
    #[prop(into)] candles: Signal<Vec<Candle>>,
    #[prop(into, optional)] lines: Signal<Vec<PriceLine>>,
    /// The instrument's tick size: a picked price lands on its grid.
    #[prop(optional)]
    tick: Price,
    /// Called with the price under a click or tap on the plot.
    #[prop(optional)]
    on_pick: Option<Callback<Price>>,
) -> impl IntoView {
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    // The scale last drawn, so a click maps back to a price.
    let drawn = StoredValue::new(None::<Scale>);
    let drawing = move || {
        let all = candles.get();
        let shown = &all[all.len().saturating_sub(VISIBLE)..];
        if shown.is_empty() {
            return view! {
                <text x=WIDTH / 2 y=HEIGHT / 2 text-anchor="middle" class="chart-empty">
                    "No candles yet: the first appears with the next trade."
                </text>
            }
            .into_any();
        }
        let extra = lines.get();
        let low = shown
            .iter()
            .map(|c| c.low.raw())
            .chain(extra.iter().map(|l| l.price.raw()))
            .min()
            .unwrap_or(0);
        let high = shown
            .iter()
            .map(|c| c.high.raw())
            .chain(extra.iter().map(|l| l.price.raw()))
            .max()
            .unwrap_or(0);
        // A little air above and below.
        let pad = ((high - low) / 20).max(1);
        let scale = Scale {
            low: low - pad,
            high: high + pad,
        };
        drawn.set_value(Some(scale));
        let slot = PLOT_RIGHT / VISIBLE as i64;
        let body = (slot * 6 / 10).max(1);
        let first_x = PLOT_RIGHT - slot * shown.len() as i64;

        let grid = (0..=GRID_LINES)
            .map(|n| {
                let raw = scale.high - (scale.high - scale.low) * n / GRID_LINES;
                let price = Price::from_raw(raw);
                let y = scale.y(price);
                view! {
                    <line x1=0 x2=PLOT_RIGHT y1=y y2=y class="grid"/>
                    <text x=PLOT_RIGHT + 6 y=y + 4 class="axis">{price.format_indian()}</text>
                }
            })
            .collect::<Vec<_>>();
        let times = shown
            .iter()
            .enumerate()
            .filter(|(_, c)| (c.start_ms / 60_000) % 30 == 0)
            .map(|(n, c)| {
                let x = first_x + slot * n as i64 + slot / 2;
                let label: String = ist_clock(c.start_ms).chars().take(5).collect();
                view! { <text x=x y=HEIGHT - 6 text-anchor="middle" class="axis">{label}</text> }
            })
            .collect::<Vec<_>>();
        let bars = shown
            .iter()
            .enumerate()
            .map(|(n, c)| {
                let x = first_x + slot * n as i64;
                let mid = x + slot / 2;
                let class = if c.close >= c.open {
                    "candle up"
                } else {
                    "candle down"
                };
                let (top, bottom) = (scale.y(c.open.max(c.close)), scale.y(c.open.min(c.close)));
                let title = format!(
                    "{} IST  O {}  H {}  L {}  C {}",
                    ist_clock(c.start_ms),
                    c.open.format_indian(),
                    c.high.format_indian(),
                    c.low.format_indian(),
                    c.close.format_indian()
                );
                view! {
                    <g class=class data-testid="candle">
                        <title>{title}</title>
                        <line x1=mid x2=mid y1=scale.y(c.high) y2=scale.y(c.low)/>
                        <rect x=mid - body / 2 y=top width=body height=(bottom - top).max(1)/>
                    </g>
                }
            })
            .collect::<Vec<_>>();
        let price_lines = extra
            .into_iter()
            .map(|l| {
                let y = scale.y(l.price);
                view! {
                    <g class="price-line">
                        <line x1=0 x2=PLOT_RIGHT y1=y y2=y/>
                        <text x=4 y=y - 4>{format!("{} {}", l.label, l.price.format_indian())}</text>
                    </g>
                }
            })
            .collect::<Vec<_>>();
        let last = shown[shown.len() - 1].close;
        let last_y = scale.y(last);
        view! {
            <g>{grid}</g>
            <g>{times}</g>
            <g>{bars}</g>
            <g>{price_lines}</g>
            <g class="last-price">
                <line x1=0 x2=PLOT_RIGHT y1=last_y y2=last_y/>
                <text x=PLOT_RIGHT + 6 y=last_y + 4>{last.format_indian()}</text>
            </g>
        }
        .into_any()
    };
    let pick = move |ev: leptos::ev::MouseEvent| {
        let (Some(on_pick), Some(scale)) = (on_pick, drawn.get_value()) else {
            return;
        };
        use leptos::wasm_bindgen::JsCast;
        let Some(svg) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        else {
            return;
        };
        let rect = svg.get_bounding_client_rect();
        if rect.height() <= 0.0 {
            return;
        }
        // Screen pixels to viewBox units (the SVG keeps its aspect ratio, so height scales).
        let y = ((f64::from(ev.client_y()) - rect.top()) * HEIGHT as f64 / rect.height()) as i64;
        if let Some(price) = scale.price_at(y, tick) {
            on_pick.run(price);
        }
    };
    view! {
        <svg class="candle-chart" class:pickable=on_pick.is_some() viewBox=view_box role="img"
            aria-label="1-minute candles" data-testid="candle-chart" on:click=pick>
            {on_pick.is_some().then(|| view! { <title>"Click a price to set a level there"</title> })}
            {drawing}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_maps_back_to_the_price_drawn_there_on_the_tick_grid() {
        let p = |t: &str| Price::parse(t).unwrap();
        let scale = Scale {
            low: p("1000").raw(),
            high: p("1100").raw(),
        };
        let tick = p("0.05");
        assert_eq!(scale.price_at(TOP, tick), Some(p("1100")));
        assert_eq!(scale.price_at(BOTTOM, tick), Some(p("1000")));
        for price in [p("1012.35"), p("1050"), p("1099.95")] {
            let back = scale.price_at(scale.y(price), tick).unwrap();
            // One viewBox unit is about ₹0.33 here: the pick is within one unit, on the grid.
            assert!(back.is_multiple_of(tick));
            assert!(
                (back.raw() - price.raw()).abs() <= p("0.35").raw(),
                "{back} vs {price}"
            );
        }
        assert_eq!(scale.price_at(TOP - 1, tick), None, "above the plot");
        assert_eq!(scale.price_at(BOTTOM + 1, tick), None, "below the plot");
    }
}
