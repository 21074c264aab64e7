//! What a restricted key (`rk_test_…`) may do, as Stripe's restricted keys: per resource,
//! `read` or `write` (write includes read); anything not granted is refused.

use std::collections::BTreeMap;
use std::fmt;

/// The API resources a restricted key is granted on, by the name Stripe's permission strings
/// use (`rak_<resource>_<access>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Customer,
    FinancialConnectionsSession,
    FinancialConnectionsAccount,
    FinancialConnectionsTransaction,
    FinancialConnectionsOwnershipMatch,
    WebhookEndpoint,
    Event,
    TestHelpers,
}

impl Resource {
    pub const ALL: [Resource; 8] = [
        Resource::Customer,
        Resource::FinancialConnectionsSession,
        Resource::FinancialConnectionsAccount,
        Resource::FinancialConnectionsTransaction,
        Resource::FinancialConnectionsOwnershipMatch,
        Resource::WebhookEndpoint,
        Resource::Event,
        Resource::TestHelpers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Resource::Customer => "customer",
            Resource::FinancialConnectionsSession => "financial_connections_session",
            Resource::FinancialConnectionsAccount => "financial_connections_account",
            Resource::FinancialConnectionsTransaction => "financial_connections_transaction",
            Resource::FinancialConnectionsOwnershipMatch => "financial_connections_ownership_match",
            Resource::WebhookEndpoint => "webhook_endpoint",
            Resource::Event => "event",
            Resource::TestHelpers => "test_helpers",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The resource an API path acts on; `None` for paths outside `/v1` resources (the
    /// router answers those with its own 404).
    pub fn of_path(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("/v1/")?;
        let first = |prefix: &str| {
            rest.strip_prefix(prefix)
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('/'))
        };
        let table = [
            ("customers", Resource::Customer),
            ("financial_connections/sessions", Resource::FinancialConnectionsSession),
            ("financial_connections/accounts", Resource::FinancialConnectionsAccount),
            (
                "financial_connections/institutions",
                Resource::FinancialConnectionsAccount,
            ),
            (
                "financial_connections/transactions",
                Resource::FinancialConnectionsTransaction,
            ),
            (
                "financial_connections/ownership_match",
                Resource::FinancialConnectionsOwnershipMatch,
            ),
            (
                "financial_connections/ownership_matches",
                Resource::FinancialConnectionsOwnershipMatch,
            ),
            ("webhook_endpoints", Resource::WebhookEndpoint),
            ("events", Resource::Event),
            ("test_helpers", Resource::TestHelpers),
        ];
        table.into_iter().find(|(prefix, _)| first(prefix)).map(|(_, r)| r)
    }
}

/// What a test helper reads or changes besides its own `test_helpers` resource, by route:
/// a helper must not be a way around the permissions of the objects it touches. Routes are
/// matched segment by segment (`*` is an id); a helper route missing here is refused to
/// every restricted key, so a new helper cannot forget to say what it reaches.
const TEST_HELPER_REACH: &[(&str, &[(Resource, Access)])] = &[
    (
        // Links accounts through the hosted flow and answers the session with them.
        "financial_connections/sessions/*/complete",
        &[
            (Resource::FinancialConnectionsSession, Access::Write),
            (Resource::FinancialConnectionsAccount, Access::Write),
        ],
    ),
    (
        // Reads the customer, creates a session and an account, answers the account.
        "financial_connections/accounts",
        &[
            (Resource::Customer, Access::Read),
            (Resource::FinancialConnectionsSession, Access::Write),
            (Resource::FinancialConnectionsAccount, Access::Write),
        ],
    ),
    (
        // Writes events and answers them; with `account=` the events carry that account,
        // which the handler checks (it depends on the parameters).
        "events",
        &[(Resource::Event, Access::Write)],
    ),
    (
        // Answers the event and queues deliveries to the platform's endpoints.
        "events/*/resend",
        &[
            (Resource::Event, Access::Read),
            (Resource::WebhookEndpoint, Access::Write),
        ],
    ),
    (
        // Answers delivery attempts: the endpoint's record and the events' bodies.
        "webhook_endpoints/*/attempts",
        &[
            (Resource::WebhookEndpoint, Access::Read),
            (Resource::Event, Access::Read),
        ],
    ),
];

/// Everything a request to `path` with `method` needs of a restricted key: its own resource
/// at the method's access and, for a test helper, what the helper reaches. `None` when
/// the path names no `/v1` resource (the router answers it).
pub fn required_for(method: &str, path: &str) -> Option<Vec<(Resource, Access)>> {
    let resource = Resource::of_path(path)?;
    let mut needs = vec![(resource, Access::of_method(method))];
    if resource == Resource::TestHelpers {
        let route = path.trim_start_matches("/v1/test_helpers/").trim_end_matches('/');
        let reach = TEST_HELPER_REACH
            .iter()
            .find(|(pattern, _)| route_matches(pattern, route))
            .map(|(_, reach)| *reach);
        match reach {
            Some(reach) => needs.extend_from_slice(reach),
            // Unknown helper: only a secret key may call it (the router will 404 it anyway).
            None => needs.extend(Resource::ALL.iter().map(|r| (*r, Access::Write))),
        }
    }
    Some(needs)
}

fn route_matches(pattern: &str, route: &str) -> bool {
    let mut route_segments = route.split('/');
    pattern.split('/').all(|p| {
        route_segments
            .next()
            .is_some_and(|s| !s.is_empty() && (p == "*" || p == s))
    }) && route_segments.next().is_none()
}

/// Read lets a key retrieve and list; write also lets it create, update and delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    /// What an HTTP method needs: GET and HEAD read, everything else writes.
    pub fn of_method(method: &str) -> Self {
        if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
            Access::Read
        } else {
            Access::Write
        }
    }
}

