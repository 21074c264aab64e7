-- The ownership-match quota counts distinct inputs per bank account (per platform), however
-- many times that bank account was linked: each match records the bank-side identity of its
-- account (`institution:bank account id`). Earlier matches take their account's.
alter table fc_ownership_matches add column bank_account text;
update fc_ownership_matches set bank_account = (
    select a.institution_id || ':' || json_extract(a.bank, '$.id')
    from fc_accounts a
    where a.platform_id = fc_ownership_matches.platform_id and a.id = fc_ownership_matches.account_id
);
update fc_ownership_matches set bank_account = 'account:' || account_id where bank_account is null;
create index fc_ownership_matches_by_bank_account on fc_ownership_matches (platform_id, bank_account, created);
