-- Refresh jobs and what they fetch: ownership snapshots with their owners (personal data
-- sealed), transactions, and the refreshes that brought them.

create table fc_refresh_jobs (
    seq integer primary key autoincrement,
    id text not null unique,
    platform_id text not null,
    account_id text not null,
    feature text not null,
    -- not before (unix seconds, the app clock)
    run_after bigint not null,
    -- the worker holding it, until when; a lapsed claim is taken again
    claimed_by text,
    claimed_until bigint,
    attempts bigint not null default 0,
    created bigint not null
);
create index fc_refresh_jobs_due on fc_refresh_jobs (run_after);

create table fc_ownerships (
    id text primary key,
    platform_id text not null,
    account_id text not null,
    created bigint not null
);

create table fc_owners (
    seq integer primary key autoincrement,
    id text not null unique,
    ownership_id text not null references fc_ownerships (id),
    platform_id text not null,
    -- sealed personal data
    name text not null,
    email text,
    phone text,
    raw_address text,
    refreshed_at bigint not null
);
create index fc_owners_by_ownership on fc_owners (ownership_id, seq);

create table fc_transaction_refreshes (
    seq integer primary key autoincrement,
    id text not null unique,
    account_id text not null,
    created bigint not null
);

create table fc_transactions (
    seq integer primary key autoincrement,
    id text not null unique,
    platform_id text not null,
    account_id text not null,
    bank_id text not null,
    amount bigint not null,
    currency text not null,
    description text not null,
    status text not null,
    transacted_at bigint not null,
    posted_at bigint,
    void_at bigint,
    transaction_refresh text not null,
    -- seq of that refresh, for transaction_refresh[after]
    refresh_seq bigint not null,
    updated bigint not null
);
create unique index fc_transactions_by_bank_id on fc_transactions (account_id, bank_id);
create index fc_transactions_by_account on fc_transactions (platform_id, account_id, seq);

-- One process at a time refreshes an authorization's bank tokens (refresh tokens rotate).
alter table fc_authorizations add column refreshing_until bigint;
