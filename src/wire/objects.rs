//! Financial Connections objects in Stripe's wire shapes (`fc-subset.json`, preview fields
//! from `fc-preview-summary.json`).

use serde_json::{Value, json};

use crate::domain::account::{AccountStatus, LinkedAccount, Refresh};
use crate::domain::institution::Institution;
use crate::domain::ownership::{Owner, Ownership};
use crate::domain::session::{AccountHolder, Permission, Session, SessionStatus};
use crate::domain::transaction::Transaction;

pub fn account_holder_json(holder: &AccountHolder) -> Value {
    match holder {
        AccountHolder::Customer(id) => json!({ "type": "customer", "customer": id }),
        AccountHolder::Account(id) => json!({ "type": "account", "account": id }),
    }
}

fn refresh_json(refresh: &Option<Refresh>) -> Value {
    match refresh {
        None => Value::Null,
        Some(r) => serde_json::to_value(r).expect("refresh serialises"),
    }
}

pub fn account_json(a: &LinkedAccount) -> Value {
    let status_details = match (a.status, &a.inactive_cause) {
        (AccountStatus::Inactive, cause) => json!({
            "inactive": { "action": "relink_required", "cause": cause.as_deref().unwrap_or("unspecified") }
        }),
        _ => json!({}),
    };
    let numbers = a.permissions.contains(&Permission::PaymentMethod) && !a.supported_payment_method_types().is_empty();
    json!({
        "id": a.id,
        "object": "financial_connections.account",
        "account_holder": account_holder_json(&a.account_holder),
        "account_numbers": if numbers {
            json!([{ "identifier_type": "account_number", "status": "transactable", "supported_networks": ["ach"], "expected_expiry_date": null }])
        } else { Value::Null },
        "authorization": a.authorization_id,
        "balance": a.balance,
        "balance_refresh": refresh_json(&a.balance_refresh),
        "category": a.bank.category,
        "created": a.created,
        "display_name": a.bank.display_name,
        "institution": a.institution_id,
        "institution_name": a.bank.institution_name,
        "last4": a.bank.last4,
        "livemode": false,
        "ownership": a.ownership_id,
        "ownership_refresh": refresh_json(&a.ownership_refresh),
        "permissions": a.permissions,
        "status": a.status.as_str(),
        "status_details": status_details,
        "subcategory": a.bank.subcategory,
        "subscriptions": a.subscriptions,
        "supported_payment_method_types": a.supported_payment_method_types(),
        "transaction_refresh": refresh_json(&a.transaction_refresh),
    })
}

/// The session with its linked accounts; `url` only while the hosted flow can still be used.
pub fn session_json(s: &Session, accounts: Vec<Value>, hosted_url: &str) -> Value {
    let status_details = match s.status {
        SessionStatus::Cancelled => json!({ "cancelled": { "reason": "other" } }),
        SessionStatus::Failed => json!({ "failed": { "reason": s.failure_reason.as_deref().unwrap_or("other") } }),
        _ => Value::Null,
    };
    let mut session = json!({
        "id": s.id,
        "object": "financial_connections.session",
        "account_holder": account_holder_json(&s.account_holder),
        "accounts": {
            "object": "list",
            "data": accounts,
            "has_more": false,
            "url": "/v1/financial_connections/accounts",
        },
        "client_secret": s.client_secret,
        "filters": {
            "countries": s.filters.countries,
            "account_subcategories": s.filters.account_subcategories,
        },
        "limits": { "accounts": s.account_limit.unwrap_or(100) },
        "livemode": false,
        "permissions": s.permissions,
        "prefetch": s.prefetch.iter().map(|f| f.prefetch_name()).collect::<Vec<_>>(),
        "status": s.status.as_str(),
        "status_details": status_details,
        "url": if s.status == SessionStatus::Pending { Value::from(hosted_url) } else { Value::Null },
    });
    // Stripe's schema has `return_url` optional but never null: present only when set.
    if let Some(url) = &s.return_url {
        session["return_url"] = Value::from(url.as_str());
    }
    session
}

pub fn institution_json(i: &Institution) -> Value {
    let feature = |supported: bool| json!({ "supported": supported });
    json!({
        "id": i.id,
        "object": "financial_connections.institution",
        "countries": i.countries,
        "features": {
            "balances": feature(i.features.balances),
            "ownership": feature(i.features.ownership),
            "payment_method": feature(i.features.payment_method),
            "transactions": feature(i.features.transactions),
        },
        "livemode": false,
        "name": i.name,
        "routing_numbers": i.routing_numbers,
        "status": i.status,
        "url": i.url,
    })
}

pub fn owner_json(o: &Owner) -> Value {
    json!({
        "id": o.id,
        "object": "financial_connections.account_owner",
        "email": o.email,
        "name": o.name,
        "ownership": o.ownership_id,
        "phone": o.phone,
        "raw_address": o.raw_address,
        "refreshed_at": o.refreshed_at,
    })
}

/// Where an ownership's owners are listed (the SDKs page against it).
pub fn owners_url(account_id: &str) -> String {
    format!("/v1/financial_connections/accounts/{account_id}/owners")
}

/// An ownership with the first page of its owners, as `expand[]=ownership` shows it.
pub fn ownership_json(o: &Ownership, first_page: usize) -> Value {
    let owners: Vec<Value> = o.owners.iter().take(first_page).map(owner_json).collect();
    json!({
        "id": o.id,
        "object": "financial_connections.account_ownership",
        "created": o.created,
        "owners": {
            "object": "list",
            "data": owners,
            "has_more": o.owners.len() > first_page,
            "url": format!("{}?ownership={}", owners_url(&o.account_id), o.id),
        },
    })
}

pub fn transaction_json(t: &Transaction) -> Value {
    json!({
        "id": t.id,
        "object": "financial_connections.transaction",
        "account": t.account_id,
        "amount": t.amount,
        "currency": t.currency,
        "description": t.description,
        "livemode": false,
        "status": t.status,
        "status_transitions": { "posted_at": t.posted_at, "void_at": t.void_at },
        "transacted_at": t.transacted_at,
        "transaction_refresh": t.transaction_refresh,
        "updated": t.updated,
    })
}

/// The preview `financial_connections.authorization` (never its bank tokens).
pub fn authorization_json(a: &crate::domain::account::Authorization, holder: &AccountHolder) -> Value {
    json!({
        "id": a.id,
        "object": "financial_connections.authorization",
        "account_holder": account_holder_json(holder),
        "institution": a.institution_id,
        "institution_name": a.institution_name,
        "livemode": false,
        "status": a.status.as_str(),
        "status_details": {},
    })
}
