//! The built stylesheet, JavaScript and wasm, served from memory.
//!
//! They are small and change only with a new build, so they are read once at
//! start. Each carries an ETag (browsers revalidate with `no-cache` and get
//! 304s) and a gzip copy, compressed in the background after start so that
//! start-up stays fast.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};

struct Asset {
    body: Bytes,
    gzip: OnceLock<Option<Bytes>>,
    content_type: &'static str,
    etag: HeaderValue,
}

#[derive(Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl Assets {
    /// Reads `site_root/pkg/*` and `site_root/favicon.svg`. A missing site
    /// root (e.g. the server built without the browser bundle) is not fatal:
    /// pages still render and work without JavaScript.
    pub fn load(site_root: &Path) -> Arc<Assets> {
        let mut files = HashMap::new();
        let mut add = |url: String, file: &Path| match std::fs::read(file) {
            Ok(bytes) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut h);
                let etag = HeaderValue::from_str(&format!("\"{:016x}\"", h.finish()))
                    .unwrap_or(HeaderValue::from_static("\"0\""));
                files.insert(
                    url.clone(),
                    Asset {
                        content_type: content_type(&url),
                        body: Bytes::from(bytes),
                        gzip: OnceLock::new(),
                        etag,
                    },
                );
            }
            Err(e) => tracing::warn!(file = %file.display(), error = %e, "cannot read asset"),
        };
        match std::fs::read_dir(site_root.join("pkg")) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_file() {
                        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                            add(format!("/pkg/{name}"), &path);
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(
                dir = %site_root.join("pkg").display(),
                error = %e,
                "no browser bundle found: pages render without JavaScript and styles"
            ),
        }
        let favicon = site_root.join("favicon.svg");
        if favicon.is_file() {
            add("/favicon.svg".into(), &favicon);
        }
        let assets = Arc::new(Assets { files });
        let background = assets.clone();
        std::thread::spawn(move || background.compress_all());
        assets
    }

    fn compress_all(&self) {
        for asset in self.files.values() {
            asset.gzip.get_or_init(|| gzip(&asset.body));
        }
    }
}

/// A gzip copy when it is worth it (text and wasm compress 3-4x).
fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < 1024 {
        return None;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < body.len() * 9 / 10).then(|| Bytes::from(out))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.trim().split(';');
            parts.next() == Some("gzip") && !parts.any(|p| p.trim() == "q=0")
        })
}

/// `GET /pkg/*` and `/favicon.svg`.
pub async fn serve(State(assets): State<Arc<Assets>>, req: Request) -> Response {
    let Some(asset) = assets.files.get(req.uri().path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let headers = req.headers();
    let mut res = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == asset.etag)
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match asset.gzip.get().and_then(Option::as_ref) {
            Some(gz) if accepts_gzip(headers) => {
                let mut r = gz.clone().into_response();
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            _ => asset.body.clone().into_response(),
        }
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::ETAG, asset.etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_negotiated() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip, deflate"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
    }

    #[test]
    fn small_or_incompressible_bodies_are_not_gzipped() {
        assert!(gzip(b"tiny").is_none());
        let css = "body { color: red; }\n".repeat(200);
        let gz = gzip(css.as_bytes()).expect("compresses");
        assert!(gz.len() < css.len() / 4);
    }
}
