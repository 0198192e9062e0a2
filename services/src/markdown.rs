//! Markdown to safe HTML: pulldown-cmark renders, ammonia sanitizes. Every
//! piece of release-note HTML Slipway shows goes through [`render`], so a
//! commit message with `<script>` or `onerror=` never executes.
//!
//! Rendering must stay cheap whatever the input, because anyone signed in
//! can ask for a preview and stored notes render on every page view:
//! - input is bounded by the caller (notes are at most 200 KB);
//! - nesting deeper than [`MAX_NESTING`] (100 KB of `>` is 100,000 nested
//!   quotes) is shown as plain text instead of being rendered;
//! - past [`MAX_RAW_HTML`] pieces of raw HTML (39,000 nested `<div>`s), raw
//!   HTML is shown as text, so the sanitizer never builds a deep tree;
//! - [`Renderer::render`] runs off the async runtime with a time budget, and
//!   caches results by content (a revision renders once, not per view).

use pulldown_cmark::{html, Event, Options, Parser};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Deeper than this (quotes in quotes, lists in lists) is not a release note.
pub const MAX_NESTING: usize = 32;
/// More raw HTML tags than this are shown as text rather than passed through.
pub const MAX_RAW_HTML: usize = 500;
/// How long a page waits for a rendering before showing the text as is.
pub const TIME_BUDGET: Duration = Duration::from_secs(2);

/// Renders markdown (tables, strikethrough, task lists) to sanitized HTML.
/// Links keep only http(s) and mailto targets and get
/// `rel="noopener noreferrer nofollow"`. Linear in the input, see the
/// module comment.
pub fn render(markdown: &str) -> String {
    if quote_depth(markdown) > MAX_NESTING {
        return plain(markdown);
    }
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options).collect();
    let (mut depth, mut deepest, mut raw_html) = (0usize, 0usize, 0usize);
    for e in &events {
        match e {
            Event::Start(_) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            // A block of raw HTML is one event, however many tags it holds.
            Event::Html(h) | Event::InlineHtml(h) => raw_html += h.matches('<').count(),
            _ => {}
        }
    }
    if deepest > MAX_NESTING {
        return plain(markdown);
    }
    let html_as_text = raw_html > MAX_RAW_HTML;
    let events = events.into_iter().map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) if html_as_text => Event::Text(h),
        e => e,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

/// The deepest run of `>` quote markers at the start of any line, counted
/// before parsing (cheap, and what makes blockquote nesting pathological).
fn quote_depth(markdown: &str) -> usize {
    markdown
        .lines()
        .map(|line| {
            line.chars()
                .take_while(|c| *c == '>' || *c == ' ' || *c == '\t')
                .filter(|c| *c == '>')
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The text as it is, escaped, in a `<pre>`: always safe and linear.
pub fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 32);
    out.push_str("<pre class=\"notes-source\">");
    for c in markdown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out.push_str("</pre>");
    out
}

/// How many renderings the cache keeps (a few pages' worth of notes).
const CACHE_ENTRIES: usize = 256;

/// Renders off the async runtime, within [`TIME_BUDGET`], and remembers the
/// result by content: the same notes revision is rendered once, however
/// often its pages are viewed.
#[derive(Debug, Default)]
pub struct Renderer {
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    html: HashMap<[u8; 32], Arc<str>>,
    order: VecDeque<[u8; 32]>,
}

impl Renderer {
    pub async fn render(&self, markdown: &str) -> Arc<str> {
        let key: [u8; 32] = Sha256::digest(markdown.as_bytes()).into();
        if let Some(hit) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.html.get(&key).cloned())
        {
            return hit;
        }
        let owned = markdown.to_owned();
        let job = tokio::task::spawn_blocking(move || render(&owned));
        let html: Arc<str> = match tokio::time::timeout(TIME_BUDGET, job).await {
            Ok(Ok(html)) => Arc::from(html),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "markdown rendering failed");
                Arc::from(plain(markdown))
            }
            Err(_) => {
                tracing::warn!(
                    bytes = markdown.len(),
                    "markdown rendering took too long; shown as text"
                );
                Arc::from(plain(markdown))
            }
        };
        if let Ok(mut c) = self.cache.lock() {
            if c.html.insert(key, html.clone()).is_none() {
                c.order.push_back(key);
            }
            while c.order.len() > CACHE_ENTRIES {
                if let Some(old) = c.order.pop_front() {
                    c.html.remove(&old);
                }
            }
        }
        html
    }
}

#[cfg(test)]
mod tests {
    use super::{plain, render, Renderer};
    use std::time::{Duration, Instant};

    #[test]
    fn pathological_nesting_renders_fast_as_text() {
        let quotes = ">".repeat(100_000);
        let divs = "<div>".repeat(39_000);
        let lists: String = (0..2_000)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        for input in [quotes.as_str(), divs.as_str(), lists.as_str()] {
            let started = Instant::now();
            let html = render(input);
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{} bytes took {:?}",
                input.len(),
                started.elapsed()
            );
            assert!(!html.contains("<div"), "raw HTML never passes in bulk");
        }
        assert!(render(&quotes).starts_with("<pre"));
    }

    #[test]
    fn ordinary_nesting_and_some_html_still_render() {
        let html = render(
            "> quoted\n>> twice\n\n- a\n  - b\n\n<details><summary>More</summary>x</details>\n",
        );
        assert!(html.contains("<blockquote>"), "{html}");
        assert!(html.contains("<details>"), "{html}");
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            plain("<b>&"),
            "<pre class=\"notes-source\">&lt;b&gt;&amp;</pre>"
        );
    }

    #[tokio::test]
    async fn renderings_are_cached_by_content() {
        let r = Renderer::default();
        let a = r.render("## one").await;
        let b = r.render("## one").await;
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert!(a.contains("<h2>one</h2>"));
    }

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
