//! The store contract, run against both backends through the `Store` trait alone.

use std::sync::Arc;

use sandbank::domain::customer::{Customer, CustomerChanges, CustomerFilter};
use sandbank::domain::fields::{Change, MetadataChange};
use sandbank::domain::idempotency::{
    IDEMPOTENCY_LOCK_SECS, IDEMPOTENCY_TTL_SECS, IdempotencyClaim, Reply, StoredResponse,
};
use sandbank::domain::page::{Cursor, PageRequest};
use sandbank::domain::platform::Platform;
use sandbank::store::{Store, StoreError};

use crate::both_stores;
use crate::harness::{Backend, settings_for};

both_stores!(
    customers_are_isolated_by_platform,
    concurrent_modifications_lose_no_update,
    idempotency_claims_follow_their_lifecycle,
    a_write_under_a_taken_over_claim_rolls_back,
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
    store.insert_customer(&c, None).await.unwrap();
    assert_eq!(store.get_customer("acct_a", &c.id).await.unwrap(), Some(c.clone()));
    assert_eq!(store.get_customer("acct_b", &c.id).await.unwrap(), None);
    assert!(!store.delete_customer("acct_b", &c.id, 11).await.unwrap());
    let mut rename = |x: &mut Customer| x.update(named("Mallory"));
    assert!(
        store
            .modify_customer("acct_b", &c.id, &mut rename, None)
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
    store.insert_customer(&c, None).await.unwrap();
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
                store
                    .modify_customer("acct_a", &id, &mut add, None)
                    .await
                    .unwrap()
                    .unwrap();
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
    let claimed = |c: IdempotencyClaim| match c {
        IdempotencyClaim::Claimed(claim) => claim,
        other => panic!("expected a claim, got {other:?}"),
    };
    let k = claimed(
        store
            .claim_idempotency_key("acct_a", "k", "fp1", false, t)
            .await
            .unwrap(),
    );
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "k", "fp1", false, t + 1)
            .await
            .unwrap(),
        IdempotencyClaim::InProgress
    );
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "k", "fp2", false, t + 1)
            .await
            .unwrap(),
        IdempotencyClaim::Mismatch
    );
    claimed(
        store
            .claim_idempotency_key("acct_b", "k", "fp2", false, t + 1)
            .await
            .unwrap(),
    );

    let response = StoredResponse {
        status: 200,
        body: b"{\"id\":\"cus_1\"}".to_vec(),
    };
    store.complete_idempotency_key(&k, &response).await.unwrap();
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "k", "fp1", false, t + 2)
            .await
            .unwrap(),
        IdempotencyClaim::Replay(response.clone())
    );
    // A completed key cannot be released.
    store.release_idempotency_key(&k).await.unwrap();
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "k", "fp1", false, t + 3)
            .await
            .unwrap(),
        IdempotencyClaim::Replay(response)
    );
    // After 24 hours the key is new again.
    claimed(
        store
            .claim_idempotency_key("acct_a", "k", "fp9", false, t + IDEMPOTENCY_TTL_SECS)
            .await
            .unwrap(),
    );

    // A claim whose process still runs is taken over only after its lock lapses; the old
    // holder can then record nothing.
    let old = claimed(
        store
            .claim_idempotency_key("acct_a", "dead", "fp", false, t)
            .await
            .unwrap(),
    );
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "dead", "fp", false, t + IDEMPOTENCY_LOCK_SECS - 1)
            .await
            .unwrap(),
        IdempotencyClaim::InProgress
    );
    let new = claimed(
        store
            .claim_idempotency_key("acct_a", "dead", "fp", false, t + IDEMPOTENCY_LOCK_SECS)
            .await
            .unwrap(),
    );
    let late = StoredResponse {
        status: 200,
        body: b"{}".to_vec(),
    };
    store.complete_idempotency_key(&old, &late).await.unwrap();
    store.release_idempotency_key(&old).await.unwrap();
    assert_eq!(
        store
            .claim_idempotency_key("acct_a", "dead", "fp", false, t + 61)
            .await
            .unwrap(),
        IdempotencyClaim::InProgress,
        "the old holder neither completed nor released the new claim"
    );

    // Released keys are free; purge forgets old ones.
    store.release_idempotency_key(&new).await.unwrap();
    claimed(
        store
            .claim_idempotency_key("acct_a", "dead", "other", false, t + 100)
            .await
            .unwrap(),
    );
    let purged = store.purge_idempotency_keys(t + 50).await.unwrap();
    assert!(purged >= 1);
}

/// A request presumed dead whose claim was taken over cannot commit: its write (and the answer
/// it would record) roll back, so the key keeps one effect.
async fn a_write_under_a_taken_over_claim_rolls_back(backend: Backend) {
    let store = open(backend).await;
    let t = 1_000_000;
    let IdempotencyClaim::Claimed(old) = store
        .claim_idempotency_key("acct_a", "k", "fp", false, t)
        .await
        .unwrap()
    else {
        panic!("a fresh key is claimed")
    };
    let IdempotencyClaim::Claimed(new) = store
        .claim_idempotency_key("acct_a", "k", "fp", false, t + IDEMPOTENCY_LOCK_SECS)
        .await
        .unwrap()
    else {
        panic!("a lapsed claim is taken over")
    };
    let render = |c: &Customer| serde_json::json!({ "id": c.id });
    let late = Customer::create("acct_a", named("late"), t).unwrap();
    let err = store
        .insert_customer(&late, Some(&Reply::new(&old, &render)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::KeyClaimLost), "{err:?}");
    assert!(
        store.get_customer("acct_a", &late.id).await.unwrap().is_none(),
        "rolled back"
    );

    let first = Customer::create("acct_a", named("first"), t).unwrap();
    store
        .insert_customer(&first, Some(&Reply::new(&new, &render)))
        .await
        .unwrap();
    match store
        .claim_idempotency_key("acct_a", "k", "fp", false, t + 61)
        .await
        .unwrap()
    {
        IdempotencyClaim::Replay(stored) => {
            let body: serde_json::Value = serde_json::from_slice(&stored.body).unwrap();
            assert_eq!(body["id"], first.id.as_str(), "the answer committed with the write");
        }
        other => panic!("expected the recorded answer, got {other:?}"),
    }
}

async fn unknown_cursors_are_reported(backend: Backend) {
    let store = open(backend).await;
    let c = Customer::create("acct_a", named("x"), 1).unwrap();
    store.insert_customer(&c, None).await.unwrap();
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
