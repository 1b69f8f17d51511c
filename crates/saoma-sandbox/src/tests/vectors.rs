//! The known-answer vectors of docs/wechat.md section 8, each checked against an independent
//! implementation: the sandbox's crypto must agree with them exactly as Saoma's does
//! (`src/wechat/callback/tests.rs`), so that neither side can hide the other's mistake.

use crate::crypto::{AesKey, CryptoError, decrypt, encrypt, msg_signature, signature, verify};

const B_TOKEN: &str = "AAAAA";
const B_APP_ID: &str = "wxba5fad812f8e6fb9";
const B_ENCRYPT: &str = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";
const B_MESSAGE: &str = r#"{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}"#;
const B_REPLY: &str = r#"{"demo_resp":"good luck"}"#;
const B_REPLY_ENCRYPT: &str =
    "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==";

fn b_key() -> AesKey {
    AesKey::parse(&"A".repeat(43)).unwrap()
}

fn random(s: &str) -> [u8; 16] {
    s.as_bytes().try_into().unwrap()
}

#[test]
fn vector_a_plain_signatures() {
    for (token, timestamp, nonce, expected) in [
        (
            "AAAAA",
            "1714036504",
            "1514711492",
            "f464b24fc39322e44b38aa78f5edd27bd1441696",
        ),
        (
            "AAAAA",
            "1714037059",
            "486452656",
            "899cf89e464efb63f54ddac96b0a0a235f53aa78",
        ),
        (
            "test",
            "1410685589",
            "test",
            "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff",
        ),
    ] {
        let computed = signature(token, timestamp, nonce);
        assert_eq!(computed, expected);
        assert!(verify(&computed, &expected.to_ascii_uppercase()));
        assert!(!verify(&computed, &expected[1..]));
    }
}

#[test]
fn vector_b_push_is_signed_and_encrypted_as_wechat_does() {
    assert_eq!(
        msg_signature(B_TOKEN, "1714112445", "415670741", B_ENCRYPT),
        "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3"
    );
    // Plaintext 16 + 4 + 167 + 18 = 205 bytes, padded with 19: a 16-byte padder gets it wrong.
    let encrypted = encrypt(
        &b_key(),
        B_APP_ID,
        B_MESSAGE.as_bytes(),
        &random("a8eedb185eb2fecf"),
    );
    assert_eq!(encrypted, B_ENCRYPT);
}

#[test]
fn vector_b_push_decrypts_to_the_documented_message() {
    let message = decrypt(&b_key(), B_APP_ID, B_ENCRYPT).unwrap();
    assert_eq!(message.len(), 167);
    assert_eq!(std::str::from_utf8(&message).unwrap(), B_MESSAGE);
}

#[test]
fn vector_b_reply_encrypts_signs_and_decrypts() {
    let encrypted = encrypt(
        &b_key(),
        B_APP_ID,
        B_REPLY.as_bytes(),
        &random("707722b803182950"),
    );
    assert_eq!(encrypted, B_REPLY_ENCRYPT);
    assert_eq!(
        msg_signature(B_TOKEN, "1713424427", "415670741", B_REPLY_ENCRYPT),
        "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1"
    );
    let reply = decrypt(&b_key(), B_APP_ID, B_REPLY_ENCRYPT).unwrap();
    assert_eq!(reply, B_REPLY.as_bytes());
}

#[test]
fn vector_c_wxjava_key_with_trailing_bits() {
    let key = AesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap();
    let encrypted = encrypt(
        &key,
        "wxb11529c136998cb6",
        "我是中文abcd123".as_bytes(),
        &random("aaaabbbbccccdddd"),
    );
    assert_eq!(
        encrypted,
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    );
    let back = decrypt(&key, "wxb11529c136998cb6", &encrypted).unwrap();
    assert_eq!(std::str::from_utf8(&back).unwrap(), "我是中文abcd123");
}

#[test]
fn another_app_id_bad_keys_and_garbage_are_refused() {
    assert_eq!(
        decrypt(&b_key(), "wxother", B_ENCRYPT),
        Err(CryptoError::AppId)
    );
    assert_eq!(AesKey::parse("short").err(), Some(CryptoError::AesKey));
    assert_eq!(
        AesKey::parse(&"!".repeat(43)).err(),
        Some(CryptoError::AesKey)
    );
    assert_eq!(
        decrypt(&b_key(), B_APP_ID, "not base64!"),
        Err(CryptoError::Ciphertext)
    );
    assert_eq!(
        decrypt(&b_key(), B_APP_ID, "AAAA"),
        Err(CryptoError::Ciphertext)
    );
    assert_eq!(
        decrypt(&b_key(), B_APP_ID, ""),
        Err(CryptoError::Ciphertext)
    );
    assert_eq!(format!("{:?}", b_key()), "AesKey([redacted])");
}
