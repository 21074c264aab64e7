-- Webhook endpoints, the delivery outbox and its attempt log.
--
-- `webhook_deliveries` is the transactional outbox: one row per (event, endpoint), written in
-- the same transaction as the event (and so as the change the event records). The dispatcher
-- claims due rows with a lease (`claimed_until`, `claimed_by`), sends without holding any
-- transaction, then records the attempt; a process killed mid-send leaves a lease that expires,
-- and the row is claimed again (at-least-once).

create table webhook_endpoints (
    seq integer primary key autoincrement,
    id text not null unique,
    platform_id text not null references platforms (id),
    created bigint not null,
    url text not null,
    -- JSON array, in the order given (the matching uses webhook_endpoint_events)
    enabled_events text not null,
    description text,
    metadata text not null default '{}',
    api_version text,
    -- enabled | disabled
    status text not null,
    -- sealed: it signs every delivery, so it is kept recoverable, never in the clear
    secret text not null,
    -- failed attempts since the last success; the endpoint is disabled at the setting's limit
    consecutive_failures bigint not null default 0,
    deleted_at bigint
);
create index webhook_endpoints_by_platform on webhook_endpoints (platform_id, seq) where deleted_at is null;

-- One row per enabled event type ('*' included) so the fan-out is a join, not JSON parsing.
create table webhook_endpoint_events (
    endpoint_id text not null references webhook_endpoints (id),
    event_type text not null,
    primary key (endpoint_id, event_type)
);

create table webhook_deliveries (
    id integer primary key autoincrement,
    event_id text not null references events (id),
    endpoint_id text not null references webhook_endpoints (id),
    platform_id text not null,
    -- pending | succeeded | failed
    status text not null,
    attempts bigint not null default 0,
    -- unix seconds; due when <= now
    next_attempt_at bigint not null,
    claimed_until bigint,
    claimed_by text,
    created bigint not null,
    last_attempt_at bigint,
    last_status_code bigint,
    last_error text
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_by_event on webhook_deliveries (event_id, endpoint_id);
create index webhook_deliveries_by_endpoint on webhook_deliveries (endpoint_id) where status = 'pending';

create table webhook_attempts (
    seq integer primary key autoincrement,
    id text not null unique,
    platform_id text not null references platforms (id),
    endpoint_id text not null references webhook_endpoints (id),
    event_id text not null,
    delivery_id bigint not null,
    -- the dispatcher that made it (`dispatch_…`, one per server process)
    worker text not null,
    created bigint not null,
    -- 1 for the first try of a delivery
    attempt bigint not null,
    url text not null,
    -- succeeded | failed
    status text not null,
    status_code bigint,
    duration_ms bigint not null,
    -- at most 1 KiB of the receiver's answer
    response_body text,
    error text
);
create index webhook_attempts_by_endpoint on webhook_attempts (platform_id, endpoint_id, seq);

-- `GET /v1/events?type=…` and `created` filters.
create index events_by_type on events (platform_id, type, seq);
