//! Bad configuration stops the start with a message naming the setting; sandbox mode is never
//! silent. Each case starts the binary as an operator would and reads what it says.

use crate::contract::cli::{Running, free_port, saoma, wait_for};
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Start `saoma serve` with `env` (and `toml` as its config file) and expect it to stop:
/// its stderr.
fn refused(env: &[(&str, &str)], toml: Option<&str>) -> String {
    let data = tempfile::tempdir().unwrap();
    let mut command = saoma();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(toml) = toml {
        let file = data.path().join("saoma.toml");
        std::fs::write(&file, toml).unwrap();
        command.arg("--config").arg(file);
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("saoma started with {env:?} {toml:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success(), "{stderr}");
    stderr
}

fn assert_says(stderr: &str, words: &[&str]) {
    for w in words {
        assert!(stderr.contains(w), "expected {w:?} in:\n{stderr}");
    }
}

#[test]
fn an_unknown_variable_is_refused_with_the_closest_one() {
    let stderr = refused(&[("SAOMA_WECHAT_API_BASE", "http://127.0.0.1:9/")], None);
    assert_says(
        &stderr,
        &[
            "unknown environment variable SAOMA_WECHAT_API_BASE",
            "did you mean SAOMA_WECHAT__API_BASE?",
        ],
    );
}

#[test]
fn an_unknown_key_in_the_file_is_refused_with_the_closest_one() {
    let stderr = refused(&[], Some("[wechat]\napi_bse = \"http://127.0.0.1:9/\"\n"));
    assert_says(
        &stderr,
        &[
            "unknown key `wechat.api_bse`",
            "did you mean `wechat.api_base`?",
        ],
    );
    let stderr = refused(&[], Some("[mini_programme]\napp_id = \"wx1\"\n"));
    assert_says(
        &stderr,
        &[
            "unknown key `mini_programme`",
            "did you mean `mini_program`?",
        ],
    );
}

#[test]
fn an_app_id_whose_secret_did_not_arrive_does_not_fall_back_to_the_sandbox() {
    let stderr = refused(&[("SAOMA_MINI_PROGRAM__APP_ID", "wxprod")], None);
    assert_says(
        &stderr,
        &["mini_program.app_id is set but mini_program.app_secret is not"],
    );
    let stderr = refused(&[("SAOMA_WEBSITE__APP_SECRET", "s")], None);
    assert_says(
        &stderr,
        &["website.app_secret is set but website.app_id is not"],
    );
}

#[test]
fn an_official_account_configured_in_part_names_what_is_missing() {
    let key = "k".repeat(43);
    let stderr = refused(
        &[
            ("SAOMA_OFFICIAL_ACCOUNT__APP_ID", "wxoa"),
            ("SAOMA_OFFICIAL_ACCOUNT__TOKEN", "tok3n"),
            ("SAOMA_OFFICIAL_ACCOUNT__ENCODING_AES_KEY", &key),
        ],
        None,
    );
    assert_says(&stderr, &["official_account.app_secret missing"]);
    assert!(!stderr.contains("tok3n"), "no secret in the message");

    let stderr = refused(&[("SAOMA_OFFICIAL_ACCOUNT__TOKEN", "tok3n")], None);
    assert_says(
        &stderr,
        &["official_account.app_id", "official_account.app_secret"],
    );

    let stderr = refused(
        &[
            ("SAOMA_OFFICIAL_ACCOUNT__APP_ID", "wxoa"),
            ("SAOMA_OFFICIAL_ACCOUNT__APP_SECRET", "s"),
            ("SAOMA_OFFICIAL_ACCOUNT__TOKEN", "t"),
            ("SAOMA_OFFICIAL_ACCOUNT__MODE", "safe"),
        ],
        None,
    );
    assert_says(
        &stderr,
        &["official_account.mode = \"safe\" needs official_account.encoding_aes_key"],
    );
}

#[test]
fn bad_limits_and_sms_caps_are_refused_naming_the_setting() {
    let stderr = refused(&[("SAOMA_LIMITS__IPV6_PREFIX_LENGTH", "0")], None);
    assert_says(
        &stderr,
        &["limits.ipv6_prefix_length must be between 1 and 128"],
    );
    let stderr = refused(&[], Some("[limits]\nipv6_prefix_length = 129\n"));
    assert_says(&stderr, &["limits.ipv6_prefix_length"]);
    let stderr = refused(&[], Some("[sms]\nallowed_country_codes = [\"86\"]\n"));
    assert_says(
        &stderr,
        &["sms.allowed_country_codes: \"86\" is not a country code"],
    );
    let stderr = refused(&[], Some("[sms]\nallowed_country_codes = []\n"));
    assert_says(&stderr, &["sms.allowed_country_codes is empty"]);
    let stderr = refused(&[], Some("[sms]\nbudget_per_hour = -1\n"));
    assert_says(&stderr, &["sms.budget_per_hour"]);
}

#[test]
fn bad_webhooks_are_refused_naming_the_setting() {
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let hook = |body: &str| format!("[[webhooks]]\n{body}\n");
    for (toml, says) in [
        (
            hook(&format!(
                "url = \"http://hooks.example.com/in\"\nsecret = \"{SECRET}\""
            )),
            "webhooks[0].url must be https (http needs webhook_delivery.allow_http",
        ),
        (
            hook(&format!(
                "url = \"https://169.254.169.254/\"\nsecret = \"{SECRET}\""
            )),
            "webhooks[0].url names a private, loopback or link-local address 169.254.169.254 \
             (allowed only with webhook_delivery.allow_private_networks)",
        ),
        (
            hook("url = \"https://hooks.example.com/in\"\nsecret = \"hunter2\""),
            "webhooks[0].secret must start with whsec_",
        ),
        (
            hook("url = \"https://hooks.example.com/in\""),
            "webhooks[0].secret is not set",
        ),
        (
            hook(&format!(
                "url = \"https://hooks.example.com/in\"\nsecret = \"{SECRET}\"\n\
                 events = [\"acount.created\"]"
            )),
            "webhooks[0].events names an unknown event type \"acount.created\"",
        ),
        (
            hook(&format!(
                "url = \"https://hooks.example.com/in\"\nsecret = \"{SECRET}\"\nevents = []"
            )),
            "webhooks[0].events is empty",
        ),
        (
            format!(
                "{}{}",
                hook(&format!(
                    "url = \"https://a.example/\"\nsecret = \"{SECRET}\""
                )),
                hook(&format!(
                    "url = \"https://a.example/\"\nsecret = \"{SECRET}\""
                ))
            ),
            "webhooks[1].url is the URL of webhooks[0] already",
        ),
        (
            hook(&format!(
                "url = \"https://a.example/\"\nsecrt = \"{SECRET}\""
            )),
            "unknown field: found `secrt`",
        ),
        (
            hook("url = \"https://a.example/\"\nsecret_file = \"/nonexistent/whsec\""),
            "reading webhooks[0].secret_file /nonexistent/whsec",
        ),
        (
            "[webhook_delivery]\ntimeout_seconds = 0\n".to_string(),
            "webhook_delivery.timeout_seconds must be between 1 and 60",
        ),
    ] {
        let stderr = refused(&[], Some(&toml));
        assert_says(&stderr, &[says]);
        assert!(
            !stderr.contains("MfKQ9r8G"),
            "a secret in the message: {stderr}"
        );
    }
}

#[test]
fn nothing_real_on_a_database_server_is_not_a_sandbox() {
    let stderr = refused(
        &[("SAOMA_DATABASE_URL", "postgres://saoma@127.0.0.1:9/saoma")],
        None,
    );
    assert_says(&stderr, &["database_url", "sandbox = true"]);
}

#[tokio::test]
async fn a_sandbox_start_says_so_in_the_log_readyz_and_metrics() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let log_path = data.path().join("stderr.log");
    let _serve = Running(
        crate::contract::cli::serve(port, data.path())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let ready: serde_json::Value = wait_for(&format!("{base}/readyz"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ready["sandbox"], true);
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("\nsaoma_sandbox 1\n"), "{metrics}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("SANDBOX MODE")).collect();
    assert_eq!(lines.len(), 1, "one unmistakable line:\n{log}");
    assert!(lines[0].contains("no WeChat credential"), "{}", lines[0]);
}

#[tokio::test]
async fn real_credentials_run_without_the_sandbox_unless_it_is_asked_for() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let real = [
        ("SAOMA_MINI_PROGRAM__APP_ID", "wxreal"),
        ("SAOMA_MINI_PROGRAM__APP_SECRET", "s3cret"),
        // Nobody answers here: the instance must not call it to start.
        ("SAOMA_WECHAT__API_BASE", "http://127.0.0.1:9/"),
    ];
    let _serve = Running(
        crate::contract::cli::serve(port, data.path())
            .envs(real)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let ready: serde_json::Value = wait_for(&format!("{base}/readyz"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ready["sandbox"], false);
    let phone_code = reqwest::Client::new()
        .post(format!("{base}/sandbox/api/phone-code"))
        .json(&serde_json::json!({"user": "u", "phone": "13800138000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(phone_code.status(), 404, "no sandbox tool on a real server");

    let asked = tempfile::tempdir().unwrap();
    let port = free_port();
    let _sandboxed = Running(
        crate::contract::cli::serve(port, asked.path())
            .envs(real)
            .env("SAOMA_SANDBOX", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ready: serde_json::Value = wait_for(&format!("http://127.0.0.1:{port}/readyz"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ready["sandbox"], true, "asked for explicitly");
}

#[test]
fn an_admin_client_configured_in_part_names_the_setting() {
    let cases = [
        // client_credentials without a secret: anyone could get an admin token.
        (
            "[[oidc.clients]]\nclient_id = \"ops\"\nname = \"Ops\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"saoma:admin\"]\n",
            "client_credentials needs a client_secret",
        ),
        // client_credentials without the scope, and the scope without the grant.
        (
            "[[oidc.clients]]\nclient_id = \"ops\"\nclient_secret = \"s3cret-s3cret\"\nname = \"Ops\"\ngrant_types = [\"client_credentials\"]\n",
            "scopes: client_credentials grants admin tokens only",
        ),
        (
            "[[oidc.clients]]\nclient_id = \"app\"\nclient_secret = \"s3cret-s3cret\"\nname = \"App\"\nredirect_uris = [\"https://app.example/cb\"]\nscopes = [\"saoma:admin\"]\n",
            "scopes: client_credentials grants admin tokens only",
        ),
        (
            "[[oidc.clients]]\nclient_id = \"ops\"\nclient_secret = \"s3cret-s3cret\"\nname = \"Ops\"\ngrant_types = [\"password\"]\n",
            "grant_types: \"password\" is not one of",
        ),
        (
            "[[oidc.clients]]\nclient_id = \"ops\"\nclient_secret = \"s3cret-s3cret\"\nname = \"Ops\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"admin\"]\n",
            "scopes: \"admin\" is not known",
        ),
    ];
    for (toml, says) in cases {
        let stderr = refused(&[], Some(toml));
        assert_says(&stderr, &["oidc.clients[0]", says]);
    }
}

#[test]
fn an_unknown_sign_up_policy_is_refused() {
    let stderr = refused(&[("SAOMA_ACCOUNTS__SIGN_UP", "invite_only")], None);
    assert_says(
        &stderr,
        &["ACCOUNTS.SIGN_UP", "invite_only", "provisioned_only"],
    );
}

#[test]
fn bad_admins_are_refused_naming_the_setting() {
    let stderr = refused(&[("SAOMA_ADMIN__ACCOUNTS", "[\"alice\"]")], None);
    assert_says(
        &stderr,
        &["admin.accounts", "\"alice\" is not an account id"],
    );
    let stderr = refused(&[("SAOMA_ADMIN__PHONES", "[\"555-0100\"]")], None);
    assert_says(&stderr, &["admin.phones", "invalid phone number"]);
    let stderr = refused(&[], Some("[admin]\nphone = [\"+8613800138000\"]\n"));
    assert_says(&stderr, &["unknown key `admin.phone`", "`admin.phones`"]);
    // The console's client id is built in: a configured client may not take it.
    let stderr = refused(
        &[],
        Some(
            "[[oidc.clients]]\nclient_id = \"saoma-console\"\nname = \"Mine\"\nredirect_uris = [\"https://app.example/admin/\"]\n",
        ),
    );
    assert_says(
        &stderr,
        &["oidc.clients[0]", "the admin console's, built in"],
    );
}
