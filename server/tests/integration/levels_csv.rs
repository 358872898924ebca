//! Levels as CSV on the real server: the export is a file the import reads back into the same
//! levels on another installation; a file with problems is refused whole, every bad row named,
//! and nothing is stored.

use serde_json::{Value, json};

use crate::helpers::{TestApp, problem_fields, spawn_app};

fn draft(price: &str, note: &str) -> Value {
    json!({
        "token": 408_065, "price": price, "trigger": "either", "on_up": "buy", "on_down": "sell",
        "quantity": "4", "product": "intraday", "limit_offset": "0.50", "target": "1.5%",
        "stop_loss": "7.25", "trailing_stop": "", "confirmation": "ticks", "confirmation_value": "3",
        "rearm": "after_move", "rearm_distance": "2%", "window_from": "09:20", "window_to": "15:00",
        "enabled": true, "note": note,
    })
}

async fn levels(app: &TestApp) -> Vec<Value> {
    let (status, view) = app.call_form("levels", &[]).await;
    assert_eq!(status, 200, "{view}");
    view["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let mut level = l["stored"]["level"].clone();
            level["id"] = json!(0);
            level
        })
        .collect()
}

#[tokio::test]
async fn exported_levels_import_into_another_installation_as_they_were() {
    let source = spawn_app().await;
    // A note that starts like a spreadsheet formula is exported inert and imported as it was.
    let formula = "=HYPERLINK(\"https://example.org\",\"click\")";
    for (price, note) in [
        ("1500", "breakout, \"quoted\""),
        ("1650.55", ""),
        ("1700", formula),
    ] {
        let (status, created) = source
            .call_json("levels/create", json!({ "draft": draft(price, note) }))
            .await;
        assert_eq!(status, 200, "{created}");
    }
    let response = source
        .client
        .get(source.url("/levels/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("levels.csv")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three rows: {csv}");
    assert!(
        csv.contains("\"'=HYPERLINK(")
            && !csv.contains(",=HYPERLINK")
            && !csv.contains("\"=HYPERLINK"),
        "a formula is neutralised: {csv}"
    );
    assert!(
        lines[0].starts_with("exchange,tradingsymbol,price,trigger"),
        "{csv}"
    );
    assert!(lines[1].starts_with("NSE,INFY,"), "{csv}");
    let exported = levels(&source).await;
    source.stop().await;

    let target = spawn_app().await;
    let (status, imported) = target.call_form("levels/import", &[("csv", &csv)]).await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported.as_array().unwrap().len(), 3);
    assert_eq!(
        levels(&target).await,
        exported,
        "the same levels, field for field"
    );
    target.stop().await;
}