/// A restricted key's grants. Stored as text: `customer:read,event:read`, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPermissions(BTreeMap<Resource, Access>);

/// Why a permission list could not be read; the text is meant for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionsError(pub String);

impl fmt::Display for PermissionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PermissionsError {}

impl KeyPermissions {
    /// Reads `resource:access` items, comma-separated or one per call to [`Self::grant`].
    /// A resource named twice keeps the wider access.
    pub fn parse(text: &str) -> Result<Self, PermissionsError> {
        let mut permissions = Self::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            permissions.grant(item)?;
        }
        if permissions.0.is_empty() {
            return Err(PermissionsError(
                "a restricted key needs at least one permission".into(),
            ));
        }
        Ok(permissions)
    }

    fn grant(&mut self, item: &str) -> Result<(), PermissionsError> {
        let (resource, access) = item
            .split_once(':')
            .ok_or_else(|| PermissionsError(format!("`{item}` is not `resource:read` or `resource:write`")))?;
        let resource = Resource::from_name(resource.trim()).ok_or_else(|| {
            let known: Vec<&str> = Resource::ALL.iter().map(|r| r.name()).collect();
            PermissionsError(format!("unknown resource `{resource}`; one of: {}", known.join(", ")))
        })?;
        let access = match access.trim() {
            "read" => Access::Read,
            "write" => Access::Write,
            other => return Err(PermissionsError(format!("unknown access `{other}`; `read` or `write`"))),
        };
        let entry = self.0.entry(resource).or_insert(access);
        *entry = (*entry).max(access);
        Ok(())
    }

    pub fn allows(&self, resource: Resource, access: Access) -> bool {
        self.0.get(&resource).is_some_and(|granted| *granted >= access)
    }
}

impl fmt::Display for KeyPermissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|(r, a)| format!("{}:{}", r.name(), a.name()))
            .collect();
        f.write_str(&items.join(","))
    }
}

