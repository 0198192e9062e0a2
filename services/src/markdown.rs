//! Markdown to safe HTML: pulldown-cmark renders, ammonia sanitizes. Every
//! piece of release-note HTML Slipway shows goes through [`render`], so a
//! commit message with `<script>` or `onerror=` never executes.

use pulldown_cmark::{html, Options, Parser};
use std::collections::HashSet;

/// Renders markdown (tables, strikethrough, task lists) to sanitized HTML.
/// Links keep only http(s) and mailto targets and get
/// `rel="noopener noreferrer nofollow"`.
pub fn render(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn renders_notes() {
        let html = render("## 1.4.0\n\n### Features\n\n- **cart:** coupons ([abc1234](https://git.example.com/c/abc))\n");
        assert!(html.contains("<h2>1.4.0</h2>"), "{html}");
        assert!(html.contains("<strong>cart:</strong>"), "{html}");
        assert!(
            html.contains("href=\"https://git.example.com/c/abc\""),
            "{html}"
        );
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
    }

    #[test]
    fn scripts_handlers_and_javascript_links_never_survive() {
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
        ] {
            let html = render(evil).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "javascript:",
                "<iframe",
                "style=",
            ] {
                assert!(!html.contains(bad), "{evil} -> {html}");
            }
        }
    }
}
