//! Tests that run inside headless Chromium (wasm-bindgen-test-runner): the core's fixed-point
//! maths and the wire protocol compiled to wasm, and a component mounted and clicked in a real DOM.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use app::components::ThemeToggle;
use app::live::{ClientMessage, ServerMessage, reconnect_delay_ms};
use leptos::prelude::*;
use osp_core::model::Price;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(duration: Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                duration.as_millis() as i32,
            )
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
fn fixed_point_prices_behave_the_same_in_the_browser() {
    let a = Price::parse("0.1").unwrap();
    let b = Price::parse("0.2").unwrap();
    assert_eq!(a.checked_add(b), Some(Price::parse("0.3").unwrap()));
    assert_eq!(
        Price::parse("123456.7").unwrap().format_indian(),
        "1,23,456.70"
    );
    assert_eq!(
        Price::parse("2450.35")
            .unwrap()
            .checked_mul_int(75)
            .unwrap()
            .format_inr(),
        "₹1,83,776.25"
    );
    assert!(Price::parse("1e5").is_err());
}

#[wasm_bindgen_test]
fn a_server_ticks_message_decodes_in_the_browser() {
    let text = r#"{"type":"ticks","ticks":[{"token":408065,"last_price":"1875.10","last_quantity":61,"volume":1905,"ohlc":{"open":"1874.15","high":"1875.30","low":"1871.95","close":"1874.15"},"exchange_time_ms":1795596345737}]}"#;
    let ServerMessage::Ticks { ticks } = serde_json::from_str(text).unwrap() else {
        panic!("expected ticks");
    };
    let tick = &ticks[0];
    assert_eq!(tick.last_price, Price::parse("1875.10").unwrap());
    assert_eq!(tick.change_basis_points(), Some(5));
    assert!(tick.depth.is_none());
    let bad = serde_json::from_str::<ServerMessage>(&text.replace("1875.10", "18x5"));
    assert!(bad.is_err(), "a malformed price is rejected, not guessed");
    let follow = serde_json::to_string(&ClientMessage::Follow {
        tokens: vec![osp_core::model::InstrumentToken(408_065)],
    })
    .unwrap();
    assert_eq!(follow, r#"{"type":"follow","tokens":[408065]}"#);
}

#[wasm_bindgen_test]
fn reconnect_delays_grow_and_are_capped() {
    let delays: Vec<u32> = (1..=8).map(|n| reconnect_delay_ms(n, 0.5)).collect();
    assert_eq!(
        delays,
        [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]
    );
    let jittered = reconnect_delay_ms(3, js_sys::Math::random());
    assert!((1_600..=2_400).contains(&jittered), "{jittered}");
}

#[wasm_bindgen_test]
async fn the_theme_toggle_cycles_applies_and_remembers_the_theme() {
    let window = web_sys::window().unwrap();
    let storage = window.local_storage().unwrap().unwrap();
    storage.remove_item("osp-theme").unwrap();
    let document = window.document().unwrap();
    let root = document.document_element().unwrap();

    leptos::mount::mount_to_body(|| view! { <ThemeToggle/> });
    sleep(Duration::from_millis(20)).await;
    let button = document
        .query_selector("[data-testid=theme-toggle]")
        .unwrap()
        .expect("the toggle is in the DOM")
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap();
    assert_eq!(
        button.get_attribute("data-theme-choice").as_deref(),
        Some("system")
    );

    button.click();
    sleep(Duration::from_millis(20)).await;
    assert_eq!(
        button.get_attribute("data-theme-choice").as_deref(),
        Some("light")
    );
    assert_eq!(root.get_attribute("data-theme").as_deref(), Some("light"));
    assert_eq!(
        storage.get_item("osp-theme").unwrap().as_deref(),
        Some("light")
    );

    button.click();
    sleep(Duration::from_millis(20)).await;
    assert_eq!(root.get_attribute("data-theme").as_deref(), Some("dark"));
    assert_eq!(
        storage.get_item("osp-theme").unwrap().as_deref(),
        Some("dark")
    );

    button.click();
    sleep(Duration::from_millis(20)).await;
    assert_eq!(
        root.get_attribute("data-theme"),
        None,
        "system: the attribute is removed"
    );
    assert_eq!(storage.get_item("osp-theme").unwrap(), None);
}
