//! The immutable thing a release ships, as a typed value.
//!
//! Rules, in the order [`ArtifactRef::parse`] applies them:
//! 1. Surrounding blanks are trimmed; at most [`ArtifactRef::MAX`] characters.
//! 2. `REPOSITORY@ALGORITHM:HEX` is an image by digest
//!    (`registry.example.com/shop/api@sha256:…`): the repository is an OCI
//!    name (lower-case components of letters, digits and `._-`, separated
//!    by `/`, optionally after a registry host with a port) and the digest
//!    must be valid (rule 3). A tag (`…/api:1.2`) is refused: tags move.
//! 3. `ALGORITHM:HEX` is a bare digest: `sha256` with 64 or `sha512` with
//!    128 lower-case hex digits (the OCI image spec's registered algorithms).
//! 4. 7 to 64 hex digits are a commit id (for projects that deploy from
//!    source), kept in lower case.
//!
//! Anything else is refused with one sentence to show next to the field.
//! Two references ship the same thing when their [`ArtifactRef::identity`]
//! (the digest, or the commit id) is equal: promotion always moves exactly
//! that identity, never a rebuild.
//!
//! (Parsed here rather than with `oci-spec`: the domain compiles to wasm
//! for the browser, and these few rules do not justify its dependencies.)

use serde::{Deserialize, Serialize};
use std::fmt;

/// A content digest (`sha256:…` or `sha512:…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// The digest, if `input` is a valid one.
    pub fn parse(input: &str) -> Option<Self> {
        let (algorithm, hex) = input.split_once(':')?;
        let len = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => return None,
        };
        let ok = hex.len() == len
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        ok.then(|| Digest(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a release ships: see the module's rules. Kept as its canonical
/// text (what is stored and shown) with the form it was parsed as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ArtifactRef {
    text: String,
    kind: ArtifactKind,
}

/// Which form an [`ArtifactRef`] has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// An image (or any OCI artifact) by digest, with where it lives.
    Image,
    /// A digest whose repository the project's adapters know.
    Digest,
    /// A commit id, for projects that deploy from source.
    Commit,
}

/// The sentence shown when a reference is not one of the accepted forms.
pub const ARTIFACT_HELP: &str = "Give the artifact by digest (registry.example.com/shop/api@sha256:\u{2026} or sha256:\u{2026}) or the commit id this release ships; tags are not accepted, because they can move.";

impl ArtifactRef {
    /// The longest reference accepted.
    pub const MAX: usize = 512;

    pub fn parse(input: &str) -> Result<Self, String> {
        let a = input.trim();
        if a.is_empty() || a.len() > Self::MAX {
            return Err(ARTIFACT_HELP.into());
        }
        if let Some((repository, digest)) = a.rsplit_once('@') {
            if Digest::parse(digest).is_none() {
                return Err(
                    "The digest after @ must be sha256: with 64 or sha512: with 128 lower-case hex digits."
                        .into(),
                );
            }
            if !is_repository(repository) {
                return Err("The repository before @ must be an image name such as registry.example.com/shop/api (lower case, no tag).".into());
            }
            return Ok(Self::new(a, ArtifactKind::Image));
        }
        if a.contains(':') {
            return match Digest::parse(a) {
                Some(_) => Ok(Self::new(a, ArtifactKind::Digest)),
                None => Err(ARTIFACT_HELP.into()),
            };
        }
        if (7..=64).contains(&a.len()) && a.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(Self::new(&a.to_ascii_lowercase(), ArtifactKind::Commit));
        }
        Err(ARTIFACT_HELP.into())
    }

    fn new(text: &str, kind: ArtifactKind) -> Self {
        ArtifactRef {
            text: text.to_owned(),
            kind,
        }
    }

    pub fn kind(&self) -> ArtifactKind {
        self.kind
    }

    /// The whole reference as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What makes two references ship the same thing: the digest, or the
    /// commit id.
    pub fn identity(&self) -> &str {
        match self.kind {
            ArtifactKind::Image => self
                .text
                .rsplit_once('@')
                .map_or(self.text.as_str(), |(_, d)| d),
            ArtifactKind::Digest | ArtifactKind::Commit => &self.text,
        }
    }

    /// Whether `other` ships the same thing.
    pub fn same_as(&self, other: &ArtifactRef) -> bool {
        self.identity() == other.identity()
    }

    /// The repository, for an image by digest.
    pub fn repository(&self) -> Option<&str> {
        match self.kind {
            ArtifactKind::Image => self.text.rsplit_once('@').map(|(r, _)| r),
            _ => None,
        }
    }

    /// A short form for sentences: the commit's first 12 characters, or the
    /// digest's algorithm and first 12 hex digits.
    pub fn short(&self) -> String {
        let id = self.identity();
        match id.split_once(':') {
            Some((alg, hex)) => format!("{alg}:{}", hex.get(..12).unwrap_or(hex)),
            None => id.get(..12).unwrap_or(id).to_owned(),
        }
    }
}

