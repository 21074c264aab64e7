//! The refresh lifecycle of a linked account's data: a request makes a feature `pending` and
//! queues a durable job; the job's completion makes it `succeeded` or `failed` and opens the
//! next refresh window. Pure rules: `now` is a parameter.

use super::account::{AccountStatus, LinkedAccount, Refresh, RefreshStatus};
use super::fields::Invalid;
use super::ids::{DEFAULT_TAIL, new_id};
use super::session::Feature;

/// A queued refresh of one feature of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshJob {
    pub id: String,
    pub platform_id: String,
    pub account_id: String,
    pub feature: Feature,
    /// Not before this time (a scenario can hold a refresh pending).
    pub run_after: i64,
    pub attempts: i64,
}

impl RefreshJob {
    pub fn new(account: &LinkedAccount, feature: Feature, run_after: i64) -> Self {
        Self {
            id: new_id("fcjob", DEFAULT_TAIL),
            platform_id: account.platform_id.clone(),
            account_id: account.id.clone(),
            feature,
            run_after,
            attempts: 0,
        }
    }
}

fn slot(account: &mut LinkedAccount, feature: Feature) -> &mut Option<Refresh> {
    match feature {
        Feature::Balance => &mut account.balance_refresh,
        Feature::Ownership => &mut account.ownership_refresh,
        Feature::Transactions => &mut account.transaction_refresh,
    }
}

pub fn refresh_of(account: &LinkedAccount, feature: Feature) -> Option<&Refresh> {
    match feature {
        Feature::Balance => account.balance_refresh.as_ref(),
        Feature::Ownership => account.ownership_refresh.as_ref(),
        Feature::Transactions => account.transaction_refresh.as_ref(),
    }
}

/// Checks a refresh request and marks the features pending. Returns the features that need a
/// job (one already pending needs none). Nothing changes unless every feature may refresh.
pub fn request(account: &mut LinkedAccount, features: &[Feature], now: i64) -> Result<Vec<Feature>, Invalid> {
    if account.status != AccountStatus::Active {
        return Err(Invalid::new(
            "account",
            format!(
                "Account {} is {}; its data can no longer be refreshed.",
                account.id,
                account.status.as_str()
            ),
        ));
    }
    for feature in features {
        if !account.permissions.contains(&feature.permission()) {
            return Err(Invalid::new(
                "features",
                format!(
                    "The {} feature needs the {} permission, which account {} was not linked with.",
                    feature.as_str(),
                    feature.permission().as_str(),
                    account.id
                ),
            ));
        }
        if let Some(r) = refresh_of(account, *feature)
            && r.status != RefreshStatus::Pending
            && let Some(next) = r.next_refresh_available_at
            && next > now
        {
            return Err(Invalid::new(
                "features",
                format!(
                    "The {} of account {} can be refreshed again at {next} (in {} s).",
                    feature.as_str(),
                    account.id,
                    next - now
                ),
            ));
        }
    }
    let mut queued = Vec::new();
    for feature in features {
        if refresh_of(account, *feature).is_some_and(|r| r.status == RefreshStatus::Pending) {
            continue;
        }
        let id = (*feature == Feature::Transactions).then(|| new_id("fctxnref", DEFAULT_TAIL));
        *slot(account, *feature) = Some(Refresh {
            status: RefreshStatus::Pending,
            last_attempted_at: now,
            next_refresh_available_at: None,
            id,
        });
        queued.push(*feature);
    }
    Ok(queued)
}

/// Marks a finished refresh and opens the next window `cooldown` seconds on.
pub fn finish(account: &mut LinkedAccount, feature: Feature, succeeded: bool, now: i64, cooldown: i64) {
    let id = refresh_of(account, feature).and_then(|r| r.id.clone());
    *slot(account, feature) = Some(Refresh {
        status: if succeeded {
            RefreshStatus::Succeeded
        } else {
            RefreshStatus::Failed
        },
        last_attempted_at: now,
        next_refresh_available_at: Some(now + cooldown),
        id,
    });
}

/// The account lost its bank consent: inactive, and every pending refresh failed.
pub fn deactivate(account: &mut LinkedAccount, cause: &str, now: i64) {
    account.status = AccountStatus::Inactive;
    account.inactive_cause = Some(cause.to_owned());
    for feature in Feature::ALL {
        if refresh_of(account, feature).is_some_and(|r| r.status == RefreshStatus::Pending) {
            finish(account, feature, false, now, 0);
        }
    }
}

/// The event type announcing a finished refresh of `feature`.
pub fn event_type(feature: Feature) -> &'static str {
    match feature {
        Feature::Balance => "financial_connections.account.refreshed_balance",
        Feature::Ownership => "financial_connections.account.refreshed_ownership",
        Feature::Transactions => "financial_connections.account.refreshed_transactions",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::BankAccountInfo;
    use crate::domain::session::{AccountHolder, Permission};

    fn account(permissions: Vec<Permission>) -> LinkedAccount {
        LinkedAccount {
            id: "fca_1".into(),
            platform_id: "acct".into(),
            created: 0,
            session_id: "s".into(),
            authorization_id: "a".into(),
            institution_id: "i".into(),
            account_holder: AccountHolder::Customer("cus".into()),
            bank: BankAccountInfo {
                id: "b".into(),
                display_name: None,
                institution_name: "x".into(),
                category: "cash".into(),
                subcategory: "checking".into(),
                last4: None,
            },
            permissions,
            status: AccountStatus::Active,
            inactive_cause: None,
            balance: None,
            balance_refresh: None,
            ownership_id: None,
            ownership_refresh: None,
            transaction_refresh: None,
            subscriptions: vec![],
        }
    }

    #[test]
    fn lifecycle_pending_then_succeeded_then_cooldown() {
        let mut a = account(vec![Permission::Ownership]);
        assert_eq!(
            request(&mut a, &[Feature::Ownership], 100).unwrap(),
            vec![Feature::Ownership]
        );
        assert_eq!(a.ownership_refresh.as_ref().unwrap().status, RefreshStatus::Pending);
        assert_eq!(
            request(&mut a, &[Feature::Ownership], 101).unwrap(),
            vec![],
            "already pending: no second job"
        );
        finish(&mut a, Feature::Ownership, true, 110, 60);
        let r = a.ownership_refresh.clone().unwrap();
        assert_eq!(
            (r.status, r.last_attempted_at, r.next_refresh_available_at),
            (RefreshStatus::Succeeded, 110, Some(170))
        );
        assert_eq!(
            request(&mut a, &[Feature::Ownership], 169).unwrap_err().param,
            "features"
        );
        assert!(request(&mut a, &[Feature::Ownership], 170).is_ok());
    }

    #[test]
    fn permission_and_status_are_required() {
        let mut a = account(vec![Permission::Balances]);
        let before = a.clone();
        assert_eq!(
            request(&mut a, &[Feature::Balance, Feature::Ownership], 1)
                .unwrap_err()
                .param,
            "features"
        );
        assert_eq!(a, before, "nothing changes when one feature is refused");
        deactivate(&mut a, "access_denied", 2);
        assert_eq!(request(&mut a, &[Feature::Balance], 3).unwrap_err().param, "account");
    }

    #[test]
    fn transaction_refreshes_carry_an_id() {
        let mut a = account(vec![Permission::Transactions]);
        request(&mut a, &[Feature::Transactions], 1).unwrap();
        assert!(
            a.transaction_refresh
                .as_ref()
                .unwrap()
                .id
                .as_deref()
                .unwrap()
                .starts_with("fctxnref_")
        );
    }
}
