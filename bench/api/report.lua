-- report.lua — wrk hook: print one machine-readable line with throughput,
-- latency percentiles (ms) and errors, for bench/api/run.sh to parse.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write
             + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50=%.3f p95=%.3f p99=%.3f requests=%d errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, errs, summary.errors.status))
end
