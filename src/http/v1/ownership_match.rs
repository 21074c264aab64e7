//! `POST /v1/financial_connections/ownership_match` (preview): scores a platform's owner
//! information against an account's ownership data, and `GET …/ownership_matches/{id}`.
//! Guarded against guessing: a quota of distinct inputs per bank account (over all its links), repeated inputs answered
//! from the stored match, and the bank's owner data never echoed.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::no_such_account;
use crate::app_state::AppState;
use crate::domain::customer::Customer;
use crate::domain::fields::Address;
use crate::domain::key_permissions::{Access, Resource};
use crate::domain::matching::{self, FieldResult, MatchType, OwnerInformation, OwnershipMatch};
use crate::domain::session::{AccountHolder, Permission};
use crate::http::error::{ApiError, ApiResult};
use crate::http::request_id::RequestId;
use crate::http::stripe::auth::Caller;
use crate::http::stripe::params::NoParams;
use crate::http::stripe::params::Params;
use crate::http::stripe::version::ApiVersion;
use crate::store::matching::{MatchRecord, Quota};

/// The preview flag requests must carry in `Stripe-Version`.
pub const BETA_FLAG: &str = "financial_connections_ownership_match_api_preview";
/// The quota's window: 24 hours.
const WINDOW_SECS: i64 = 24 * 60 * 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/financial_connections/ownership_match", post(create))
        .route("/v1/financial_connections/ownership_matches/{id}", get(retrieve))
}

