use super::key::{decode_pem, encode_pem, thumbprint};
use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

fn settings() -> TokenSettings {
    TokenSettings {
        issuer: "https://saoma.test".into(),
        audience: "demo".into(),
        access_ttl: Duration::from_secs(600),
    }
}

fn signer() -> Signer {
    Signer::from_key(&SigningKey::from_bytes(&[7u8; 32]), settings()).unwrap()
}

fn subject() -> AccessSubject {
    AccessSubject {
        account_id: "0b7c-account".into(),
        provider: Provider::MiniProgram,
        app_id: AppId::parse("wxmini").unwrap(),
        auth_time: None,
    }
}

fn claims_now(signer: &Signer) -> Claims {
    let token = signer.issue(&subject()).unwrap();
    signer.verify(token.token.expose()).unwrap()
}

#[test]
fn an_issued_token_verifies_with_its_claims() {
    let signer = signer();

    let token = signer.issue(&subject()).unwrap();
    let claims = signer.verify(token.token.expose()).unwrap();

    assert_eq!(token.expires_in, 600);
    assert_eq!(claims.sub, "0b7c-account");
    assert_eq!(claims.iss, "https://saoma.test");
    assert_eq!(claims.aud, "demo");
    assert_eq!(claims.exp - claims.iat, 600);
    assert_eq!(claims.amr, vec!["wechat".to_owned()]);
    assert_eq!(claims.provider, "mini_program");
    assert_eq!(claims.app_id, "wxmini");
    assert_eq!(claims.jti.len(), 36);
    let header = jsonwebtoken::decode_header(token.token.expose()).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some(signer.kid()));
}

#[test]
fn a_token_of_another_key_is_refused() {
    let other = Signer::from_key(&SigningKey::from_bytes(&[8u8; 32]), settings()).unwrap();
    let token = other.issue(&subject()).unwrap();

    assert_eq!(
        signer().verify(token.token.expose()),
        Err(TokenError::UnknownKey)
    );
}

#[test]
fn a_token_of_another_key_claiming_our_kid_is_refused() {
    let ours = signer();
    let other = Signer::from_key(&SigningKey::from_bytes(&[8u8; 32]), settings()).unwrap();
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.kid = Some(ours.kid().to_owned());
    header.typ = Some("at+jwt".to_owned());
    let forged = jsonwebtoken::encode(&header, &claims_now(&ours), other.encoding_key()).unwrap();

    assert!(matches!(ours.verify(&forged), Err(TokenError::Invalid(_))));
}

#[test]
fn eddsa_signed_on_the_parsed_key_is_what_jsonwebtoken_signs() {
    let signer = signer();
    let claims = claims_now(&signer);

    let ours = signer.sign_typed(&claims, "at+jwt").unwrap();

    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.kid = Some(signer.kid().to_owned());
    header.typ = Some("at+jwt".to_owned());
    let theirs = jsonwebtoken::encode(&header, &claims, signer.encoding_key()).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(signer.verify(&ours).unwrap().jti, claims.jti);
}

#[test]
fn a_tampered_token_is_refused() {
    let signer = signer();
    let token = signer.issue(&subject()).unwrap();
    let parts: Vec<&str> = token.token.expose().split('.').collect();
    let mut claims = claims_now(&signer);
    claims.sub = "someone-else".into();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());

    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);

    assert!(matches!(
        signer.verify(&tampered),
        Err(TokenError::Invalid(_))
    ));
    assert!(matches!(
        signer.verify("not-a-jwt"),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn an_expired_token_is_refused() {
    let signer = signer();
    let mut claims = claims_now(&signer);
    claims.iat -= 7200;
    claims.exp = claims.iat + 600;

    let token = signer.sign_typed(&claims, "at+jwt").unwrap();

    assert_eq!(signer.verify(&token), Err(TokenError::Expired));
}

#[test]
fn a_token_for_another_audience_or_issuer_is_refused() {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let for_other_audience = Signer::from_key(
        &key,
        TokenSettings {
            audience: "other-app".into(),
            ..settings()
        },
    )
    .unwrap();
    let from_other_issuer = Signer::from_key(
        &key,
        TokenSettings {
            issuer: "https://evil.test".into(),
            ..settings()
        },
    )
    .unwrap();
    let signer = signer();

    for other in [for_other_audience, from_other_issuer] {
        let token = other.issue(&subject()).unwrap();
        assert!(matches!(
            signer.verify(token.token.expose()),
            Err(TokenError::Invalid(_))
        ));
    }
}

#[test]
fn the_key_file_is_generated_once_with_mode_0600_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys").join("signing.pem");

    let first = Signer::load_or_generate(&path, true, settings()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let second = Signer::load_or_generate(&path, true, settings()).unwrap();
    let third = Signer::load_or_generate(&path, false, settings()).unwrap();

    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    assert_eq!(first.kid(), second.kid());
    assert_eq!(first.kid(), third.kid());
    let token = first.issue(&subject()).unwrap();
    assert!(third.verify(token.token.expose()).is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_missing_key_file_is_an_error_unless_generation_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.pem");

    let error = Signer::load_or_generate(&path, false, settings()).unwrap_err();

    assert!(error.to_string().contains("does not exist"));
    assert!(!path.exists());
}

#[test]
fn a_key_file_that_is_not_an_ed25519_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.pem");
    std::fs::write(
        &path,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();

    assert!(Signer::load_or_generate(&path, true, settings()).is_err());
}

#[test]
fn the_jwks_verifies_tokens_on_its_own() {
    let signer = signer();
    let token = signer.issue(&subject()).unwrap();
    let json = serde_json::to_value(signer.jwks()).unwrap();
    let jwk = &json["keys"][0];

    let key = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["demo"]);
    let claims = jsonwebtoken::decode::<Claims>(token.token.expose(), &key, &validation).unwrap();

    assert_eq!(claims.claims.sub, "0b7c-account");
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["kid"], signer.kid());
}

#[test]
fn public_key_and_kid_match_the_rfc_8037_example() {
    // RFC 8037 appendix A.1 (key) and A.3 (thumbprint).
    let d = URL_SAFE_NO_PAD
        .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
        .unwrap();
    let key = SigningKey::from_bytes(&d.try_into().unwrap());

    let signer = Signer::from_key(&key, settings()).unwrap();

    let jwk = &signer.jwks().keys[0];
    assert_eq!(jwk.x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    assert_eq!(signer.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_eq!(thumbprint(&jwk.x), signer.kid());
}

#[test]
fn the_rfc_8410_example_pem_round_trips() {
    let pem = "-----BEGIN PRIVATE KEY-----\n\
               MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
               -----END PRIVATE KEY-----\n";

    let seed = decode_pem(pem).unwrap();

    assert_eq!(encode_pem(&seed), pem);
}

#[test]
fn debug_shows_neither_key_nor_token() {
    let signer = signer();
    let token = signer.issue(&subject()).unwrap();
    let seed_b64 = URL_SAFE_NO_PAD.encode([7u8; 32]);

    let debug = format!("{signer:?} {token:?}");

    assert!(debug.contains(signer.kid()));
    assert!(!debug.contains(token.token.expose()));
    assert!(!debug.contains(&seed_b64));
    assert!(!debug.contains("[7, 7, 7"));
}
