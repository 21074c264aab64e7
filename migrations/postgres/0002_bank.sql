-- The emulated banks: institutions, bank users, accounts, owners and transactions (personal
-- data and account numbers sealed with the store cipher), OAuth clients, authorization
-- requests, browser sessions, consents, codes, tokens and the signing key.
-- Secrets (passwords, client secrets, codes, refresh tokens, session cookies) are stored only
-- as hashes. Times are unix seconds.

create table bank_institutions (
    id text primary key,
    -- display order
    position bigint not null,
    -- JSON: the domain Institution (public data)
    body text not null
);

create table bank_users (
    id text primary key,
    institution_id text not null references bank_institutions (id),
    username text not null,
    -- Argon2id PHC string
    password_hash text not null,
    -- sealed: bank_users:{id}:totp_secret
    totp_secret text not null,
    -- sealed: bank_users:{id}:name
    name text not null,
    created bigint not null,
    unique (institution_id, username)
);

create table bank_accounts (
    seq bigserial primary key,
    id text not null unique,
    institution_id text not null references bank_institutions (id),
    user_id text not null references bank_users (id),
    display_name text not null,
    category text not null,
    subcategory text not null,
    last4 text not null,
    currency text not null,
    status text not null,
    routing_number text not null,
    -- sealed: bank_accounts:{id}:account_number
    account_number text not null,
    balance_current bigint not null,
    balance_available bigint,
    balance_used bigint,
    scenario text not null,
    -- data API calls answered for this account (tests count bank round trips)
    data_calls bigint not null default 0,
    created bigint not null
);
create index bank_accounts_by_user on bank_accounts (user_id, seq);

create table bank_owners (
    account_id text not null references bank_accounts (id),
    position bigint not null,
    -- each sealed: bank_owners:{account_id}:{position}:{column}
    name text not null,
    email text,
    phone text,
    raw_address text,
    primary key (account_id, position)
);

create table bank_transactions (
    id text primary key,
    account_id text not null references bank_accounts (id),
    amount bigint not null,
    currency text not null,
    description text not null,
    status text not null,
    transacted_at bigint not null,
    posted_at bigint
);
create index bank_transactions_by_account on bank_transactions (account_id, transacted_at, id);

create table bank_clients (
    id text primary key,
    institution_id text not null references bank_institutions (id),
    -- SHA-256 hex of the client secret; null for public clients
    secret_hash text,
    auth_method text not null,
    name text not null,
    -- JSON arrays
    redirect_uris text not null,
    grant_types text not null,
    scope text not null,
    created bigint not null
);

create table bank_auth_requests (
    id text primary key,
    institution_id text not null references bank_institutions (id),
    client_id text not null references bank_clients (id),
    redirect_uri text not null,
    scope text not null,
    state text,
    code_challenge text not null,
    user_id text references bank_users (id),
    -- SHA-256 hex of the session cookie bound at login
    session_hash text,
    stage text not null,
    failed_attempts bigint not null default 0,
    expires_at bigint not null,
    created bigint not null
);

create table bank_sessions (
    -- SHA-256 hex of the cookie value
    token_hash text primary key,
    institution_id text not null references bank_institutions (id),
    user_id text not null references bank_users (id),
    -- 1 once the second factor passed
    mfa_passed bigint not null default 0,
    expires_at bigint not null,
    created bigint not null
);

create table bank_consents (
    seq bigserial primary key,
    id text not null unique,
    institution_id text not null references bank_institutions (id),
    user_id text not null references bank_users (id),
    client_id text not null references bank_clients (id),
    scope text not null,
    -- JSON array of bank account ids
    account_ids text not null,
    status text not null,
    created bigint not null,
    revoked_at bigint
);
create index bank_consents_by_user on bank_consents (user_id, seq);

create table bank_codes (
    -- SHA-256 hex of the code
    code_hash text primary key,
    client_id text not null references bank_clients (id),
    redirect_uri text not null,
    code_challenge text not null,
    consent_id text not null references bank_consents (id),
    family_id text not null,
    expires_at bigint not null,
    used_at bigint,
    created bigint not null
);

create table bank_refresh_tokens (
    -- SHA-256 hex of the token
    token_hash text primary key,
    family_id text not null,
    consent_id text not null references bank_consents (id),
    client_id text not null references bank_clients (id),
    scope text not null,
    status text not null,
    expires_at bigint not null,
    created bigint not null
);
create index bank_refresh_tokens_by_family on bank_refresh_tokens (family_id);

-- Every access token issued, by its JWT id: revoking one sets revoked_at (the denylist).
create table bank_access_tokens (
    jti text primary key,
    family_id text not null,
    consent_id text not null references bank_consents (id),
    client_id text not null references bank_clients (id),
    expires_at bigint not null,
    revoked_at bigint,
    created bigint not null
);
create index bank_access_tokens_by_family on bank_access_tokens (family_id);

-- The banks' JWT signing key; one row per slot, the first writer wins.
create table bank_signing_keys (
    slot text primary key,
    kid text not null,
    -- sealed: bank_signing_keys:{kid}:private_key (base64 PKCS#8 DER)
    private_key text not null,
    created bigint not null
);
