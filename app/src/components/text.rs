//! Text in the two places the renderer writes it without escaping.
//!
//! The HTML renderer escapes ordinary text, but not the children of
//! `<textarea>` (nor `<script>`, `<style>`, `<noscript>`), and leptos_meta
//! writes the document `<title>` raw. Stored input (a project name, a
//! commit message in release notes) must never be able to close those
//! elements and start markup of its own, so every title goes through
//! [`page_title`] (the root `<Title formatter>`) and every textarea's
//! content through [`textarea_text`].
//!
//! Both escape only when rendering on the server: in the browser, titles
//! are set through `document.title` and textareas through their DOM text
//! and `value`, which take text, not markup (escaping there would show
//! `&lt;` to the reader).

/// Escapes text for an HTML raw-text context that the parser decodes
/// entities in (`<title>` and `<textarea>` are RCDATA): `&`, `<` and `>`.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The document title for a page's `<Title text=…/>`: "Page · Slipway".
pub fn page_title(text: String) -> String {
    let title = if text.is_empty() {
        "Slipway".to_owned()
    } else {
        format!("{text} · Slipway")
    };
    if cfg!(feature = "ssr") {
        escape_text(&title)
    } else {
        title
    }
}

/// The content of a `<textarea>`: what the reader sees, byte for byte,
/// whatever it contains (`</textarea>`, `&lt;`, `&amp;`, a leading blank
/// line — the HTML parser drops one newline right after `<textarea>`, so
/// the server writes one for it to drop).
pub fn textarea_text(text: String) -> String {
    if cfg!(feature = "ssr") {
        format!("\n{}", escape_text(&text))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_entities_become_text() {
        assert_eq!(
            escape_text("</textarea><img src=x onerror=alert(1)> &lt; &amp;"),
            "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt; &amp;lt; &amp;amp;"
        );
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            escape_text("Shop 1.2.0 · “quotes” 'é'"),
            "Shop 1.2.0 · “quotes” 'é'"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn titles_cannot_close_the_title_element_on_the_server() {
        let t = page_title(
            r#"</title><meta http-equiv="refresh" content="0;url=https://phish.example">"#.into(),
        );
        assert!(!t.contains('<'), "{t}");
        assert!(t.ends_with(" · Slipway"));
        assert_eq!(page_title(String::new()), "Slipway");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn textarea_content_cannot_close_the_textarea_on_the_server() {
        assert_eq!(
            textarea_text("a</textarea>&lt;".into()),
            "\na&lt;/textarea&gt;&amp;lt;"
        );
        assert_eq!(textarea_text("\nleading".into()), "\n\nleading");
    }
}
