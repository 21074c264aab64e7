-- wrk script for bench/load.sh: POST /v1/financial_connections/ownership_match.
-- BENCH_ACCOUNTS names the accounts (comma separated); BENCH_DISTINCT=1 sends a new name every
-- request, round-robin over the accounts (each is scored, checked against the quota and
-- stored), otherwise one input to the first account is repeated (answered from the stored match).
local accounts = {}
for id in string.gmatch(os.getenv("BENCH_ACCOUNTS"), "[^,]+") do
  table.insert(accounts, id)
end
local distinct = os.getenv("BENCH_DISTINCT") == "1"
local counter = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer sk_test_sandbank"
wrk.headers["Stripe-Version"] = "2026-07-29.dahlia; financial_connections_ownership_match_api_preview=v1"

local body = "owner_information[email]=jennyrosen%40example.com"
  .. "&owner_information[phone]=%2B1+212-555-5555"
  .. "&owner_information[address][line1]=354+Oyster+Point+Blvd"
  .. "&owner_information[address][city]=South+San+Francisco"
  .. "&owner_information[address][state]=CA&owner_information[address][postal_code]=94080"
  .. "&owner_information[address][country]=US"

request = function()
  local name = "Jenny+Rosen"
  local account = accounts[1]
  if distinct then
    counter = counter + 1
    account = accounts[(counter % #accounts) + 1]
    name = "Jenny+Rosen+" .. tostring(counter) .. "x" .. tostring(math.random(1, 1000000000))
  end
  return wrk.format(nil, nil, nil, body .. "&financial_connections_account=" .. account .. "&owner_information[name]=" .. name)
end

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
