//! Layering: defaults < file < environment.

use super::*;

#[test]
fn defaults_are_the_embedded_ones() {
    // In a jail: other tests' jails change the working directory and write a saoma.toml there.
    figment::Jail::expect_with(|_jail| {
        let c = Config::load_from(None, "SAOMA_TEST_NOTHING_").map_err(|e| e.to_string())?;
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.store, StoreKind::Memory);
        assert!(c.sandbox_enabled());
        assert_eq!(c.limits.scene_ttl_seconds, 300);
        assert!(c.database_url().starts_with("sqlite://"));
        let (app, _) = c.mini_program_credentials().unwrap();
        assert_eq!(app.as_str(), SANDBOX_MINI_PROGRAM_APP_ID);
        Ok(())
    });
}

#[test]
fn file_then_environment_override_defaults() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "saoma.toml",
            "listen = \"127.0.0.1:9000\"\n[mini_program]\napp_id = \"wxfile\"\nwidth = 280\n",
        )?;
        jail.create_file("secret.txt", "s3cret\n")?;
        jail.set_env("SAOMA_LISTEN", "127.0.0.1:9001");
        jail.set_env("SAOMA_MINI_PROGRAM__APP_ID", "wxenv");
        jail.set_env("SAOMA_MINI_PROGRAM__APP_SECRET_FILE", "secret.txt");
        jail.set_env("SAOMA_LIMITS__SCENE_TTL_SECONDS", "60");
        let c = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(c.mini_program.width, 280);
        assert_eq!(c.limits.scene_ttl_seconds, 60);
        assert!(!c.sandbox_enabled());
        let (app, secret) = c.mini_program_credentials().unwrap();
        assert_eq!((app.as_str(), secret.expose()), ("wxenv", "s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
        Ok(())
    });
}

#[test]
fn sandbox_can_be_forced_on_with_credentials() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("SAOMA_SANDBOX", "true");
        jail.set_env("SAOMA_MINI_PROGRAM__APP_SECRET", "x");
        let c = Config::load(None).map_err(|e| e.to_string())?;
        assert!(c.sandbox_enabled());
        Ok(())
    });
}

#[test]
fn cors_origins_come_from_a_list_in_the_environment() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "SAOMA_WEB__CORS_ORIGINS",
            "[\"https://a.example.com\", \"http://localhost:3000\"]",
        );
        let c = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(
            c.web.cors_origins,
            ["https://a.example.com", "http://localhost:3000"]
        );
        Ok(())
    });
}

#[test]
fn an_unknown_variable_or_key_is_refused_with_the_closest_known_one() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("SAOMA_WECHAT_API_BASE", "http://127.0.0.1:9/");
        let error = Config::load(None).unwrap_err().to_string();
        assert!(
            error.contains(
                "unknown environment variable SAOMA_WECHAT_API_BASE; \
                 did you mean SAOMA_WECHAT__API_BASE?"
            ),
            "{error}"
        );
        Ok(())
    });
    figment::Jail::expect_with(|jail| {
        jail.create_file("saoma.toml", "[limits]\nscene_ttl_secs = 60\n")?;
        let error = Config::load(None).unwrap_err().to_string();
        assert!(
            error.contains("unknown key `limits.scene_ttl_secs` in saoma.toml; did you mean `limits.scene_ttl_seconds`?"),
            "{error}"
        );
        Ok(())
    });
}

#[test]
fn every_setting_is_known_secrets_and_lists_included() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "saoma.toml",
            "sandbox = true\n[sms.tencent]\nsecret_key = \"k\"\nregion = \"ap-beijing\"\n\
             [limits]\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        )?;
        jail.set_env("SAOMA_OFFICIAL_ACCOUNT__ENCODING_AES_KEY", "k".repeat(43));
        jail.set_env("SAOMA_WEB__CORS_ORIGINS", "[\"https://a.example\"]");
        jail.set_env("SAOMA_SHUTDOWN_GRACE_SECONDS", "3");
        let c = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(c.shutdown_grace_seconds, 3);
        assert_eq!(c.sms.tencent.region, "ap-beijing");
        Ok(())
    });
}

#[test]
fn oidc_clients_come_from_the_file_and_a_misspelt_key_stops_the_start() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "saoma.toml",
            "[[oidc.clients]]\nclient_id = \"grafana\"\nclient_secret = \"s3cret\"\n\
             redirect_uris = [\"https://grafana.example.com/cb\"]\nname = \"Grafana\"\n",
        )?;
        let c = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(c.oidc.clients[0].client_id, "grafana");
        assert!(!format!("{c:?}").contains("s3cret"));
        jail.create_file(
            "saoma.toml",
            "[[oidc.clients]]\nclient_id = \"grafana\"\nredirect_uri = \"https://x/cb\"\n\
             redirect_uris = []\nname = \"Grafana\"\n",
        )?;
        let e = format!("{:#}", Config::load(None).unwrap_err());
        assert!(e.contains("redirect_uri"), "{e}");
        Ok(())
    });
}
