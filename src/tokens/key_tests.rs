//! The RS256 signature against jsonwebtoken's own (byte for byte), and Ed25519 key rotation:
//! a published key is in the JWKS and verifies before it signs, and after the swap what the old
//! key signed still verifies.

use super::*;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use std::path::PathBuf;

/// A throwaway 2048-bit test key (generating one in a debug build takes seconds).
const TEST_RSA_PEM: &str = "\
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDfOPOwAJTMMDBC
gRaPKKCAkTSSxTJqVd+lg7tTljqycuL0qImX65tLkuRcnZ1WGcRhpxlAT/DneMHM
fUi1j8KEroFWn34hD57E8RlrVks1ojzYkgR07HVVt10h66h1dcA0dqmFuviDfgVJ
/dGXsW3CDJrxsSZ79GlejKuBopp7vC7en4xWBZZxJpOjZT7/mEd3p1ydAFzyK7Dq
eAKe5xbNv1oWLS+eaM4iqcTHc+BfloNolSCeyZHi84MMZv0Tnqc5JR9DAtNqVecZ
m6jZIIjGf9cvDUm2dUYvycgkdSXlIJ63iMBYxtix91Yt6DD0kWuyYbuFYcn/cLtj
0hfOW+zHAgMBAAECggEAZ4L66d5TId6kumovAmLGDuiG1xqvtsSsiY2tM+Uhwfdp
jCeNao/8ew6aa+JBABjBysDYgkyvuz7xq3hbW6pW+v0LCBa8v+sE5nGhJnelN7FM
gucvPuMZxA5cFys2+oUIhKuUD+n0bNFm9XlIlI3YBlifDz3lSSy9IfWcYGh9N6vd
yI8Mx5jM0ZyxJx7l6h0pdM6qKzgY+qUaCEmPW/T7OdtIjDOVOhFo80D2XqQSoT4P
evNV42Ww/I4sdkt6OsjB085mw/j6a9HuylpvPPS8fiK8apdos6xir3ui2sNEb5cD
lgHl+GiSyOfBLqbheT/12q4ZU8/wv/FmThQFJlxdYQKBgQD2PlJxVd5Mb3KZGZci
VC/Q+nT9h6s9r2M2ZfZPUN0LXQ91oOpwq+rjp9qkFHZnOG+MEJtBojPoQn+WUYVY
mz3PwB+yAittfQOnKAZTmiiPLn3gBn+7Rux5soak6casRUY5jYMNsPzWYwt+ut+0
eP3whi68+z01r44xF3zwNYb9oQKBgQDoESAOlTW8he8KAo3Tix+m8lGTwN7Eheo9
PY2cOl8L6uBzmP9CmHRDIieeFKV6Jxd15IBj5dcKMInil6VJW4GXj8wCpOmoSl/v
9VjJd+4JE90ICFI51Oq5rinKyAi+74qli9NZhZasZ1qUIMeQWVA1bok+jUys8aKg
rQZ/IOZBZwKBgB/y0BGCWZhDMXQpvNEoaRfNFxa53n7fXZj2O7HoxPUves0BNsmt
lIk7AwQc34ve56IdmXc3i1KMJi+jnhBz+94TiEk5PNc0zB+I8uEv9Ck3l/9T+Iic
2BumDRAigLNjPYxEDwfcucE7Eoe7yUCKHjBxyGielD996o32BTDJUR1hAoGABSjE
Tq6wiCVuIAnYf1h7dqmyeJd0HGhhwcTJjiyaCljJbqh7HE7pXsi2msQYvbN6yQsw
c4gblMVpe1klupDHO8hdn71s2Gn24g3RUIFTEG6ZnmEY+uIp6cDeevyhfSU0LuQB
6d6Xb/PIRrzH0wS5TMbNVE+t4bZpiCrwlwjzNYcCgYBdPw2MSwsQdc5CjnU8U6FG
1j+I1HM7tAaixALFb5oHfk5b99ozEoBfuA6Du4YUEp2pXgJvTV/ncpxGUahy3ynp
G3x5GIX4Omup5O4uWANMpxwRCrmt4FW7PiSC5sOciXI9VI8/q9QN54m2/UOJa/Q/
f3S/YvRJlIn93AfKUldy6Q==
-----END PRIVATE KEY-----
";