#[tokio::test]
async fn a_file_with_problems_is_refused_whole_naming_each_row() {
    let app = spawn_app().await;
    // With no levels the export is still a file the import understands: just the header.
    let empty = app
        .client
        .get(app.url("/levels/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        empty.starts_with("exchange,tradingsymbol,price,"),
        "{empty:?}"
    );
    assert_eq!(empty.lines().count(), 1);
    let header = "exchange,tradingsymbol,price,trigger,on_up,on_down,quantity,product,limit_offset,\
                  target,stop_loss,trailing_stop,confirmation,confirmation_value,rearm,\
                  rearm_distance,window_from,window_to,enabled,note";
    let good = "NSE,INFY,1500,up,buy,,1,intraday,,,,,cross,,once,,,,true,fine";
    let csv = [
        header,
        good,
        "NSE,NOSUCH,1500,up,buy,,1,intraday,,,,,cross,,once,,,,true,",
        "NSE,INFY,1500,sideways,buy,,1,intraday,,,,,cross,,once,,,,true,",
        "NSE,INFY,1500.02,up,buy,,0,intraday,,,,,cross,,once,,,,true,",
    ]
    .join("\n");
    let (status, error) = app.call_form("levels/import", &[("csv", &csv)]).await;
    assert_eq!(status, 400, "{error}");
    let messages: Vec<&str> = error["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("row 3:") && m.contains("NSE:NOSUCH")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("row 4:")),
        "{messages:?}"
    );
    assert!(
        messages.iter().all(|m| !m.starts_with("row 2:")),
        "the good row is fine: {messages:?}"
    );
    assert!(levels(&app).await.is_empty(), "nothing was stored");

    // Once the unreadable rows are gone, the instrument's rules name the field of row 3.
    let csv = [
        header,
        good,
        "NSE,INFY,1500.02,up,buy,,1,intraday,,,,,cross,,once,,,,true,",
    ]
    .join("\n");
    let (status, error) = app.call_form("levels/import", &[("csv", &csv)]).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(problem_fields(&error), ["row 3: price"], "{error}");
    assert!(
        error["detail"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1,500.00 or 1,500.05"),
        "{error}"
    );
    assert!(levels(&app).await.is_empty(), "still nothing stored");

    let (status, error) = app.call_form("levels/import", &[("csv", header)]).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"].as_str().unwrap().contains("no levels"),
        "{error}"
    );
    app.stop().await;
}

/// The import's reader on damaged files (bytes swapped for the characters CSV gives meaning
/// to, rows cut short, spliced or repeated, with a fixed seed; `PROPTEST_CASES` runs longer):
/// every file is read into drafts or refused with each problem said by its row — no panic,
/// never more drafts than rows.
mod damaged_files {
    use osp_core::services::instruments::InstrumentCatalog;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    const FILE: &str = "exchange,tradingsymbol,price,trigger,on_up,on_down,quantity,product,\
limit_offset,target,stop_loss,trailing_stop,confirmation,confirmation_value,rearm,rearm_distance,\
window_from,window_to,enabled,note
NSE,INFY,1500,either,buy,sell,4,intraday,0.50,1.5%,7.25,,ticks,3,after_move,2%,09:20,15:00,true,first
NSE,INFY,1520.05,up,buy,,1,intraday,,,,,cross,,once,,,,false,\"quoted, \"\"note\"\"\"
";

    fn catalog() -> InstrumentCatalog {
        let catalog = InstrumentCatalog::default();
        catalog.replace(vec![osp_core::testing::infy()]);
        catalog
    }

    fn config() -> Config {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(256);
        Config {
            cases,
            rng_seed: RngSeed::Fixed(0x05B5_2026),
            failure_persistence: None,
            ..Config::default()
        }
    }

    fn edit() -> impl Strategy<Value = (f64, u8, String)> {
        (
            0.0..1.0f64,
            0..3u8,
            prop_oneof![
                Just(",".to_owned()),
                Just("\"".to_owned()),
                Just("\n".to_owned()),
                Just("\r\n".to_owned()),
                Just("=cmd()".to_owned()),
                Just("9".repeat(40)),
                Just("-".to_owned()),
                Just("\u{0}".to_owned()),
                Just("é".to_owned()),
                "[ -~]{0,8}",
            ],
        )
    }

    #[test]
    fn the_undamaged_file_reads_whole() {
        let drafts = app::api::levels_csv::from_csv(FILE, &catalog()).unwrap();
        assert_eq!(drafts.len(), 2);
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn a_damaged_file_is_read_or_refused_row_by_row(
            edits in proptest::collection::vec(edit(), 1..5),
        ) {
            let mut text = FILE.to_owned();
            for (at, how, what) in &edits {
                let mut i = ((text.len() as f64) * at) as usize;
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                match how {
                    0 => text.insert_str(i, what),
                    1 => text.truncate(i),
                    _ => {
                        let line = text[..i].rfind('\n').map_or(0, |n| n + 1);
                        let end = text[i..].find('\n').map_or(text.len(), |n| i + n + 1);
                        let row = text[line..end].to_owned();
                        text.insert_str(end, &row);
                    }
                }
            }
            let rows = text.lines().count();
            match app::api::levels_csv::from_csv(&text, &catalog()) {
                Ok(drafts) => prop_assert!(drafts.len() < rows.max(1)),
                Err(problems) => {
                    prop_assert!(!problems.is_empty());
                    for p in &problems {
                        prop_assert!(p.message.starts_with("row "), "{}", p.message);
                    }
                }
            }
        }
    }
}
