//! `/v1/customers`: create, retrieve, update, list and delete.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::resolver::respond;
use crate::app_state::AppState;
use crate::domain::customer::{Customer, CustomerChanges, CustomerFilter};
use crate::domain::fields::{Address, Change};
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::idempotency::Keyed;
use crate::http::stripe::list::{ListQuery, RangeParam, cursor_error, list_object};
use crate::http::stripe::params::lenient::{Clearable, MetadataParam};
use crate::http::stripe::params::{NoParams, Params};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/customers", get(list).post(create))
        .route("/v1/customers/{customer}", get(retrieve).post(update).delete(delete))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerParams {
    #[serde(default)]
    name: Clearable<String>,
    #[serde(default)]
    email: Clearable<String>,
    #[serde(default)]
    phone: Clearable<String>,
    #[serde(default)]
    description: Clearable<String>,
    #[serde(default)]
    address: Clearable<AddressParam>,
    #[serde(default)]
    metadata: MetadataParam,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressParam {
    city: Option<String>,
    country: Option<String>,
    line1: Option<String>,
    line2: Option<String>,
    postal_code: Option<String>,
    state: Option<String>,
}

impl From<AddressParam> for Address {
    fn from(a: AddressParam) -> Self {
        let part = |v: Option<String>| v.filter(|s| !s.is_empty());
        Address {
            city: part(a.city),
            country: part(a.country),
            line1: part(a.line1),
            line2: part(a.line2),
            postal_code: part(a.postal_code),
            state: part(a.state),
        }
    }
}

impl From<CustomerParams> for CustomerChanges {
    fn from(p: CustomerParams) -> Self {
        let address = match p.address.0 {
            Change::Set(a) => Change::Set(Address::from(a)),
            Change::Clear => Change::Clear,
            Change::Keep => Change::Keep,
        };
        CustomerChanges {
            name: p.name.0,
            email: p.email.0,
            phone: p.phone.0,
            description: p.description.0,
            address,
            metadata: p.metadata.0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFilter {
    email: Option<String>,
    created: Option<RangeParam>,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    keyed: Keyed,
    req: Params<CustomerParams>,
) -> ApiResult<Json<Value>> {
    let customer = Customer::create(&caller.platform_id, req.params.into(), state.clock.now())?;
    state
        .store
        .insert_customer(&customer, keyed.reply(&customer_json).as_ref())
        .await?;
    respond(&state, &caller, customer_json(&customer), &req.expand).await
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let customer = state
        .store
        .get_customer(&caller.platform_id, &id)
        .await?
        .ok_or_else(|| no_such_customer(&id))?;
    if customer.is_deleted() {
        return Ok(Json(deleted_json(&customer.id)));
    }
    respond(&state, &caller, customer_json(&customer), &req.expand).await
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    keyed: Keyed,
    req: Params<CustomerParams>,
) -> ApiResult<Json<Value>> {
    let mut changes = Some(CustomerChanges::from(req.params));
    let mut apply = |c: &mut Customer| c.update(changes.take().unwrap_or_default());
    let customer = state
        .store
        .modify_customer(
            &caller.platform_id,
            &id,
            &mut apply,
            keyed.reply(&customer_json).as_ref(),
        )
        .await?
        .ok_or_else(|| no_such_customer(&id))?;
    respond(&state, &caller, customer_json(&customer), &req.expand).await
}

async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    _: Params<NoParams>,
) -> ApiResult<Json<Value>> {
    let now = state.clock.now();
    if !state.store.delete_customer(&caller.platform_id, &id, now).await? {
        return Err(no_such_customer(&id));
    }
    Ok(Json(deleted_json(&id)))
}

async fn list(State(state): State<AppState>, caller: Caller, query: ListQuery<ListFilter>) -> ApiResult<Json<Value>> {
    let filter = CustomerFilter {
        email: query.filter.email,
        created: query.filter.created.map(RangeParam::into_range),
    };
    let page = state
        .store
        .list_customers(&caller.platform_id, &filter, &query.page)
        .await
        .map_err(|e| cursor_error("customer", &query.page, e))?;
    let body = list_object("/v1/customers", page.map(|c| customer_json(&c)));
    respond(&state, &caller, body, &query.expand).await
}

fn no_such_customer(id: &str) -> ApiError {
    ApiError::no_such("customer", id, "id")
}

/// Stripe's deleted-object stub.
pub fn deleted_json(id: &str) -> Value {
    json!({ "id": id, "object": "customer", "deleted": true })
}

/// The customer in Stripe's shape. Billing fields sandbank does not model carry Stripe's
/// defaults for a new customer, so SDK models and schema validators see every field.
pub fn customer_json(c: &Customer) -> Value {
    json!({
        "id": c.id,
        "object": "customer",
        "address": c.address,
        "balance": 0,
        "created": c.created,
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": c.description,
        "discount": null,
        "email": c.email,
        "invoice_prefix": invoice_prefix(&c.id),
        "invoice_settings": {
            "custom_fields": null,
            "default_payment_method": null,
            "footer": null,
            "rendering_options": null
        },
        "livemode": false,
        "metadata": c.metadata,
        "name": c.name,
        "next_invoice_sequence": 1,
        "phone": c.phone,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null
    })
}

/// Stripe derives an 8-character uppercase prefix per customer; a digest of the id keeps it
/// stable across reads.
fn invoice_prefix(id: &str) -> String {
    hex::encode_upper(&Sha256::digest(id.as_bytes())[..4])
}