/// An OCI repository name, optionally after a registry host (with port).
fn is_repository(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut parts = name.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let host_like = first
            && parts.peek().is_some()
            && (part.contains('.') || part.contains(':') || part == "localhost");
        first = false;
        let ok = if host_like {
            let (host, port) = part.split_once(':').unwrap_or((part, ""));
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && port.chars().all(|c| c.is_ascii_digit())
        } else {
            !part.is_empty()
                && part.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
                && part
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        };
        if !ok {
            return false;
        }
    }
    true
}

impl TryFrom<String> for ArtifactRef {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ArtifactRef> for String {
    fn from(a: ArtifactRef) -> String {
        a.text
    }
}

impl fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn an_image_by_digest_keeps_its_repository_and_digest() {
        let r = ArtifactRef::parse(&format!(
            " registry.example.com:5000/shop/api@sha256:{HEX64} "
        ))
        .unwrap();
        assert_eq!(r.repository(), Some("registry.example.com:5000/shop/api"));
        assert_eq!(r.identity(), format!("sha256:{HEX64}"));
        assert_eq!(
            r.to_string(),
            format!("registry.example.com:5000/shop/api@sha256:{HEX64}")
        );
        assert_eq!(r.short(), "sha256:0123456789ab");
    }

    #[test]
    fn a_bare_digest_and_the_same_digest_in_a_repository_ship_the_same_thing() {
        let bare = ArtifactRef::parse(&format!("sha256:{HEX64}")).unwrap();
        let image = ArtifactRef::parse(&format!("shop/api@sha256:{HEX64}")).unwrap();
        assert!(bare.same_as(&image));
        assert_ne!(bare, image);
        assert_eq!(bare.kind(), ArtifactKind::Digest);
        assert_eq!(image.kind(), ArtifactKind::Image);
    }

    #[test]
    fn sha512_digests_need_128_hex_digits() {
        let hex128 = HEX64.repeat(2);
        assert!(ArtifactRef::parse(&format!("sha512:{hex128}")).is_ok());
        assert!(ArtifactRef::parse(&format!("sha512:{HEX64}")).is_err());
    }

    #[test]
    fn commits_are_7_to_64_hex_digits_kept_in_lower_case() {
        let c = ArtifactRef::parse("ABCDEF1").unwrap();
        assert_eq!((c.as_str(), c.kind()), ("abcdef1", ArtifactKind::Commit));
        assert!(ArtifactRef::parse("abcdef").is_err());
        assert!(ArtifactRef::parse(&"a".repeat(65)).is_err());
        assert_eq!(
            ArtifactRef::parse("0123456789abcdef0123").unwrap().short(),
            "0123456789ab"
        );
    }

    #[test]
    fn tags_bad_digests_and_bad_names_are_refused_with_a_sentence() {
        for bad in [
            "",
            "   ",
            "registry.example.com/shop/api:1.2",
            "shop/api@sha256:abc",
            &format!("Shop/API@sha256:{HEX64}"),
            &format!("shop//api@sha256:{HEX64}"),
            &format!("@sha256:{HEX64}"),
            &format!("sha256:{}", HEX64.to_uppercase()),
            &format!("md5:{HEX64}"),
            "build-42",
            "no!",
            "sha256:!!",
            &"a".repeat(600),
        ] {
            let err = ArtifactRef::parse(bad).unwrap_err();
            assert!(err.ends_with('.'), "{bad:?}: {err}");
            assert!(err.len() < 200, "errors never echo the input: {err}");
        }
    }

    #[test]
    fn round_trips_through_its_text_and_serde() {
        for s in [
            format!("localhost:5000/app@sha256:{HEX64}"),
            format!("sha256:{HEX64}"),
            "0123abc".to_owned(),
        ] {
            let r = ArtifactRef::parse(&s).unwrap();
            assert_eq!(ArtifactRef::parse(&r.to_string()).unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<ArtifactRef>(&json).unwrap(), r);
        }
        assert!(serde_json::from_str::<ArtifactRef>("\"no!\"").is_err());
    }
}
