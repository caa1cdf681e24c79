//! SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash) checked against stored verifiers.
//!
//! A verifier holds the salt, the iteration count, `StoredKey = H(HMAC(SaltedPassword,
//! "Client Key"))` and `ServerKey = HMAC(SaltedPassword, "Server Key")`, in PostgreSQL's
//! `pg_authid.rolpassword` text form. Neither key lets anyone log in: a client must prove it
//! knows `ClientKey`, whose hash is `StoredKey`. So a leaked configuration file is not a leaked
//! password, and a verifier copied out of PostgreSQL works here unchanged.
//!
//! Channel binding (`SCRAM-SHA-256-PLUS`) is not offered; clients that could use it say `y`.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::{digest, hmac, pbkdf2, rand::SecureRandom};

/// Iterations for verifiers made here (PostgreSQL's default too).
pub(crate) const ITERATIONS: u32 = 4096;

const PREFIX: &str = "SCRAM-SHA-256$";
const KEY_LEN: usize = 32;

/// What the server keeps for one user.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Verifier {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: [u8; KEY_LEN],
    server_key: [u8; KEY_LEN],
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier(..)")
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(self.stored_key),
            STANDARD.encode(self.server_key)
        )
    }
}

impl Verifier {
    /// A verifier for `password` with a fresh random salt.
    pub(crate) fn new(password: &str) -> Verifier {
        let mut salt = vec![0u8; 16];
        fill_random(&mut salt);
        Verifier::with_salt(password, salt, ITERATIONS)
    }

    fn with_salt(password: &str, salt: Vec<u8>, iterations: u32) -> Verifier {
        // SASLprep as PostgreSQL does; a password it cannot prepare is used as given.
        let prepared = stringprep::saslprep(password)
            .map(|p| p.into_owned())
            .unwrap_or_else(|_| password.to_string());
        let mut salted = [0u8; KEY_LEN];
        let rounds =
            std::num::NonZeroU32::new(iterations.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            rounds,
            &salt,
            prepared.as_bytes(),
            &mut salted,
        );
        let client_key = mac(&salted, b"Client Key");
        Verifier {
            iterations,
            salt,
            stored_key: sha256(&client_key),
            server_key: mac(&salted, b"Server Key"),
        }
    }

    /// Reads `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64).
    pub(crate) fn parse(text: &str) -> Result<Verifier, String> {
        let bad = |what: &str| {
            format!("not a SCRAM-SHA-256 verifier ({what}); make one with `lakehive pg-password`")
        };
        let rest = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("prefix"))?;
        let (params, keys) = rest.split_once('$').ok_or_else(|| bad("no keys"))?;
        let (iterations, salt) = params.split_once(':').ok_or_else(|| bad("no salt"))?;
        let (stored, server) = keys.split_once(':').ok_or_else(|| bad("one key"))?;
        let iterations: u32 = iterations.parse().map_err(|_| bad("iterations"))?;
        if iterations == 0 {
            return Err(bad("zero iterations"));
        }
        let salt = STANDARD.decode(salt).map_err(|_| bad("salt"))?;
        let key = |k: &str| -> Result<[u8; KEY_LEN], String> {
            let bytes = STANDARD.decode(k).map_err(|_| bad("key encoding"))?;
            bytes.try_into().map_err(|_| bad("key length"))
        };
        Ok(Verifier {
            iterations,
            salt,
            stored_key: key(stored)?,
            server_key: key(server)?,
        })
    }

    /// A stand-in for an unknown user, so that the exchange looks the same as for a known one
    /// and fails only at the proof: the salt depends on the name and a per-process secret.
    pub(crate) fn mock(user: &str, secret: &[u8]) -> Verifier {
        let mut seed = secret.to_vec();
        seed.extend_from_slice(user.as_bytes());
        let mut random = [0u8; KEY_LEN];
        fill_random(&mut random);
        Verifier {
            iterations: ITERATIONS,
            salt: sha256(&seed)[..16].to_vec(),
            stored_key: random,
            server_key: random,
        }
    }
}