fn require_beta(version: &ApiVersion) -> ApiResult<()> {
    if version.has_beta(BETA_FLAG, "v1") {
        return Ok(());
    }
    Err(ApiError::invalid(
        "beta_flag_required",
        "Stripe-Version",
        format!(
            "Ownership Match is in preview. Add the beta flag to your Stripe-Version header, e.g. \
             'Stripe-Version: {}; {BETA_FLAG}=v1'.",
            version.version
        ),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchParams {
    financial_connections_account: String,
    customer: Option<String>,
    owner_information: Option<InfoParam>,
    #[serde(rename = "type")]
    kind: Option<MatchType>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoParam {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<AddressParam>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressParam {
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

fn given(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl From<InfoParam> for OwnerInformation {
    fn from(p: InfoParam) -> Self {
        OwnerInformation {
            name: given(p.name),
            email: given(p.email),
            phone: given(p.phone),
            address: p.address.map(|a| Address {
                line1: given(a.line1),
                line2: given(a.line2),
                city: given(a.city),
                state: given(a.state),
                postal_code: given(a.postal_code),
                country: given(a.country),
            }),
        }
    }
}

fn from_customer(c: &Customer) -> OwnerInformation {
    OwnerInformation {
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        address: c.address.clone().filter(|a| a != &Address::default()),
    }
}

async fn customer_information(state: &AppState, caller: &Caller, id: &str) -> ApiResult<OwnerInformation> {
    // The match echoes the customer's details: a restricted key must be allowed to read them.
    caller.require(Resource::Customer, Access::Read)?;
    let customer = state.store.get_customer(&caller.platform_id, id).await?;
    let customer = customer
        .filter(|c| !c.is_deleted())
        .ok_or_else(|| ApiError::no_such("customer", id, "customer").with_status_400())?;
    let info = from_customer(&customer);
    if info == OwnerInformation::default() {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "customer",
            format!(
                "Customer {id} has no name, email, phone or address to match; update it, or pass owner_information."
            ),
        ));
    }
    Ok(info)
}

/// Works out which of the three modes a request uses, and the information it compares.
async fn owner_information(
    state: &AppState,
    caller: &Caller,
    p: &mut MatchParams,
    holder: &AccountHolder,
) -> ApiResult<(MatchType, Option<String>, OwnerInformation)> {
    match (p.owner_information.take(), p.customer.take(), p.kind) {
        (Some(_), Some(_), _) => Err(ApiError::invalid(
            "parameter_invalid",
            "customer",
            "Pass either customer or owner_information, not both.",
        )),
        (Some(_), None, Some(MatchType::Customer)) => Err(ApiError::invalid(
            "parameter_invalid",
            "type",
            "type is customer, but owner_information was given; use type=owner_information.",
        )),
        (Some(info), None, _) => {
            let info = OwnerInformation::from(info);
            matching::validate(&info, "owner_information")?;
            Ok((MatchType::OwnerInformation, None, info))
        }
        (None, _, Some(MatchType::OwnerInformation)) => Err(ApiError::missing_parameter("owner_information")),
        (None, Some(id), _) => Ok((
            MatchType::Customer,
            Some(id.clone()),
            customer_information(state, caller, &id).await?,
        )),
        (None, None, _) => match holder {
            AccountHolder::Customer(id) => Ok((
                MatchType::Customer,
                Some(id.clone()),
                customer_information(state, caller, id).await?,
            )),
            AccountHolder::Account(_) => Err(ApiError::invalid(
                "parameter_missing",
                "customer",
                "The account's holder is not a customer: pass customer or owner_information.",
            )),
        },
    }
}

/// The common case of a platform asking again with the same `owner_information`: answered
/// from the stored match in one query, before the account and ownership are loaded. Anything
/// else (a new input, another mode, an account that changed) takes the full path.
async fn repeated_direct_input(
    state: &AppState,
    caller: &Caller,
    p: &MatchParams,
) -> ApiResult<Option<OwnershipMatch>> {
    let (Some(info), None, None | Some(MatchType::OwnerInformation)) = (&p.owner_information, &p.customer, p.kind)
    else {
        return Ok(None);
    };
    let info = OwnerInformation::from(info.clone());
    if matching::validate(&info, "owner_information").is_err() {
        return Ok(None);
    }
    let fingerprint = matching::input_fingerprint(MatchType::OwnerInformation, None, &info);
    let since = state.clock.now() - WINDOW_SECS;
    Ok(state
        .store
        .find_match(
            &caller.platform_id,
            &p.financial_connections_account,
            &fingerprint,
            since,
        )
        .await?)
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    version: ApiVersion,
    request_id: Option<axum::Extension<RequestId>>,
    req: Params<MatchParams>,
) -> ApiResult<Json<Value>> {
    require_beta(&version)?;
    let mut p = req.params;
    let account_id = p.financial_connections_account.clone();
    if let Some(stored) = repeated_direct_input(&state, &caller, &p).await? {
        return Ok(Json(match_json(&stored)));
    }
    let account = state
        .store
        .get_account(&caller.platform_id, &account_id)
        .await?
        .ok_or_else(|| no_such_account(&account_id))?;
    if !account.permissions.contains(&Permission::Ownership) {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "financial_connections_account",
            format!(
                "Account {account_id} was not linked with the ownership permission; link it again with permissions[]=ownership."
            ),
        ));
    }
    let not_ready = || {
        ApiError::invalid(
            "ownership_data_unavailable",
            "financial_connections_account",
            format!(
                "Account {account_id} has no ownership data yet. Refresh it with features[]=ownership (or prefetch ownership) \
                 and wait for the financial_connections.account.refreshed_ownership event."
            ),
        )
    };
    let ownership_id = account.ownership_id.clone().ok_or_else(not_ready)?;
    let (kind, customer_id, info) = owner_information(&state, &caller, &mut p, &account.account_holder).await?;
    let now = state.clock.now();
    let fingerprint = matching::input_fingerprint(kind, customer_id.as_deref(), &info);
    let since = now - WINDOW_SECS;
    // A repeated input is answered from its stored match without scoring or locking. This is
    // also what makes a keyed match safe across a crash: a retry of a match that committed
    // finds it here (same input, same answer), and a match that never committed is made once.
    if let Some(stored) = state
        .store
        .find_match(&caller.platform_id, &account.id, &fingerprint, since)
        .await?
    {
        return Ok(Json(match_json(&stored)));
    }
    let ownership = state
        .store
        .get_ownership(&caller.platform_id, &ownership_id)
        .await?
        .ok_or_else(not_ready)?;
    let made = OwnershipMatch {
        id: OwnershipMatch::new_id(),
        platform_id: caller.platform_id.clone(),
        created: now,
        account_id: account.id.clone(),
        kind,
        results: matching::compare(&ownership.owners, &info),
        owner_information: info,
        customer_id,
        ownership_id,
    };
    let bank_account = account.bank_identity();
    let quota = Quota {
        bank_account: &bank_account,
        limit: state.ownership_match_limit,
        since,
        window_secs: WINDOW_SECS,
    };
    let request_id = request_id.map(|r| r.0.0.clone());
    match state
        .store
        .record_match(&made, &fingerprint, quota, request_id.as_deref())
        .await?
    {
        MatchRecord::Created(m) | MatchRecord::Existing(m) => Ok(Json(match_json(&m))),
        MatchRecord::QuotaExceeded { retry_after } => Err(ApiError::rate_limited(
            retry_after.max(1) as u64,
            format!(
                "Too many different ownership match inputs for the bank account of {account_id} (over all its links): at most {} per 24 hours. \
                 Repeating an earlier input is answered from its stored match.",
                state.ownership_match_limit
            ),
        )),
    }
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    version: ApiVersion,
    Path(id): Path<String>,
    _req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    require_beta(&version)?;
    let found = state.store.get_match(&caller.platform_id, &id).await?;
    let m = found.ok_or_else(|| ApiError::no_such("financial_connections.ownership_match", &id, "id"))?;
    Ok(Json(match_json(&m)))
}

fn field_json(r: &Option<FieldResult>) -> Value {
    match r {
        None => Value::Null,
        Some(r) => json!({ "match_score": r.match_score, "missing_data": r.missing_data }),
    }
}

/// The match in the preview's shape: the platform's input and scores, never the bank's data.
pub fn match_json(m: &OwnershipMatch) -> Value {
    let info = &m.owner_information;
    json!({
        "id": m.id,
        "object": "financial_connections.ownership_match",
        "created": m.created,
        "customer": m.customer_id,
        "financial_connections_account": m.account_id,
        "owner_information": {
            "name": info.name,
            "email": info.email,
            "phone": info.phone,
            "address": info.address,
        },
        "ownership": m.ownership_id,
        "results": {
            "name": field_json(&m.results.name),
            "email": field_json(&m.results.email),
            "phone": field_json(&m.results.phone),
            "address": field_json(&m.results.address),
        },
        "type": m.kind.as_str(),
    })
}
