//! Icons drawn inline as SVG, in the text's colour: they need no emoji or symbol font (a
//! machine without one showed the bell, the market watch's row actions and the theme button as
//! empty boxes). Each control that shows only an icon names itself (`aria-label`); an icon
//! given a `label` is an image with that name, one without is decoration.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glyph {
    Bell,
    ArrowUp,
    ArrowDown,
    Close,
    Chart,
    /// The theme follows the system's: a half-filled circle.
    ThemeSystem,
    Sun,
    Moon,
}

impl Glyph {
    /// The shapes, on a 16 × 16 grid, stroked (or filled) with the current colour.
    fn markup(self) -> &'static str {
        match self {
            Glyph::Bell => {
                "<path d=\"M4 11V7a4 4 0 0 1 8 0v4l1.5 1.5h-11z\"/>\
                 <path d=\"M6.5 14a1.5 1.5 0 0 0 3 0\"/>"
            }
            Glyph::ArrowUp => "<path d=\"M8 13V3M4 7l4-4 4 4\"/>",
            Glyph::ArrowDown => "<path d=\"M8 3v10M4 9l4 4 4-4\"/>",
            Glyph::Close => "<path d=\"M4 4l8 8M12 4l-8 8\"/>",
            Glyph::Chart => "<polyline points=\"1,13 5,8 9,10 15,3\"/>",
            Glyph::ThemeSystem => {
                "<circle cx=\"8\" cy=\"8\" r=\"5.5\"/>\
                 <path d=\"M8 2.5a5.5 5.5 0 0 1 0 11z\" fill=\"currentColor\"/>"
            }
            Glyph::Sun => {
                "<circle cx=\"8\" cy=\"8\" r=\"3\"/>\
                 <path d=\"M8 1v1.8M8 13.2V15M1 8h1.8M13.2 8H15M3 3l1.3 1.3M11.7 11.7L13 13\
                 M13 3l-1.3 1.3M4.3 11.7L3 13\"/>"
            }
            Glyph::Moon => "<path d=\"M13 10.5A5.5 5.5 0 0 1 5.5 3a5.5 5.5 0 1 0 7.5 7.5z\"/>",
        }
    }
}

impl Glyph {
    /// Its name in `data-glyph` (what the page's tests read).
    fn name(self) -> &'static str {
        match self {
            Glyph::Bell => "Bell",
            Glyph::ArrowUp => "ArrowUp",
            Glyph::ArrowDown => "ArrowDown",
            Glyph::Close => "Close",
            Glyph::Chart => "Chart",
            Glyph::ThemeSystem => "ThemeSystem",
            Glyph::Sun => "Sun",
            Glyph::Moon => "Moon",
        }
    }
}

/// One icon. `label` names it for screen readers where nothing around it does. Its stroke,
/// fill and size are the stylesheet's (`svg.glyph`), not attributes: the market watch draws five
/// per row, and the attributes were most of each row's weight in the server-rendered page.
#[component]
pub fn Icon(glyph: Glyph, #[prop(optional)] label: Option<&'static str>) -> impl IntoView {
    view! {
        <svg class="glyph" viewBox="0 0 16 16" data-glyph=glyph.name()
            role=label.map(|_| "img") aria-label=label
            aria-hidden=label.is_none().then_some("true")
            inner_html=glyph.markup()>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    /// Symbols that only an emoji or symbol font draws (pictographs, dingbats, the
    /// miscellaneous symbols and geometric shapes): none may be shown as text, only as an
    /// `Icon`. Comments may name them.
    fn needs_a_symbol_font(c: char) -> bool {
        matches!(c as u32, 0x25A0..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF)
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_page_text_needs_an_emoji_or_symbol_font() {
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        assert!(files.len() > 20, "the app's sources were not found");
        let mut found = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if let Some(c) = code.chars().find(|&c| needs_a_symbol_font(c)) {
                    found.push(format!("{}:{}: {c}", file.display(), n + 1));
                }
            }
        }
        assert!(
            found.is_empty(),
            "text that needs a symbol font (use components::Icon): {found:?}"
        );
    }

    #[test]
    fn the_check_catches_the_symbols_that_showed_as_boxes() {
        // The bell, the cross, the half circle, the sun and the moon that showed as boxes.
        for c in ['\u{1F514}', '\u{2715}', '\u{25D0}', '\u{2600}', '\u{263E}'] {
            assert!(needs_a_symbol_font(c), "{c}");
        }
        for c in ['↑', '↓', '×', '₹', '≥', '−'] {
            assert!(!needs_a_symbol_font(c), "{c}");
        }
    }
}
