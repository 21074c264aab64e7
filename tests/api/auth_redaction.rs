//! A 401 never echoes the credential it refuses, whatever its shape: at most a short
//! `kind_mode_` prefix and the last four characters of a long secret, as Stripe shows
//! `sk_test_****1234`. A credential without two underscores once came back whole.

use base64::Engine;
use reqwest::header::AUTHORIZATION;

use crate::both_stores;
use crate::harness::{Backend, TestApp, assert_error, json};

both_stores!(refused_credentials_of_every_shape_are_redacted);

async fn refused_credentials_of_every_shape_are_redacted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.url("/v1/customers");
    let long = "x".repeat(300);
    let cases: Vec<(String, String, &str)> = vec![
        // (Authorization header, the secret that must not come back, what is shown)
        ("Bearer garbage".into(), "garbage".into(), "****"),
        ("Bearer hunter2password99".into(), "hunter2password".into(), "****rd99"),
        ("Bearer abc_defghijklmnop".into(), "abc_defghijkl".into(), "****mnop"),
        ("Bearer sk_test_wrongkey123".into(), "wrongkey".into(), "sk_test_****"),
        (
            "Bearer sk_live_abcdefgh1234".into(),
            "abcdefgh".into(),
            "sk_live_****1234",
        ),
        (
            "Bearer pk_test_abcdefghijkl".into(),
            "abcdefgh".into(),
            "pk_test_****ijkl",
        ),
        (format!("Bearer {long}"), "xxxxx".into(), "****xxxx"),
        (
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("supersecretvalue:")
            ),
            "supersecret".into(),
            "****alue",
        ),
        ("Basic my-password:".into(), "my-password".into(), "****"),
    ];
    for (header, secret, shown) in cases {
        let res = app
            .client
            .get(&url)
            .header(AUTHORIZATION, &header)
            .send()
            .await
            .unwrap();
        let (status, body) = json(res).await;
        assert_error(status, &body, 401, None, None);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!body.to_string().contains(&secret), "{header}: {message}");
        assert!(
            message.ends_with(&format!("Invalid API Key provided: {shown}")),
            "{header}: {message}"
        );
    }
}
