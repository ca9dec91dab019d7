-- wrk script for docs/load.md: sends the signed deliveries TestWrkFixture
-- wrote to $PIXDESK_WRK_REQUESTS, one per request, in order (run with one
-- thread: -t1). Past the end it starts again, and every request is then a
-- byte-identical replay: make the file longer than the run.
local reqs = {}
local i = 0

function init(args)
  local path = os.getenv("PIXDESK_WRK_REQUESTS")
  for line in io.lines(path) do
    local id, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", "/webhooks/connectpsp", {
      ["Content-Type"] = "application/json",
      ["X-Event-Id"] = id,
      ["X-Connect-Signature"] = sig,
    }, body)
  end
end

function request()
  i = i + 1
  if i > #reqs then
    i = 1
  end
  return reqs[i]
end
