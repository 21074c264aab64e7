-- The platform's side of linking: sessions, the link flow's OAuth state, bank authorizations,
-- linked accounts, and the event rows written in the same transaction as each change.

create table fc_sessions (
    seq bigserial primary key,
    id text not null unique,
    platform_id text not null references platforms (id),
    created bigint not null,
    -- sealed (the API returns it); the hash finds the session from the hosted flow's URL
    client_secret text not null,
    client_secret_hash text not null unique,
    holder_type text not null,
    holder_id text not null,
    -- JSON arrays / objects
    permissions text not null,
    prefetch text not null,
    filters text not null,
    account_limit bigint,
    return_url text,
    status text not null,
    failure_reason text
);
create index fc_sessions_by_platform on fc_sessions (platform_id, seq);

-- The link flow's own registration (RFC 7591) at each bank, per redirect URI.
create table fc_link_clients (
    institution_id text not null,
    redirect_uri text not null,
    client_id text not null,
    -- sealed
    client_secret text not null,
    created bigint not null,
    primary key (institution_id, redirect_uri)
);

-- One OAuth round trip of the hosted flow: looked up by the hash of its `state`, used once.
create table fc_link_attempts (
    state_hash text primary key,
    platform_id text not null,
    session_id text not null,
    institution_id text not null,
    -- sealed PKCE verifier
    pkce_verifier text not null,
    created bigint not null,
    used_at bigint
);

create table fc_authorizations (
    id text primary key,
    platform_id text not null references platforms (id),
    created bigint not null,
    session_id text not null,
    institution_id text not null,
    institution_name text not null,
    bank_client_id text not null,
    -- sealed bank tokens
    access_token text not null,
    access_expires_at bigint not null,
    refresh_token text,
    status text not null
);

create table fc_accounts (
    seq bigserial primary key,
    id text not null unique,
    platform_id text not null references platforms (id),
    created bigint not null,
    session_id text not null,
    authorization_id text not null references fc_authorizations (id),
    institution_id text not null,
    holder_type text not null,
    holder_id text not null,
    -- JSON: the bank's description of the account (its id, names, category, last4)
    bank text not null,
    permissions text not null,
    status text not null,
    inactive_cause text,
    -- JSON or null: Stripe's balance object and the three refresh states
    balance text,
    balance_refresh text,
    ownership_id text,
    ownership_refresh text,
    transaction_refresh text,
    subscriptions text not null
);
create index fc_accounts_by_platform on fc_accounts (platform_id, seq);
create index fc_accounts_by_session on fc_accounts (platform_id, session_id);
create index fc_accounts_by_holder on fc_accounts (platform_id, holder_id);

create table events (
    seq bigserial primary key,
    id text not null unique,
    platform_id text not null references platforms (id),
    created bigint not null,
    type text not null,
    -- JSON: data.object as of the change
    data text not null,
    request_id text,
    idempotency_key text,
    api_version text
);
create index events_by_platform on events (platform_id, seq);
