//! Hive partition names: `year=2024/month=01`, with Hive's path escaping of keys and values.

use crate::error::{Error, Result};

/// The value Hive writes for a null or empty partition value.
pub const DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{00}'
            ..='\u{1F}'
                | '"'
                | '#'
                | '%'
                | '\''
                | '*'
                | '/'
                | ':'
                | '='
                | '?'
                | '\\'
                | '\u{7F}'
                | '{'
                | '['
                | ']'
                | '^'
    )
}

/// Escapes a key or value for use in a partition name or path (Hive's `escapePathName`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if !s.chars().any(needs_escape) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if needs_escape(c) {
            let b = c as u8;
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0F)]));
        } else {
            out.push(c);
        }
    }
}

/// Reverses [`escape`]; a `%` not followed by two hex digits stays as it is.
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Builds `k1=v1/k2=v2` from keys and values (keys lower-cased, both escaped).
pub fn make_name(keys: &[impl AsRef<str>], values: &[impl AsRef<str>]) -> Result<String> {
    if keys.len() != values.len() || keys.is_empty() {
        return Err(Error::InvalidObject(format!(
            "partition has {} values but the table has {} partition keys",
            values.len(),
            keys.len()
        )));
    }
    let mut name = String::new();
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        if i > 0 {
            name.push('/');
        }
        let v = v.as_ref();
        let v = if v.is_empty() { DEFAULT_PARTITION } else { v };
        name.push_str(&escape(&k.as_ref().to_lowercase()));
        name.push('=');
        name.push_str(&escape(v));
    }
    Ok(name)
}

/// Parses `k1=v1/k2=v2` into (key, value) pairs, unescaped, in order. Every component must
/// contain `=`.
pub fn parse_name(name: &str) -> Result<Vec<(String, String)>> {
    if name.is_empty() {
        return Ok(Vec::new());
    }
    name.split('/')
        .map(|part| match part.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((unescape(k), unescape(v))),
            _ => Err(Error::InvalidInput(format!(
                "Invalid partition name '{name}'"
            ))),
        })
        .collect()
}

/// The values of a partition name, checked against the table's partition keys (in order,
/// case-insensitively).
pub fn values_for_keys(name: &str, keys: &[impl AsRef<str>]) -> Result<Vec<String>> {
    let pairs = parse_name(name)?;
    if pairs.len() != keys.len()
        || pairs
            .iter()
            .zip(keys)
            .any(|((k, _), key)| !k.eq_ignore_ascii_case(key.as_ref()))
    {
        return Err(Error::InvalidInput(format!(
            "partition name '{name}' does not match the table's partition keys"
        )));
    }
    Ok(pairs.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_hive() {
        assert_eq!(escape("a/b=c:d"), "a%2Fb%3Dc%3Ad");
        assert_eq!(escape("2024-01-01 10:00"), "2024-01-01 10%3A00");
        assert_eq!(escape("x%y#z"), "x%25y%23z");
        assert_eq!(escape("ünï"), "ünï");
        assert_eq!(escape("\u{1}"), "%01");
    }

    #[test]
    fn unescape_round_trips_and_keeps_bad_sequences() {
        for s in ["a/b=c:d", "%", "%%", "x%2", "100%", "é/ü", "[x]^{y}"] {
            assert_eq!(unescape(&escape(s)), s);
        }
        assert_eq!(unescape("a%zzb"), "a%zzb");
        assert_eq!(unescape("a%2"), "a%2");
        assert_eq!(unescape("%41"), "A");
    }

    #[test]
    fn names_are_built_and_parsed() {
        let n = make_name(&["Year", "month"], &["2024", "a/b"]).unwrap();
        assert_eq!(n, "year=2024/month=a%2Fb");
        assert_eq!(
            values_for_keys(&n, &["year", "MONTH"]).unwrap(),
            vec!["2024", "a/b"]
        );
        assert_eq!(
            make_name(&["k"], &[""]).unwrap(),
            "k=__HIVE_DEFAULT_PARTITION__"
        );
        assert!(make_name(&["a", "b"], &["1"]).is_err());
        assert!(parse_name("year").is_err());
        assert!(values_for_keys("year=1", &["year", "month"]).is_err());
    }
}
