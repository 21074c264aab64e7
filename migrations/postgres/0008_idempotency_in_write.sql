-- Idempotency answers are recorded by the write they answer, in its own transaction, and
-- sealed like other personal data. A claim now names its holder: `claim_token` is the one
-- request that may record the answer, `claimed_by` the process incarnation that runs it (a
-- claim whose process is gone is taken over at once). `expand_pending` marks an answer recorded
-- before its `expand[]` was resolved (the process died in between): a replay resolves it.
-- `recovery` is where a request whose effect commits elsewhere (the test helpers that link
-- through the hosted flow) notes what it started, so a retry after its process died resumes
-- it instead of starting a second one.
-- Rows written before this migration hold plain-text bodies; they are forgotten (keys live
-- 24 hours) rather than kept readable.
delete from idempotency_keys;
alter table idempotency_keys add column claim_token text;
alter table idempotency_keys add column claimed_by text;
alter table idempotency_keys add column expand_pending bigint not null default 0;
alter table idempotency_keys add column recovery text;
