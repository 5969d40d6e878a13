-- healthz.lua — wrk script: plain GET of the URL given, with the report line.
dofile((os.getenv("BENCH_DIR") or ".") .. "/report.lua")
