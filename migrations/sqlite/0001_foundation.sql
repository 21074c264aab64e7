-- Platforms, their hashed API keys, customers and idempotency keys.
-- Times are unix seconds (Stripe's wire format), so both backends store plain integers.

create table platforms (
    id text primary key,
    name text not null,
    created bigint not null
);

create table api_keys (
    -- SHA-256 of the key text, hex; the key itself is never stored.
    key_hash text primary key,
    platform_id text not null references platforms (id),
    -- shown to operators to tell keys apart
    last4 text not null,
    created bigint not null,
    revoked_at bigint
);

create table customers (
    -- insertion order: the list order and the pagination cursor
    seq integer primary key autoincrement,
    id text not null unique,
    platform_id text not null references platforms (id),
    created bigint not null,
    deleted_at bigint,
    name text,
    email text,
    phone text,
    description text,
    -- JSON: Stripe's address object
    address text,
    -- JSON: string to string
    metadata text not null default '{}'
);
create index customers_by_platform on customers (platform_id, seq) where deleted_at is null;
create index customers_by_email on customers (platform_id, email) where deleted_at is null;

create table idempotency_keys (
    platform_id text not null references platforms (id),
    idem_key text not null,
    -- SHA-256 over method, path and canonical parameters
    fingerprint text not null,
    -- set while a request holds the key; a claim past it is taken over
    locked_until bigint,
    response_status bigint,
    response_body blob,
    created bigint not null,
    primary key (platform_id, idem_key)
);
create index idempotency_keys_by_age on idempotency_keys (created);