/// A secret derived from the configured verifiers (which are not public), for [`Verifier::mock`].
pub(crate) fn mock_secret<'a>(verifiers: impl Iterator<Item = &'a Verifier>) -> [u8; KEY_LEN] {
    let mut texts: Vec<String> = verifiers.map(|v| v.to_string()).collect();
    texts.sort();
    sha256(format!("lakehive mock salt\n{}", texts.join("\n")).as_bytes())
}

/// Why an exchange failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScramError {
    /// The client's message breaks the protocol.
    Protocol(String),
    /// The proof is wrong: the password is.
    WrongPassword,
}

/// An exchange after the server's first message, waiting for the client's final one.
#[derive(Debug)]
pub(crate) struct Exchange {
    verifier: Verifier,
    gs2_header: String,
    nonce: String,
    client_first_bare: String,
    server_first: String,
}

impl Exchange {
    /// Answers `client-first-message`; returns the exchange and `server-first-message`.
    /// `server_nonce` is appended to the client's nonce.
    pub(crate) fn start(
        verifier: Verifier,
        client_first: &[u8],
        server_nonce: &str,
    ) -> Result<(Exchange, String), ScramError> {
        let text = utf8(client_first)?;
        let (gs2_header, bare) = split_gs2(text)?;
        let client_nonce = bare
            .split(',')
            .find_map(|a| a.strip_prefix("r="))
            .filter(|n| !n.is_empty())
            .ok_or_else(|| protocol("client-first-message has no nonce"))?;
        let nonce = format!("{client_nonce}{server_nonce}");
        let server_first = format!(
            "r={nonce},s={},i={}",
            STANDARD.encode(&verifier.salt),
            verifier.iterations
        );
        let exchange = Exchange {
            verifier,
            gs2_header: gs2_header.to_string(),
            nonce,
            client_first_bare: bare.to_string(),
            server_first: server_first.clone(),
        };
        Ok((exchange, server_first))
    }

    /// Checks `client-final-message`; returns `server-final-message` when the proof holds.
    pub(crate) fn finish(&self, client_final: &[u8]) -> Result<String, ScramError> {
        let text = utf8(client_final)?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or_else(|| protocol("client-final-message has no proof"))?;
        let mut attrs = without_proof.split(',');
        let binding = attrs.next().and_then(|a| a.strip_prefix("c="));
        if binding != Some(STANDARD.encode(&self.gs2_header).as_str()) {
            return Err(protocol("channel binding does not match"));
        }
        if attrs.next().and_then(|a| a.strip_prefix("r=")) != Some(self.nonce.as_str()) {
            return Err(protocol("nonce does not match"));
        }
        let proof = STANDARD
            .decode(proof)
            .map_err(|_| protocol("proof is not base64"))?;
        if proof.len() != KEY_LEN {
            return Err(protocol("proof has the wrong length"));
        }
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        let signature = mac(&self.verifier.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(signature).map(|(p, s)| p ^ s).collect();
        if !same(&sha256(&client_key), &self.verifier.stored_key) {
            return Err(ScramError::WrongPassword);
        }
        let server_signature = mac(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", STANDARD.encode(server_signature)))
    }
}

/// Splits `gs2-header` (kept whole, for the channel-binding check) from the bare message.
fn split_gs2(text: &str) -> Result<(&str, &str), ScramError> {
    let flag_end = text.find(',').ok_or_else(|| protocol("no gs2 header"))?;
    match &text[..flag_end] {
        "n" | "y" => {}
        f if f.starts_with("p=") => {
            return Err(protocol("channel binding is not offered by this server"))
        }
        _ => return Err(protocol("bad gs2 channel-binding flag")),
    }
    let authzid_end = text[flag_end + 1..]
        .find(',')
        .map(|i| flag_end + 1 + i)
        .ok_or_else(|| protocol("no gs2 header"))?;
    if !text[flag_end + 1..authzid_end].is_empty() {
        return Err(protocol("an authorization identity is not supported"));
    }
    let bare = &text[authzid_end + 1..];
    if bare.starts_with("m=") {
        return Err(protocol("mandatory SCRAM extensions are not supported"));
    }
    Ok((&text[..=authzid_end], bare))
}

fn protocol(message: &str) -> ScramError {
    ScramError::Protocol(message.to_string())
}

fn utf8(bytes: &[u8]) -> Result<&str, ScramError> {
    std::str::from_utf8(bytes).map_err(|_| protocol("message is not UTF-8"))
}

fn mac(key: &[u8], data: &[u8]) -> [u8; KEY_LEN] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; KEY_LEN];
    out.copy_from_slice(tag.as_ref());
    out
}

