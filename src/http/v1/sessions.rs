//! `/v1/financial_connections/sessions`: what a platform asks to collect; the hosted flow at
//! `url` (see `http::link`) collects it.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::resolver::respond;
use crate::app_state::AppState;
use crate::domain::page::{Cursor, PageRequest};
use crate::domain::session::{AccountHolder, Feature, NewSession, Permission, SUBCATEGORIES, Session, SessionFilters};
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::idempotency::Keyed;
use crate::http::stripe::params::NoParams;
use crate::http::stripe::params::Params;
use crate::http::stripe::params::lenient::{Clearable, Int};
use crate::store::link::AccountFilter;
use crate::wire::objects::{account_json, session_json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/financial_connections/sessions", post(create))
        .route("/v1/financial_connections/sessions/{session}", get(retrieve))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateParams {
    account_holder: HolderParam,
    permissions: Vec<Permission>,
    #[serde(default)]
    prefetch: Vec<PrefetchParam>,
    filters: Option<FiltersParam>,
    limits: Option<LimitsParam>,
    return_url: Option<String>,
    manual_entry: Option<ManualEntryParam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolderParam {
    #[serde(rename = "type")]
    kind: HolderType,
    customer: Option<String>,
    account: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HolderType {
    Customer,
    Account,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PrefetchParam {
    Balances,
    Ownership,
    Transactions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FiltersParam {
    countries: Option<Vec<String>>,
    account_subcategories: Option<Vec<String>>,
    require_payment_method_support: Option<PaymentMethodSupport>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PaymentMethodSupport {
    All,
    AtLeastOne,
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsParam {
    #[serde(default)]
    accounts: Clearable<Int>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualEntryParam {
    #[allow(dead_code)]
    mode: Option<ManualEntryMode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ManualEntryMode {
    Automatic,
    Disabled,
}

impl From<PrefetchParam> for Feature {
    fn from(p: PrefetchParam) -> Self {
        match p {
            PrefetchParam::Balances => Feature::Balance,
            PrefetchParam::Ownership => Feature::Ownership,
            PrefetchParam::Transactions => Feature::Transactions,
        }
    }
}

/// Checks the parameters that need the store or a closed list, and builds the request.
async fn new_session(state: &AppState, caller: &Caller, p: CreateParams) -> ApiResult<NewSession> {
    let account_holder = match p.account_holder.kind {
        HolderType::Customer => {
            let id = p
                .account_holder
                .customer
                .ok_or_else(|| ApiError::missing_parameter("account_holder[customer]"))?;
            let customer = state.store.get_customer(&caller.platform_id, &id).await?;
            if customer.is_none_or(|c| c.is_deleted()) {
                return Err(ApiError::no_such("customer", &id, "account_holder[customer]").with_status_400());
            }
            AccountHolder::Customer(id)
        }
        HolderType::Account => {
            let id = p
                .account_holder
                .account
                .ok_or_else(|| ApiError::missing_parameter("account_holder[account]"))?;
            if !id.starts_with("acct_") {
                return Err(ApiError::invalid(
                    "parameter_invalid",
                    "account_holder[account]",
                    "Invalid account_holder[account]: must be a connected account id (acct_…).",
                ));
            }
            AccountHolder::Account(id)
        }
    };
    // The sandbox's banks all link by OAuth; manual entry is accepted and has nothing to do.
    let _manual_entry = p.manual_entry;
    let filters = p.filters.map(validate_filters).transpose()?.unwrap_or_default();
    let account_limit = match p.limits.map(|l| l.accounts.0) {
        Some(crate::domain::fields::Change::Set(Int(n))) => Some(u32::try_from(n).unwrap_or(0)),
        _ => None,
    };
    Ok(NewSession {
        account_holder,
        permissions: p.permissions,
        prefetch: p.prefetch.into_iter().map(Feature::from).collect(),
        filters,
        account_limit,
        return_url: p.return_url.filter(|u| !u.is_empty()),
    })
}

fn validate_filters(f: FiltersParam) -> ApiResult<SessionFilters> {
    let _ = f.require_payment_method_support;
    if let Some(countries) = &f.countries {
        for (i, c) in countries.iter().enumerate() {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(ApiError::invalid(
                    "parameter_invalid",
                    format!("filters[countries][{i}]"),
                    format!("Invalid country: {c}. Use ISO 3166-1 alpha-2 codes such as US."),
                ));
            }
        }
    }
    if let Some(subs) = &f.account_subcategories {
        for (i, s) in subs.iter().enumerate() {
            if !SUBCATEGORIES.contains(&s.as_str()) {
                return Err(ApiError::invalid(
                    "parameter_invalid",
                    format!("filters[account_subcategories][{i}]"),
                    format!(
                        "Invalid account subcategory: {s}. Must be one of {}.",
                        SUBCATEGORIES.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(SessionFilters {
        countries: f.countries,
        account_subcategories: f.account_subcategories,
    })
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    keyed: Keyed,
    req: Params<CreateParams>,
) -> ApiResult<Json<Value>> {
    let new = new_session(&state, &caller, req.params).await?;
    let session = Session::create(&caller.platform_id, new, state.clock.now())?;
    // A new session has no accounts yet: its answer is known before the insert.
    let url = hosted_url(&state, &session);
    let render = move |s: &Session| session_json(s, Vec::new(), &url);
    state
        .store
        .insert_session(&session, keyed.reply(&render).as_ref())
        .await?;
    respond_session(&state, &caller, &session, &req.expand).await
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let session = state
        .store
        .get_session(&caller.platform_id, &id)
        .await?
        .ok_or_else(|| ApiError::no_such("financial_connections.session", &id, "session"))?;
    respond_session(&state, &caller, &session, &req.expand).await
}

/// The session as the API shows it, with its accounts and hosted URL.
pub async fn render_session(state: &AppState, session: &Session) -> ApiResult<Value> {
    let filter = AccountFilter {
        session_id: Some(session.id.clone()),
        ..AccountFilter::default()
    };
    let page = PageRequest {
        limit: 100,
        cursor: Cursor::Start,
    };
    let accounts = state.store.list_accounts(&session.platform_id, &filter, &page).await?;
    let url = hosted_url(state, session);
    Ok(session_json(
        session,
        accounts.data.iter().map(account_json).collect(),
        &url,
    ))
}

/// Where the user goes to link accounts: the client secret is the capability.
pub fn hosted_url(state: &AppState, session: &Session) -> String {
    format!("{}/link/{}", state.public_url, session.client_secret)
}

async fn respond_session(
    state: &AppState,
    caller: &Caller,
    session: &Session,
    expand: &[String],
) -> ApiResult<Json<Value>> {
    let body = render_session(state, session).await?;
    respond(state, caller, body, expand).await
}
