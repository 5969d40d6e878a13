-- query.lua — wrk script: POST /query cycling through a fixed mix of queries
-- (one JSON body per line of the file named by QUERIES, default
-- queries.jsonl), each thread starting at a different offset.
local path = os.getenv("QUERIES") or "queries.jsonl"
local bodies = {}
for line in io.lines(path) do bodies[#bodies + 1] = line end
local i = 0
local counter = 0
setup = function(thread)
  thread:set("i", counter * 7)
  counter = counter + 1
end
request = function()
  i = i + 1
  local body = bodies[(i % #bodies) + 1]
  return wrk.format("POST", "/query", {["Content-Type"] = "application/json"}, body)
end
dofile((os.getenv("BENCH_DIR") or ".") .. "/report.lua")