fn sha256(data: &[u8]) -> [u8; KEY_LEN] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; KEY_LEN];
    out.copy_from_slice(d.as_ref());
    out
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) {
    ring::rand::SystemRandom::new()
        .fill(buf)
        .expect("the operating system's random source failed");
}

/// A random server nonce (printable, no commas).
pub(crate) fn server_nonce() -> String {
    let mut bytes = [0u8; 18];
    fill_random(&mut bytes);
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3: user "user", password "pencil".
    const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
    const CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                                p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn pencil() -> Verifier {
        Verifier::with_salt("pencil", STANDARD.decode(SALT).unwrap(), 4096)
    }

    #[test]
    fn rfc7677_exchange() {
        let (exchange, first) =
            Exchange::start(pencil(), CLIENT_FIRST.as_bytes(), SERVER_NONCE).unwrap();
        assert_eq!(first, SERVER_FIRST);
        assert_eq!(
            exchange.finish(CLIENT_FINAL.as_bytes()).unwrap(),
            SERVER_FINAL
        );
    }

    #[test]
    fn wrong_password_fails_at_the_proof() {
        let other = Verifier::with_salt("pencils", STANDARD.decode(SALT).unwrap(), 4096);
        let (exchange, first) =
            Exchange::start(other, CLIENT_FIRST.as_bytes(), SERVER_NONCE).unwrap();
        assert_eq!(first, SERVER_FIRST, "same salt, so the same first message");
        assert_eq!(
            exchange.finish(CLIENT_FINAL.as_bytes()),
            Err(ScramError::WrongPassword)
        );
        let mock = Verifier::mock("user", b"secret");
        let (exchange, _) = Exchange::start(mock, CLIENT_FIRST.as_bytes(), SERVER_NONCE).unwrap();
        assert!(exchange.finish(CLIENT_FINAL.as_bytes()).is_err());
    }

    #[test]
    fn tampered_messages_are_protocol_errors() {
        let (exchange, _) =
            Exchange::start(pencil(), CLIENT_FIRST.as_bytes(), SERVER_NONCE).unwrap();
        let other_nonce = CLIENT_FINAL.replace("k0,p=", "k1,p=");
        let other_binding = CLIENT_FINAL.replace("c=biws", "c=eSws");
        for bad in [
            other_nonce.as_str(),
            other_binding.as_str(),
            "c=biws",
            "\u{0}",
        ] {
            assert!(
                matches!(
                    exchange.finish(bad.as_bytes()),
                    Err(ScramError::Protocol(_))
                ),
                "{bad}"
            );
        }
        for first in [
            "p=tls-server-end-point,,n=u,r=x",
            "n,a=admin,n=u,r=x",
            "n,,n=u",
            "x,,n=u,r=a",
            "n",
        ] {
            assert!(
                Exchange::start(pencil(), first.as_bytes(), "s").is_err(),
                "{first}"
            );
        }
    }

    #[test]
    fn verifiers_print_and_parse_in_postgres_form() {
        let v = pencil();
        let text = v.to_string();
        assert!(
            text.starts_with("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"),
            "{text}"
        );
        assert_eq!(Verifier::parse(&text).unwrap(), v);
        let fresh = Verifier::new("pencil");
        assert_ne!(
            fresh.salt,
            Verifier::new("pencil").salt,
            "a new salt each time"
        );
        for bad in [
            "plain",
            "SCRAM-SHA-256$0:AA==$AA==:AA==",
            "SCRAM-SHA-256$4096:AA==$AA==:AA==",
        ] {
            assert!(Verifier::parse(bad).is_err(), "{bad}");
        }
    }
}
