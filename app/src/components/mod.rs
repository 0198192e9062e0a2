pub mod form;
pub mod layout;
pub mod pipeline;
pub mod status;
pub mod text;

pub use form::{CheckboxField, FieldError, FormAlert, FormErrors, TextField};
pub use pipeline::{Pipeline, TierSelect};
pub use status::{ErrorPanel, Loading, NotFound};
pub use text::{page_title, textarea_text};

/// Percent-encodes a query-string value.
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(super::encode_query_value("a b&c=/d"), "a%20b%26c%3D/d");
    }
}
