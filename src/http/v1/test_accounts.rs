//! `POST /v1/test_helpers/financial_connections/accounts`: a linked account with exactly the
//! bank data a test asks for, in one call. The account is created at the test institution
//! and linked through the same consent path as any other (session → bank login → consent).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::resolver::respond;
use crate::app_state::AppState;
use crate::domain::bank::account::{Category, Owner, Scenario, Subcategory, TestAccountSpec, TestTransaction};
use crate::domain::bank::test_account::TEST_INSTITUTION;
use crate::domain::page::{Cursor, PageRequest};
use crate::domain::refresh;
use crate::domain::session::{AccountHolder, Feature, NewSession, Permission, Session, SessionFilters};
use crate::http::error::{ApiError, ApiResult};
use crate::http::link::browser::{Browser, Decision};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::idempotency::Keyed;
use crate::http::stripe::params::Params;
use crate::http::stripe::params::lenient::Int;
use crate::store::link::AccountFilter;
use crate::wire::objects::account_json;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/test_helpers/financial_connections/accounts", post(create))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateParams {
    account_holder: HolderParam,
    permissions: Vec<Permission>,
    #[serde(default)]
    prefetch: Vec<PrefetchName>,
    institution: Option<String>,
    category: Option<String>,
    subcategory: Option<String>,
    display_name: Option<String>,
    #[serde(default)]
    owners: Vec<OwnerParam>,
    balance: Option<BalanceParam>,
    #[serde(default)]
    transactions: Vec<TransactionParam>,
    scenario: Option<String>,
    /// Seconds the account's refreshes stay pending before they run.
    refresh_delay: Option<Int>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolderParam {
    customer: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PrefetchName {
    Balances,
    Ownership,
    Transactions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerParam {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    raw_address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceParam {
    current: CurrencyAmount,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrencyAmount {
    usd: Int,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionParam {
    amount: Int,
    description: String,
    transacted_at: Int,
}

fn parse_enum<T>(
    value: Option<String>,
    default: T,
    param: &str,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> ApiResult<T> {
    match value {
        None => Ok(default),
        Some(v) => parse(&v).ok_or_else(|| {
            ApiError::invalid(
                "parameter_invalid",
                param,
                format!("Invalid {param}: must be one of {allowed}."),
            )
        }),
    }
}

fn spec_of(p: &mut CreateParams) -> ApiResult<TestAccountSpec> {
    let category = parse_enum(
        p.category.take(),
        Category::Cash,
        "category",
        Category::parse,
        "cash, credit, investment, other",
    )?;
    let default_sub = if category == Category::Credit {
        Subcategory::CreditCard
    } else {
        Subcategory::Checking
    };
    let subcategory = parse_enum(
        p.subcategory.take(),
        default_sub,
        "subcategory",
        Subcategory::parse,
        "checking, savings, credit_card, mortgage, line_of_credit, other",
    )?;
    let scenario = parse_enum(
        p.scenario.take(),
        Scenario::Normal,
        "scenario",
        Scenario::parse,
        "normal, refresh_fails, owners_missing_fields",
    )?;
    let owners = if p.owners.is_empty() {
        vec![Owner {
            name: "Jenny Rosen".into(),
            email: Some("jennyrosen@example.com".into()),
            phone: Some("+1 212-555-5555".into()),
            raw_address: Some("354 Oyster Point Blvd South San Francisco, CA 94080 USA".into()),
        }]
    } else {
        std::mem::take(&mut p.owners)
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                if o.name.trim().is_empty() {
                    return Err(ApiError::invalid(
                        "parameter_invalid_string_empty",
                        format!("owners[{i}][name]"),
                        "Each owner needs a name.",
                    ));
                }
                let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
                Ok(Owner {
                    name: o.name,
                    email: blank(o.email),
                    phone: blank(o.phone),
                    raw_address: blank(o.raw_address),
                })
            })
            .collect::<ApiResult<_>>()?
    };
    Ok(TestAccountSpec {
        display_name: p.display_name.take().unwrap_or_else(|| "Test Account".into()),
        category,
        subcategory,
        owners,
        current_balance: p.balance.as_ref().map(|b| b.current.usd.0).unwrap_or(10_000),
        transactions: std::mem::take(&mut p.transactions)
            .into_iter()
            .map(|t| TestTransaction {
                amount: t.amount.0,
                description: t.description,
                transacted_at: t.transacted_at.0,
            })
            .collect(),
        scenario,
    })
}

/// The account is made at the bank and linked through this server's own `/link` callback,
/// which commits it: no one transaction holds the bank and the link. With an
/// `Idempotency-Key` the helper notes the session it links through under the key before it
/// starts. If the process dies before the link commits, a retry starts afresh (the first
/// try's bank account and pending session stay unreferenced). If it dies after, the retry
/// finds the session's linked account and answers with it instead of linking a second one.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    keyed: Keyed,
    req: Params<CreateParams>,
) -> ApiResult<Json<Value>> {
    if let Some(session_id) = keyed.recovery()
        && let Some(account) = first_linked(&state, &caller, session_id).await?
    {
        return respond(&state, &caller, account_json(&account), &req.expand).await;
    }
    let mut p = req.params;
    if let Some(institution) = &p.institution
        && institution != TEST_INSTITUTION
    {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "institution",
            format!(
                "Test accounts are made at {TEST_INSTITUTION}; the other sandbox institutions have fixed users (see docs/banks.md)."
            ),
        ));
    }
    let customer = state
        .store
        .get_customer(&caller.platform_id, &p.account_holder.customer)
        .await?;
    if customer.is_none_or(|c| c.is_deleted()) {
        return Err(
            ApiError::no_such("customer", &p.account_holder.customer, "account_holder[customer]").with_status_400(),
        );
    }
    let delay = p.refresh_delay.map(|d| d.0).unwrap_or(0);
    if !(0..=86_400 * 30).contains(&delay) {
        return Err(ApiError::invalid(
            "parameter_invalid_integer",
            "refresh_delay",
            "refresh_delay must be between 0 and 2592000 seconds.",
        ));
    }
    let spec = spec_of(&mut p)?;
    let prefetch: Vec<Feature> = p
        .prefetch
        .into_iter()
        .map(|f| match f {
            PrefetchName::Balances => Feature::Balance,
            PrefetchName::Ownership => Feature::Ownership,
            PrefetchName::Transactions => Feature::Transactions,
        })
        .collect();
    // A delayed account links without prefetch and queues the same refreshes right after,
    // due later, so no worker can run them before the delay.
    let new = NewSession {
        account_holder: AccountHolder::Customer(p.account_holder.customer.clone()),
        permissions: p.permissions,
        prefetch: if delay > 0 { Vec::new() } else { prefetch.clone() },
        filters: SessionFilters::default(),
        account_limit: None,
        return_url: None,
    };
    let session = Session::create(&caller.platform_id, new, state.clock.now())?;
    let created = state.store.create_test_account(&spec, state.clock.now()).await?;
    state.store.insert_session(&session, None).await?;
    keyed.note_recovery(&state, &session.id).await?;
    let code = super::test_helpers::second_factor_code(&state, TEST_INSTITUTION, &created.username).await?;
    let browser = Browser::new(&state.public_url, &code).map_err(|e| e.into_api_error())?;
    let decision = Decision::Approve(Some(vec![created.account_id.clone()]));
    browser
        .link(
            &session.client_secret,
            TEST_INSTITUTION,
            &created.username,
            &created.password,
            decision,
        )
        .await
        .map_err(|e| e.into_api_error())?;
    let mut account = first_linked(&state, &caller, &session.id)
        .await?
        .ok_or_else(|| ApiError::internal(&"the test account was not linked"))?;
    if delay > 0 && !prefetch.is_empty() {
        let now = state.clock.now();
        let mut plan = |a: &mut crate::domain::account::LinkedAccount| refresh::request(a, &prefetch, now);
        let render = |a: &crate::domain::account::LinkedAccount| account_json(a);
        account = state
            .store
            .start_refresh(&caller.platform_id, &account.id, &mut plan, now + delay, &render, None)
            .await?
            .ok_or_else(|| ApiError::internal(&"the test account vanished"))?;
    }
    let body = account_json(&account);
    respond(&state, &caller, body, &req.expand).await
}

/// The account a session linked, if its link committed.
async fn first_linked(
    state: &AppState,
    caller: &Caller,
    session_id: &str,
) -> ApiResult<Option<crate::domain::account::LinkedAccount>> {
    let filter = AccountFilter {
        session_id: Some(session_id.to_owned()),
        ..AccountFilter::default()
    };
    let page = PageRequest {
        limit: 1,
        cursor: Cursor::Start,
    };
    let linked = state.store.list_accounts(&caller.platform_id, &filter, &page).await?;
    Ok(linked.data.into_iter().next())
}