/// Stripe's name for the permission a refused request lacked: `rak_customer_write`.
pub fn permission_name(resource: Resource, access: Access) -> String {
    format!("rak_{}_{}", resource.name(), access.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_includes_read_and_nothing_else_is_granted() {
        let p = KeyPermissions::parse("customer:write, event:read").unwrap();
        assert!(p.allows(Resource::Customer, Access::Read));
        assert!(p.allows(Resource::Customer, Access::Write));
        assert!(p.allows(Resource::Event, Access::Read));
        assert!(!p.allows(Resource::Event, Access::Write));
        assert!(!p.allows(Resource::WebhookEndpoint, Access::Read));
    }

    #[test]
    fn stored_text_round_trips_sorted_and_keeps_the_wider_grant() {
        let p = KeyPermissions::parse("event:read,customer:read,customer:write").unwrap();
        assert_eq!(p.to_string(), "customer:write,event:read");
        assert_eq!(KeyPermissions::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn bad_lists_are_refused_with_the_reason() {
        assert!(KeyPermissions::parse("").unwrap_err().0.contains("at least one"));
        assert!(KeyPermissions::parse("customer").unwrap_err().0.contains("customer"));
        assert!(
            KeyPermissions::parse("charges:read")
                .unwrap_err()
                .0
                .contains("unknown resource `charges`")
        );
        assert!(
            KeyPermissions::parse("customer:admin")
                .unwrap_err()
                .0
                .contains("`admin`")
        );
    }

    #[test]
    fn paths_map_to_their_resource() {
        let of = Resource::of_path;
        assert_eq!(of("/v1/customers"), Some(Resource::Customer));
        assert_eq!(of("/v1/customers/cus_1"), Some(Resource::Customer));
        assert_eq!(of("/v1/customersx"), None);
        assert_eq!(
            of("/v1/financial_connections/accounts/fca_1/owners"),
            Some(Resource::FinancialConnectionsAccount)
        );
        assert_eq!(
            of("/v1/financial_connections/ownership_match"),
            Some(Resource::FinancialConnectionsOwnershipMatch)
        );
        assert_eq!(
            of("/v1/financial_connections/ownership_matches/fcom_1"),
            Some(Resource::FinancialConnectionsOwnershipMatch)
        );
        assert_eq!(of("/v1/test_helpers/events"), Some(Resource::TestHelpers));
        assert_eq!(of("/v1/charges"), None);
        assert_eq!(of("/healthz"), None);
    }

    #[test]
    fn methods_map_to_access() {
        assert_eq!(Access::of_method("GET"), Access::Read);
        assert_eq!(Access::of_method("HEAD"), Access::Read);
        assert_eq!(Access::of_method("POST"), Access::Write);
        assert_eq!(Access::of_method("DELETE"), Access::Write);
        assert_eq!(permission_name(Resource::Customer, Access::Write), "rak_customer_write");
    }

    #[test]
    fn test_helpers_need_what_they_reach() {
        let needs = |m, p| required_for(m, p).unwrap();
        assert_eq!(
            needs("POST", "/v1/test_helpers/events/evt_1/resend"),
            vec![
                (Resource::TestHelpers, Access::Write),
                (Resource::Event, Access::Read),
                (Resource::WebhookEndpoint, Access::Write),
            ]
        );
        assert_eq!(
            needs("GET", "/v1/test_helpers/webhook_endpoints/we_1/attempts"),
            vec![
                (Resource::TestHelpers, Access::Read),
                (Resource::WebhookEndpoint, Access::Read),
                (Resource::Event, Access::Read),
            ]
        );
        assert_eq!(needs("POST", "/v1/test_helpers/events").len(), 2);
        // Ids fill one segment only; unknown helpers need everything.
        assert!(needs("POST", "/v1/test_helpers/events/a/b/resend").len() > 3);
        assert!(needs("POST", "/v1/test_helpers/events//resend").len() > 3);
        assert_eq!(needs("GET", "/v1/customers"), vec![(Resource::Customer, Access::Read)]);
        assert_eq!(required_for("GET", "/healthz"), None);
    }
}
