//! Sign-in limits at the banks (docs/banks.md, "Sign-in limits"): failures back off and then
//! lock per user and per client address across requests, on every page that checks a
//! password or code; unknown users cost the same Argon2 work; a TOTP code passes once; the
//! fixed code can be turned off. Time only moves when a test moves the app's clock.

use reqwest::Client;
use sandbank::clock::Clock;
use sandbank::domain::bank::password;
use sandbank::domain::bank::throttle::{ADDRESS, USER};
use sandbank::domain::bank::totp;

use crate::bank_support::*;
use crate::both_stores;
use crate::harness::{Backend, TestApp, json, settings_for};
use crate::sessions::{create_session, customer_id};

both_stores!(
    wrong_passwords_over_many_requests_lock_the_user,
    a_completed_sign_in_clears_the_users_failures,
    connected_apps_sign_in_is_limited_with_the_same_counter,
    wrong_codes_count_like_wrong_passwords,
    one_address_guessing_many_users_is_limited,
    unknown_users_cost_the_same_argon2_work,
    a_totp_code_passes_only_once,
    the_fixed_code_can_be_turned_off,
    concurrent_guesses_do_not_slip_past_the_back_off,
);

/// A fresh authorization request at the login page.
async fn new_request(app: &TestApp, b: &Client, client: &OAuthClient) -> String {
    let (_, challenge) = pkce();
    let res = start(app, b, client, "accounts", &challenge).await;
    assert_eq!(res.status(), 303);
    param(&location(&res), "request").unwrap()
}

/// One login attempt on a fresh request: the status, `Retry-After` and page.
async fn try_password(app: &TestApp, client: &OAuthClient, user: &str, password: &str) -> (u16, Option<i64>, String) {
    let b = browser();
    let request = new_request(app, &b, client).await;
    let res = post_form(
        app,
        &b,
        SANDBANK,
        "/login",
        &[("request", &request), ("username", user), ("password", password)],
    )
    .await;
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, res.text().await.unwrap())
}

/// Fails `n` times from the first free attempt, waiting out each back-off on the clock.
async fn fail_times(app: &TestApp, client: &OAuthClient, user: &str, n: i64) {
    for i in 0..n {
        let (status, retry, html) = try_password(app, client, user, "wrong").await;
        if status == 429 {
            app.clock.advance(retry.unwrap());
            let (status, _, html) = try_password(app, client, user, "wrong").await;
            assert_eq!(status, 401, "failure {i} after the wait: {html}");
        } else {
            assert_eq!(status, 401, "failure {i}: {html}");
        }
    }
}

async fn wrong_passwords_over_many_requests_lock_the_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    // The free failures, one request each.
    fail_times(&app, &client, "jenny", USER.free).await;
    // Then a back-off: the next attempt, even with the right password, must wait.
    let (status, retry, html) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!(status, 429, "{html}");
    assert_eq!(retry, Some(1));
    assert!(html.contains("Too many failed attempts"), "{html}");
    assert!(!html.contains("id=\"login\""), "no form while waiting");
    // Waiting out each back-off, up to the lock.
    fail_times(&app, &client, "jenny", USER.lock_after - USER.free).await;
    let (status, retry, html) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!(status, 429, "locked: {html}");
    assert_eq!(retry, Some(USER.lock_secs));
    assert!(
        html.contains("Sign-in locked") && html.contains("Try again in 15 minutes"),
        "{html}"
    );
    // Still locked one second before the end, whatever the password.
    app.clock.advance(USER.lock_secs - 1);
    let (status, retry, _) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!((status, retry), (429, Some(1)));
    // Then the right password goes through again.
    app.clock.advance(1);
    let (status, _, html) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!(status, 303, "{html}");
    // Another user was never affected.
    let (status, _, _) = try_password(&app, &client, "mark", "password123").await;
    assert_eq!(status, 303);
}

