-- Ownership matches (the platform's input sealed: it is personal data too) and the audit
-- trail of refused attempts.

create table fc_ownership_matches (
    seq integer primary key autoincrement,
    id text not null unique,
    platform_id text not null,
    account_id text not null,
    created bigint not null,
    type text not null,
    customer_id text,
    ownership_id text not null,
    -- digest of (type, customer, owner_information): the quota counts distinct ones
    input_hash text not null,
    -- sealed JSON
    owner_information text not null,
    -- JSON: scores only, never the bank's data
    results text not null
);
create index fc_ownership_matches_by_account on fc_ownership_matches (platform_id, account_id, created);

create table audit_events (
    seq integer primary key autoincrement,
    platform_id text not null,
    created bigint not null,
    action text not null,
    subject text not null,
    request_id text,
    -- JSON without personal data
    detail text not null
);
create index audit_events_by_subject on audit_events (platform_id, subject, created);
