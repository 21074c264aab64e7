-- Restricted keys (`rk_test_…`): what each may do, as sorted `resource:access` items
-- (`customer:write,event:read`). NULL is a secret key, which may do everything.
alter table api_keys add column permissions text;