async fn a_completed_sign_in_clears_the_users_failures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    fail_times(&app, &client, "jenny", USER.free).await;
    app.clock.advance(USER.wait_secs(USER.free));
    // Password and second factor: the sign-in is complete.
    let (_, challenge) = pkce();
    to_consent(&app, &browser(), &client, "jenny", "accounts", &challenge).await;
    // The count starts again: the free failures are free again, none waits.
    for i in 0..USER.free {
        let (status, _, html) = try_password(&app, &client, "jenny", "wrong").await;
        assert_eq!(status, 401, "failure {i} after a completed sign-in: {html}");
    }
}

async fn connected_apps_sign_in_is_limited_with_the_same_counter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let sign_in = |password: &'static str| {
        let app = &app;
        async move {
            let res = post_form(
                app,
                &browser(),
                SANDBANK,
                "/connected-apps/login",
                &[("username", "jenny"), ("password", password), ("code", "000000")],
            )
            .await;
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    for _ in 0..USER.free {
        assert_eq!(sign_in("wrong").await.0, 401);
    }
    let (status, html) = sign_in("password123").await;
    assert_eq!(status, 429, "connected apps backs off: {html}");
    // The consent login shares the user's counter.
    let (status, _, _) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!(status, 429);
    app.clock.advance(USER.wait_secs(USER.free));
    assert_eq!(sign_in("password123").await.0, 303);
}

async fn wrong_codes_count_like_wrong_passwords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let mut b = browser();
    let mut request = String::new();
    // Four wrong codes per request (the fifth would end it), across requests.
    for i in 0..USER.free {
        if i % 4 == 0 {
            b = browser();
            request = new_request(&app, &b, &client).await;
            assert_eq!(log_in(&app, &b, SANDBANK, &request, "jenny").await.status(), 303);
        }
        let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "999999")]).await;
        assert_eq!(res.status(), 401, "wrong code {i}");
    }
    // The right code now waits too, and so does the password page.
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "000000")]).await;
    assert_eq!(res.status(), 429);
    let (status, _, _) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!(status, 429);
    app.clock.advance(USER.wait_secs(USER.free));
    let res = post_form(&app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", "000000")]).await;
    assert_eq!(res.status(), 303);
}

async fn one_address_guessing_many_users_is_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    // Each username is tried once (no user limit is reached), all from 127.0.0.1.
    for i in 0..ADDRESS.free {
        let (status, _, _) = try_password(&app, &client, &format!("guess{i}"), "password123").await;
        assert_eq!(status, 401, "guess {i}");
    }
    let (status, retry, html) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!(status, 429, "{html}");
    assert_eq!(retry, Some(1));
    // Another address (127.0.0.2 is loopback too) is not held back: the count is per peer.
    let elsewhere = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let request = new_request(&app, &elsewhere, &client).await;
    assert_eq!(
        log_in(&app, &elsewhere, SANDBANK, &request, "jenny").await.status(),
        303
    );
    app.clock.advance(1);
    let (status, _, _) = try_password(&app, &client, "jenny", "password123").await;
    assert_eq!(status, 303);
}

/// Structural, not timed: the server runs one Argon2 verification per attempt, known user
/// or not (nextest runs each test in its own process, so the count is this test's alone).
async fn unknown_users_cost_the_same_argon2_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    for user in ["jenny", "nobody-at-all"] {
        let before = password::verifications();
        let (status, _, _) = try_password(&app, &client, user, "wrong").await;
        assert_eq!(status, 401);
        assert_eq!(password::verifications() - before, 1, "{user}: one Argon2 verification");
    }
    // Connected apps too.
    let before = password::verifications();
    let res = post_form(
        &app,
        &browser(),
        SANDBANK,
        "/connected-apps/login",
        &[("username", "nobody-at-all"), ("password", "x"), ("code", "000000")],
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(password::verifications() - before, 1);
}