fn settings() -> TokenSettings {
    TokenSettings {
        issuer: "https://saoma.test".into(),
        audience: "demo".into(),
        access_ttl: Duration::from_secs(600),
    }
}

fn subject() -> AccessSubject {
    AccessSubject {
        account_id: "0b7c-account".into(),
        provider: crate::scene::Provider::MiniProgram,
        app_id: AppId::parse("wxmini").unwrap(),
        auth_time: None,
    }
}

#[test]
fn rs256_signed_with_ring_is_what_jsonwebtoken_signs() {
    let key = RsaKey::from_pem(TEST_RSA_PEM).unwrap();
    let claims = serde_json::json!({"iss": "https://saoma.test", "sub": "a", "aud": "grafana",
        "exp": 4_000_000_000u64, "nonce": "n0nce"});

    let ours = key.sign(&claims).unwrap();

    let body: String = TEST_RSA_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let pkcs1 = rsa::RsaPrivateKey::from_pkcs8_der(&der)
        .unwrap()
        .to_pkcs1_der()
        .unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid().to_string());
    let theirs = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_der(pkcs1.as_bytes()),
    )
    .unwrap();
    assert_eq!(ours, theirs);
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["grafana"]);
    let decoded =
        jsonwebtoken::decode::<serde_json::Value>(&ours, key.decoding_key(), &validation).unwrap();
    assert_eq!(decoded.claims["nonce"], "n0nce");
}

fn write_key(dir: &std::path::Path, name: &str, seed: u8) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, super::key::encode_pem(&[seed; 32])).unwrap();
    path
}

#[test]
fn a_published_ed25519_key_is_in_the_jwks_and_verifies_before_it_signs() {
    let dir = tempfile::tempdir().unwrap();
    let old = write_key(dir.path(), "old.pem", 1);
    let next = write_key(dir.path(), "next.pem", 2);
    let next_signer = Signer::load_or_generate(&next, false, settings()).unwrap();

    // Step 2 of the rotation: the next key is published; the old one still signs.
    let signer = Signer::load_or_generate(&old, false, settings())
        .unwrap()
        .with_published(std::slice::from_ref(&next))
        .unwrap();

    let kids: Vec<String> = signer.jwks().keys.into_iter().map(|k| k.kid).collect();
    assert_eq!(kids, [signer.kid(), next_signer.kid()]);
    let by_old = signer.issue(&subject()).unwrap();
    assert_eq!(jwt_kid(by_old.token.expose()), signer.kid());
    // An instance that already swapped signs with the next key: this one accepts it.
    let by_next = next_signer.issue(&subject()).unwrap();
    assert_eq!(
        signer.verify(by_next.token.expose()).unwrap().sub,
        "0b7c-account"
    );
}

#[test]
fn after_the_swap_a_token_of_the_old_key_still_verifies_until_the_key_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let old = write_key(dir.path(), "old.pem", 1);
    let next = write_key(dir.path(), "next.pem", 2);
    let before = Signer::load_or_generate(&old, false, settings()).unwrap();
    let by_old = before.issue(&subject()).unwrap();

    // Step 3: the next key signs, the old one is published.
    let after = Signer::load_or_generate(&next, false, settings())
        .unwrap()
        .with_published(std::slice::from_ref(&old))
        .unwrap();
    // Step 4: the old key is gone.
    let done = Signer::load_or_generate(&next, false, settings()).unwrap();

    assert!(after.jwks().keys.iter().any(|k| k.kid == before.kid()));
    assert_eq!(
        jwt_kid(after.issue(&subject()).unwrap().token.expose()),
        after.kid()
    );
    assert!(after.verify(by_old.token.expose()).is_ok());
    assert_eq!(
        done.verify(by_old.token.expose()),
        Err(TokenError::UnknownKey)
    );
}

#[test]
fn a_missing_published_key_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let old = write_key(dir.path(), "old.pem", 1);

    let err = Signer::load_or_generate(&old, false, settings())
        .unwrap()
        .with_published(&[dir.path().join("missing.pem")])
        .unwrap_err();

    assert!(
        format!("{err:#}").contains("tokens.published_key_files"),
        "{err:#}"
    );
}

fn jwt_kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}
