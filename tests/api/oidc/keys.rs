//! Key rotation for both signing keys (RS256 id_tokens, EdDSA access tokens and id_tokens), as
//! docs/oidc.md's steps do it: the next key is published before it signs, and after the swap
//! what the old key signed still verifies through the JWKS.

use crate::support::helpers::{TestApp, spawn_app_with};
use crate::support::oidc_helpers::{browser, configure, exchange, grafana_params, header, log_in};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use saoma::tokens::{RsaKey, Signer, TokenSettings};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Keys {
    rsa: PathBuf,
    ed: PathBuf,
}

fn make_keys(dir: &Path, name: &str) -> Keys {
    let keys = Keys {
        rsa: dir.join(format!("{name}_rsa.pem")),
        ed: dir.join(format!("{name}_ed.pem")),
    };
    RsaKey::load_or_generate(&keys.rsa, true).unwrap();
    let settings = TokenSettings {
        issuer: "https://unused.test".into(),
        audience: "unused".into(),
        access_ttl: Duration::from_secs(60),
    };
    Signer::load_or_generate(&keys.ed, true, settings).unwrap();
    keys
}

/// An OpenID Provider signing with `signing` and publishing `published` besides.
async fn spawn_with_keys(signing: &Keys, published: &Keys) -> TestApp {
    let (rsa, ed) = (signing.rsa.clone(), signing.ed.clone());
    let (old_rsa, old_ed) = (published.rsa.clone(), published.ed.clone());
    spawn_app_with(move |config| {
        configure(config);
        config.oidc.signing_key_file = Some(rsa);
        config.oidc.published_key_files = vec![old_rsa];
        config.tokens.signing_key_file = Some(ed);
        config.tokens.published_key_files = vec![old_ed];
    })
    .await
}

/// The id_token and the access token of one login of `grafana` (RS256 id_tokens).
async fn tokens_of_a_login(app: &TestApp) -> (String, String) {
    let callback = log_in(app, &browser(), &grafana_params(&[])).await;
    let tokens: Value = exchange(app, &callback["code"]).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    (id_token, access)
}

async fn jwks_kids(app: &TestApp, path: &str) -> Vec<String> {
    let jwks: Value = app.get_json(path).await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

fn kid(jwt: &str) -> String {
    header(jwt)["kid"].as_str().unwrap().to_string()
}

/// What a relying party does: find the token's `kid` in the JWKS and check the signature.
async fn verifies_through_jwks(app: &TestApp, jwt: &str) -> bool {
    let jwks: Value = app.get_json("/oidc/jwks").await;
    let Some(jwk) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == Some(kid(jwt).as_str()))
    else {
        return false;
    };
    let jwk: Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(jsonwebtoken::decode_header(jwt).unwrap().alg);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).is_ok()
}

#[tokio::test]
async fn both_keys_rotate_published_before_they_sign_and_the_old_kept_after_the_swap() {
    let dir = tempfile::tempdir().unwrap();
    let old = make_keys(dir.path(), "old");
    let next = make_keys(dir.path(), "next");
    let (old_rsa, next_rsa) = (kid_of_rsa(&old.rsa), kid_of_rsa(&next.rsa));

    // Step 2: the next keys are published; the old ones still sign.
    let before = spawn_with_keys(&old, &next).await;
    let (id_token, access) = tokens_of_a_login(&before).await;
    assert_eq!(kid(&id_token), old_rsa);
    let old_ed = kid(&access);
    let kids = jwks_kids(&before, "/oidc/jwks").await;
    assert!(kids.contains(&next_rsa), "{kids:?}");
    assert_eq!(kids.len(), 4, "two RSA and two Ed25519 keys: {kids:?}");
    let api_kids = jwks_kids(&before, "/.well-known/jwks.json").await;
    assert_eq!(api_kids.len(), 2, "both Ed25519 keys: {api_kids:?}");
    assert_eq!(api_kids[0], old_ed, "the signing key first");

    // Step 3: the swap.
    let after = spawn_with_keys(&next, &old).await;
    assert!(verifies_through_jwks(&after, &id_token).await);
    assert!(verifies_through_jwks(&after, &access).await);
    let (new_id_token, new_access) = tokens_of_a_login(&after).await;
    assert_eq!(kid(&new_id_token), next_rsa);
    assert_eq!(kid(&new_access), api_kids[1], "the key published in step 2");
    assert!(verifies_through_jwks(&before, &new_id_token).await);

    // Step 4: the old keys are dropped; what they signed no longer verifies.
    let done = spawn_with_keys(&next, &next).await;
    assert!(!verifies_through_jwks(&done, &id_token).await);
    assert!(!verifies_through_jwks(&done, &access).await);
    assert_eq!(jwks_kids(&done, "/oidc/jwks").await.len(), 2);
}

fn kid_of_rsa(path: &Path) -> String {
    RsaKey::load_or_generate(path, false)
        .unwrap()
        .kid()
        .to_string()
}
