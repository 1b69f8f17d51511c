//! Known-answer vectors of docs/wechat.md section 8, and the refusals.

use super::*;

const B_ENCRYPT: &str = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";
const B_APP_ID: &str = "wxba5fad812f8e6fb9";
const B_MESSAGE: &str = r#"{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}"#;

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
        assert!(verify(&computed, expected));
        assert!(verify(&computed, &expected.to_ascii_uppercase()));
    }
}

#[test]
fn vector_b_push_msg_signature() {
    let computed = msg_signature("AAAAA", "1714112445", "415670741", B_ENCRYPT);
    assert_eq!(computed, "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3");
}

#[test]
fn vector_b_push_decrypts_with_32_byte_padding() {
    let msg = decrypt(&b_key(), B_APP_ID, B_ENCRYPT).unwrap();
    assert_eq!(msg.len(), 167);
    assert_eq!(std::str::from_utf8(&msg).unwrap(), B_MESSAGE);
    // And back: the same random bytes give the same ciphertext (pad 19 > 16).
    let again = encrypt(
        &b_key(),
        B_APP_ID,
        B_MESSAGE.as_bytes(),
        &random("a8eedb185eb2fecf"),
    );
    assert_eq!(again, B_ENCRYPT);
}

#[test]
fn vector_b_reply_encrypts_and_signs() {
    let encrypted = encrypt(
        &b_key(),
        B_APP_ID,
        br#"{"demo_resp":"good luck"}"#,
        &random("707722b803182950"),
    );
    assert_eq!(
        encrypted,
        "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ=="
    );
    let signed = msg_signature("AAAAA", "1713424427", "415670741", &encrypted);
    assert_eq!(signed, "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1");
    let back = decrypt(&b_key(), B_APP_ID, &encrypted).unwrap();
    assert_eq!(back, br#"{"demo_resp":"good luck"}"#);
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
fn a_wrong_app_id_inside_the_ciphertext_is_refused() {
    assert_eq!(
        decrypt(&b_key(), "wx0000000000000000", B_ENCRYPT),
        Err(PushCodecError::WrongAppId)
    );
}

#[test]
fn garbage_ciphertexts_are_refused() {
    let key = b_key();
    for bad in ["", "not base64!", "AAAA", &"A".repeat(44)] {
        assert_eq!(
            decrypt(&key, B_APP_ID, bad),
            Err(PushCodecError::InvalidCiphertext),
            "{bad}"
        );
    }
    // Another key: the padding comes out wrong.
    let other = AesKey::parse(&"B".repeat(43)).unwrap();
    assert_eq!(
        decrypt(&other, B_APP_ID, B_ENCRYPT),
        Err(PushCodecError::InvalidCiphertext)
    );
}

#[test]
fn aes_keys_must_be_43_base64_characters() {
    assert_eq!(AesKey::parse("short"), Err(PushCodecError::InvalidAesKey));
    assert_eq!(
        AesKey::parse(&"!".repeat(43)),
        Err(PushCodecError::InvalidAesKey)
    );
    assert_eq!(format!("{:?}", b_key()), "AesKey([redacted])");
}

#[test]
fn xml_fields_are_read_from_cdata_and_text() {
    let body = b"<?xml version=\"1.0\"?><xml><ToUserName><![CDATA[gh_1]]></ToUserName>\
        <FromUserName><![CDATA[o1]]></FromUserName><CreateTime>123</CreateTime>\
        <Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_a&b]]></EventKey>\
        <Note>x &amp; y</Note><Empty/><Nested><Inner>z</Inner></Nested></xml>";
    let fields = parse(body).unwrap();
    assert_eq!(fields.get("ToUserName"), Some("gh_1"));
    assert_eq!(fields.get("CreateTime"), Some("123"));
    assert_eq!(fields.get("EventKey"), Some("qrscene_a&b"));
    assert_eq!(fields.get("Note"), Some("x & y"));
    assert_eq!(fields.get("Empty"), Some(""));
    assert_eq!(fields.get("Inner"), None);
    assert_eq!(fields.get("Nested.Inner"), Some("z"));
}

#[test]
fn a_media_check_result_is_read_one_level_deep_and_repeats_there_are_not_refused() {
    let body = b"<xml><Event><![CDATA[wxa_media_check]]></Event><trace_id><![CDATA[t-1]]></trace_id>\
        <detail><strategy><![CDATA[content_model]]></strategy><suggest><![CDATA[risky]]></suggest></detail>\
        <detail><strategy><![CDATA[keyword]]></strategy><suggest><![CDATA[pass]]></suggest></detail>\
        <result><suggest><![CDATA[risky]]></suggest><label>20002</label><deeper><x>1</x></deeper></result></xml>";
    let fields = parse(body).unwrap();
    assert_eq!(fields.get("result.suggest"), Some("risky"));
    assert_eq!(fields.get("result.label"), Some("20002"));
    assert_eq!(
        fields.get("detail.strategy"),
        Some("content_model"),
        "the first wins"
    );
    assert_eq!(fields.get("result.deeper.x"), None);
    assert_eq!(fields.get("x"), None);
}

#[test]
fn a_doctype_is_refused_before_any_entity() {
    let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\
        <xml><Event>&x;</Event></xml>";
    assert_eq!(parse(xxe), Err(PushCodecError::DocType));
    let laughs =
        b"<!DOCTYPE xml [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><xml><E>&b;</E></xml>";
    assert_eq!(parse(laughs), Err(PushCodecError::DocType));
}

#[test]
fn undeclared_entities_garbage_and_oversized_bodies_are_refused() {
    for bad in [
        &b"<xml><Event>&x;</Event></xml>"[..],
        b"not xml at all",
        b"",
        b"<xml><Event>subscribe</Event>",
        b"<xml><A>1</B></xml>",
        b"<other><A>1</A></other>",
        b"<xml><A>1</A></xml><xml><A>2</A></xml>",
        b"<xml><A>1</A><A>2</A></xml>",
        b"\xff\xfe<xml/>",
    ] {
        assert!(
            matches!(parse(bad), Err(PushCodecError::InvalidXml(_))),
            "{:?} -> {:?}",
            String::from_utf8_lossy(bad),
            parse(bad)
        );
    }
    let big = format!("<xml><A>{}</A></xml>", "a".repeat(MAX_XML_BYTES));
    assert_eq!(
        parse(big.as_bytes()),
        Err(PushCodecError::TooLarge(MAX_XML_BYTES))
    );
}

#[test]
fn replies_use_cdata_and_survive_a_cdata_terminator() {
    let reply = text_reply("o1", "gh_1", 42, "登录成功 ]]> <x>");
    let fields = parse(reply.as_bytes()).unwrap();
    assert_eq!(fields.get("ToUserName"), Some("o1"));
    assert_eq!(fields.get("FromUserName"), Some("gh_1"));
    assert_eq!(fields.get("CreateTime"), Some("42"));
    assert_eq!(fields.get("MsgType"), Some("text"));
    assert_eq!(fields.get("Content"), Some("登录成功 ]]> <x>"));

    let envelope = encrypted_reply("abc+/=", "sig", "1713424427", "415670741");
    let fields = parse(envelope.as_bytes()).unwrap();
    assert_eq!(fields.get("Encrypt"), Some("abc+/="));
    assert_eq!(fields.get("MsgSignature"), Some("sig"));
    assert_eq!(fields.get("TimeStamp"), Some("1713424427"));
    assert_eq!(fields.get("Nonce"), Some("415670741"));
}
