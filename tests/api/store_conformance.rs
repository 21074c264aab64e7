//! The store contract, run against both backends through the `Store` trait alone.

use std::sync::Arc;

use sandbank::domain::customer::{Customer, CustomerChanges, CustomerFilter};
use sandbank::domain::fields::{Change, MetadataChange};
use sandbank::domain::idempotency::{IDEMPOTENCY_LOCK_SECS, IDEMPOTENCY_TTL_SECS, IdempotencyClaim, StoredResponse};
use sandbank::domain::page::{Cursor, PageRequest};
use sandbank::domain::platform::Platform;
use sandbank::store::{Store, StoreError};

use crate::both_stores;
use crate::harness::{Backend, settings_for};

both_stores!(
    customers_are_isolated_by_platform,
    concurrent_modifications_lose_no_update,
    idempotency_claims_follow_their_lifecycle,
    unknown_cursors_are_reported,
);

async fn open(backend: Backend) -> Arc<dyn Store> {
    let settings = settings_for(backend).await;
    let store = sandbank::startup::open_store(&settings).await.unwrap();
    for id in ["acct_a", "acct_b"] {
        store
            .insert_platform(&Platform {
                id: id.into(),
                name: id.into(),
                created: 1,
            })
            .await
            .unwrap();
    }
    store
}

fn named(name: &str) -> CustomerChanges {
    CustomerChanges {
        name: Change::Set(name.into()),
        ..CustomerChanges::default()
    }
}

async fn customers_are_isolated_by_platform(backend: Backend) {
    let store = open(backend).await;
    let c = Customer::create("acct_a", named("Jenny"), 10).unwrap();
    store.insert_customer(&c).await.unwrap();
    assert_eq!(store.get_customer("acct_a", &c.id).await.unwrap(), Some(c.clone()));
    assert_eq!(store.get_customer("acct_b", &c.id).await.unwrap(), None);
    assert!(!store.delete_customer("acct_b", &c.id, 11).await.unwrap());
    let mut rename = |x: &mut Customer| x.update(named("Mallory"));
    assert!(
        store
            .modify_customer("acct_b", &c.id, &mut rename)
            .await
            .unwrap()
            .is_none()
    );
    let page = PageRequest {
        limit: 10,
        cursor: Cursor::Start,
    };
    assert!(
        store
            .list_customers("acct_b", &CustomerFilter::default(), &page)
            .await
            .unwrap()
            .data
            .is_empty()
    );
    assert_eq!(
        store
            .get_customer("acct_a", &c.id)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("Jenny")
    );
}

async fn concurrent_modifications_lose_no_update(backend: Backend) {
    let store = open(backend).await;
    let c = Customer::create("acct_a", CustomerChanges::default(), 10).unwrap();
    store.insert_customer(&c).await.unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            let id = c.id.clone();
            tokio::spawn(async move {
                let mut add = |x: &mut Customer| {
                    let change = MetadataChange::Merge([(format!("k{i}"), Some("v".to_owned()))].into());
                    x.update(CustomerChanges {
                        metadata: change,
                        ..CustomerChanges::default()
                    })
                };
                store.modify_customer("acct_a", &id, &mut add).await.unwrap().unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let after = store.get_customer("acct_a", &c.id).await.unwrap().unwrap();
    assert_eq!(
        after.metadata.len(),
        12,
        "every concurrent change is kept: {:?}",
        after.metadata
    );
}

async fn idempotency_claims_follow_their_lifecycle(backend: Backend) {
    let store = open(backend).await;
    let t = 1_000_000;
    assert_eq!(
        store.claim_idempotency_key("acct_a", "k", "fp1", t).await.unwrap(),
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        store.claim_idempotency_key("acct_a", "k", "fp1", t + 1).await.unwrap(),
        IdempotencyClaim::InProgress
    );
    assert_eq!(
        store.claim_idempotency_key("acct_a", "k", "fp2", t + 1).await.unwrap(),
        IdempotencyClaim::Mismatch
    );
    assert_eq!(
        store.claim_idempotency_key("acct_b", "k", "fp2", t + 1).await.unwrap(),
        IdempotencyClaim::Claimed,
        "keys are per platform"
    );

    let response = StoredResponse {
        status: 200,
        body: b"{\"id\":\"cus_1\"}".to_vec(),
    };
    store.complete_idempotency_key("acct_a", "k", &response).await.unwrap();
    assert_eq!(
        store.claim_idempotency_key("acct_a", "k", "fp1", t + 2).await.unwrap(),
        IdempotencyClaim::Replay(response.clone())
    );
    // A completed key cannot be released.
    store.release_idempotency_key("acct_a", "k").await.unwrap();
    assert_eq!(
        store.claim_idempotency_key("acct_a", "k", "fp1", t + 3).await.unwrap(),
        IdempotencyClaim::Replay(response)
    );
    // After 24 hours the key is new again.
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "k", "fp9", t + IDEMPOTENCY_TTL_SECS)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );

    // A claim abandoned by a dead process is taken over after its lock lapses.
    assert_eq!(
        store.claim_idempotency_key("acct_a", "dead", "fp", t).await.unwrap(),
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "dead", "fp", t + IDEMPOTENCY_LOCK_SECS - 1)
            .await
            .unwrap(),
        IdempotencyClaim::InProgress
    );
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "dead", "fp", t + IDEMPOTENCY_LOCK_SECS)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );

    // Released keys are free; purge forgets old ones.
    store.release_idempotency_key("acct_a", "dead").await.unwrap();
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "dead", "other", t + 100)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    let purged = store.purge_idempotency_keys(t + 50).await.unwrap();
    assert!(purged >= 1);
}

async fn unknown_cursors_are_reported(backend: Backend) {
    let store = open(backend).await;
    let c = Customer::create("acct_a", named("x"), 1).unwrap();
    store.insert_customer(&c).await.unwrap();
    let page = PageRequest {
        limit: 10,
        cursor: Cursor::After(c.id.clone()),
    };
    let err = store
        .list_customers("acct_b", &CustomerFilter::default(), &page)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownCursor(id) if id == c.id),
        "another platform's id is no cursor"
    );
}
