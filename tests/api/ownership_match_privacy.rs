//! Ownership Match never echoes the bank's owner data: random owners, many inputs and
//! errors, and no owner value in any answer (a property test).

use proptest::prelude::*;

use crate::harness::{Backend, TestApp, json};
use crate::ownership_match::{jenny, post_match};

/// Tokens that occur nowhere in sandbank's own messages: if one shows up in an answer, it
/// came from the bank's owner data.
fn token() -> impl Strategy<Value = String> {
    "[A-Z][a-z]{3}[0-9]{3}[a-z]{3}"
}

fn owner_data() -> impl Strategy<Value = (String, String, String, String)> {
    (token(), token(), token(), token(), 100u32..999, 1000u32..9999).prop_map(
        |(first, last, local, street, area, line)| {
            (
                format!("{first} {last}"),
                format!("{}@{}.example", local.to_lowercase(), last.to_lowercase()),
                format!("+1 {area} 555 {line}"),
                format!("{} {street} Ave Springfield, IL 62704 USA", area + 1000),
            )
        },
    )
}

#[test]
fn no_answer_ever_contains_the_banks_owner_data() {
    let _guard = crate::cleanup::TestGuard::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(async {
        let mut settings = crate::harness::settings_for(Backend::Sqlite).await;
        settings.ownership_match_limit = 1_000;
        TestApp::spawn_with(settings).await
    });
    let customer = runtime.block_on(jenny(&app));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 16,
        ..ProptestConfig::default()
    });
    runner
        .run(&(owner_data(), owner_data()), |(owner, provided)| {
            runtime.block_on(async {
                let form = [
                    ("account_holder[customer]", customer.as_str()),
                    ("permissions[]", "ownership"),
                    ("prefetch[]", "ownership"),
                    ("owners[0][name]", owner.0.as_str()),
                    ("owners[0][email]", owner.1.as_str()),
                    ("owners[0][phone]", owner.2.as_str()),
                    ("owners[0][raw_address]", owner.3.as_str()),
                ];
                let (_, account) = json(app.post("/v1/test_helpers/financial_connections/accounts", &form).await).await;
                app.drain_refreshes().await;
                let id = account["id"].as_str().unwrap();
                let near_name = format!("{}x", owner.0);
                let answers = vec![
                    post_match(
                        &app,
                        &[
                            ("financial_connections_account", id),
                            ("owner_information[name]", &provided.0),
                            ("owner_information[email]", &provided.1),
                            ("owner_information[phone]", &provided.2),
                        ],
                    )
                    .await
                    .1,
                    post_match(
                        &app,
                        &[
                            ("financial_connections_account", id),
                            ("owner_information[name]", &near_name),
                        ],
                    )
                    .await
                    .1,
                    post_match(&app, &[("financial_connections_account", id)]).await.1,
                    post_match(
                        &app,
                        &[
                            ("financial_connections_account", id),
                            ("owner_information[phone]", "12"),
                        ],
                    )
                    .await
                    .1,
                    post_match(
                        &app,
                        &[
                            ("financial_connections_account", id),
                            ("owner_information[address][line1]", &provided.3),
                        ],
                    )
                    .await
                    .1,
                ];
                for answer in answers {
                    let text = answer.to_string();
                    let secrets = [&owner.1, &owner.2, &owner.3];
                    for secret in secrets {
                        prop_assert!(!text.contains(secret.as_str()), "owner data {secret} in {text}");
                    }
                    // The near-miss echoes the provided name, which contains the owner's name:
                    // only the owner's name tokens on their own must never appear elsewhere.
                    if !text.contains(&near_name) {
                        prop_assert!(!text.contains(&owner.0), "owner name in {text}");
                    }
                }
                Ok(())
            })
        })
        .unwrap();
}
