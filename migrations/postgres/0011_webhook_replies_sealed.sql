-- Receivers' reply excerpts are now stored sealed (see store/sql/webhook_deliveries.rs);
-- excerpts written in the clear before cannot be opened, so they are dropped.
UPDATE webhook_attempts SET response_body = NULL;