/// Jenny's current TOTP on a fresh request's second-factor page.
async fn second_factor(app: &TestApp, client: &OAuthClient, code: &str) -> u16 {
    let b = browser();
    let request = new_request(app, &b, client).await;
    assert_eq!(log_in(app, &b, SANDBANK, &request, "jenny").await.status(), 303);
    post_form(app, &b, SANDBANK, "/mfa", &[("request", &request), ("code", code)])
        .await
        .status()
        .as_u16()
}

async fn a_totp_code_passes_only_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let code = totp::code_at(JENNY_TOTP, app.clock.now()).unwrap();
    assert_eq!(second_factor(&app, &client, &code).await, 303);
    assert_eq!(second_factor(&app, &client, &code).await, 401, "the same code again");
    // Still within its window 30 s later, but used.
    app.clock.advance(totp::STEP_SECS);
    assert_eq!(second_factor(&app, &client, &code).await, 401);
    // The next step's code passes once.
    let next = totp::code_at(JENNY_TOTP, app.clock.now()).unwrap();
    assert_eq!(second_factor(&app, &client, &next).await, 303);
    // The fixed sandbox code is not a TOTP and stays reusable by default.
    assert_eq!(second_factor(&app, &client, "000000").await, 303);
    assert_eq!(second_factor(&app, &client, "000000").await, 303);
    // Connected apps: the same rule.
    let code = totp::code_at(JENNY_TOTP, app.clock.now() + totp::STEP_SECS).unwrap();
    for want in [303, 401] {
        let res = post_form(
            &app,
            &browser(),
            SANDBANK,
            "/connected-apps/login",
            &[("username", "jenny"), ("password", "password123"), ("code", &code)],
        )
        .await;
        assert_eq!(res.status(), want);
    }
}

async fn the_fixed_code_can_be_turned_off(backend: Backend) {
    let mut settings = settings_for(backend).await;
    settings.bank_fixed_code = false;
    let app = TestApp::spawn_with(settings).await;
    let client = client_at(&app, SANDBANK).await;
    assert_eq!(second_factor(&app, &client, "000000").await, 401);
    let code = totp::code_at(JENNY_TOTP, app.clock.now()).unwrap();
    assert_eq!(second_factor(&app, &client, &code).await, 303);
    // The test helper then types the user's real codes, a fresh one each time (a 30 s step
    // apart: one user has at most three unused codes in the ±1 step window).
    let customer = customer_id(&app).await;
    for _ in 0..2 {
        app.clock.advance(totp::STEP_SECS);
        let s = create_session(&app, &customer, &[]).await;
        let path = format!(
            "/v1/test_helpers/financial_connections/sessions/{}/complete",
            s["id"].as_str().unwrap()
        );
        let (status, done) = json(app.post(&path, &[]).await).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["status"], "succeeded");
    }
}

/// Twenty wrong passwords for one user sent at once: each attempt is counted before its
/// password is checked, so at most the free failures are actually tried; the rest wait.
async fn concurrent_guesses_do_not_slip_past_the_back_off(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = client_at(&app, SANDBANK).await;
    let mut ready = Vec::new();
    for _ in 0..20 {
        let b = browser();
        let request = new_request(&app, &b, &client).await;
        ready.push((b, request));
    }
    let url = bank_url(&app, SANDBANK, "/login");
    let mut set = tokio::task::JoinSet::new();
    for (b, request) in ready {
        let url = url.clone();
        set.spawn(async move {
            let form = [
                ("request", request.as_str()),
                ("username", "jenny"),
                ("password", "wrong"),
            ];
            b.post(url).form(&form).send().await.unwrap().status().as_u16()
        });
    }
    let statuses = set.join_all().await;
    let tried = statuses.iter().filter(|s| **s == 401).count() as i64;
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(
        (1..=USER.free).contains(&tried),
        "{tried} passwords tried at once: {statuses:?}"
    );
}
