-- wrk script for bench/load.sh: POST /v1/customers with a form body, as the SDKs send it.
wrk.method = "POST"
wrk.body = "name=Jenny+Rosen&email=jennyrosen%40example.com&phone=%2B14155550123"
  .. "&address[line1]=354+Oyster+Point+Blvd&address[city]=South+San+Francisco"
  .. "&address[state]=CA&address[postal_code]=94080&address[country]=US"
  .. "&metadata[source]=bench"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer sk_test_sandbank"

-- The summary line comes from report.lua next to this file.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
