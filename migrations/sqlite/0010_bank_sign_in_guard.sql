-- Sign-in throttling at the banks (docs/banks.md, "Sign-in limits"): failed passwords and
-- codes per key, shared by every process on the store. A key is the SHA-256 hex of
-- `user\0{institution}\0{username}` or `address\0{ip}`, so no username or address is stored.
create table bank_sign_in_failures (
    key_hash text primary key,
    failures bigint not null,
    last_failure_at bigint not null
);

-- The last TOTP time step each bank user signed in with: a code is accepted once (RFC 6238
-- §5.2), so only a later step passes after it.
create table bank_totp_steps (
    user_id text primary key references bank_users (id),
    last_step bigint not null
);
