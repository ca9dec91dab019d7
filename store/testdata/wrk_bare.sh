# wrk_bare.sh, sourced by wrk_run.sh and wrk_runpg.sh with W, ST, LUA set:
# wrk_bare REQUESTS runs the bare handler under the same wrk command
# BARE_RUNS times (3), 10 s each, and sets bare (the median req/s), bares
# (every run's) and bareerr (socket errors or non-2xx answers in any run).
# The handler lives 5 minutes and is killed after the last run: wrk loads
# its whole request file before its timer starts (seconds for 500,000
# requests), so a handler timed to the run closes before the run ends.
# wrk_ratio RPS then prints RPS as a share of bare ("26.4%"), or "invalid"
# when a bare run saw errors: that run measured a server gone part of it.
wrk_bare() {
  local req=$1 i
  PIXDESK_WRK_BARE=127.0.0.1:18080 PIXDESK_WRK_BARE_FOR=5m $ST -test.run '^TestWrkBare$' >/dev/null 2>&1 &
  local bp=$!; sleep 1
  bares=; bareerr=
  for i in $(seq ${BARE_RUNS:-3}); do
    PIXDESK_WRK_REQUESTS=$req wrk -t1 -c32 -d10s -s $LUA http://127.0.0.1:18080/ > $W/bare.$i.wrk
    bares="$bares $(awk '/Requests\/sec/{print $2}' $W/bare.$i.wrk)"
    bareerr="$bareerr$(awk '/Socket errors|Non-2xx/' $W/bare.$i.wrk | tr -s ' ' | tr '\n' ' ')"
  done
  kill $bp 2>/dev/null; wait $bp 2>/dev/null
  [ -n "$bares" ] || bareerr="${bareerr}no bare figure "
  bare=$(python3 -c "import statistics,sys;print(statistics.median(float(x) for x in sys.argv[1:]))" $bares 2>/dev/null)
}
wrk_ratio() {
  if [ -n "$bareerr" ]; then echo invalid; return; fi
  python3 -c "print(f'{100*$1/$bare:.1f}%')"
}
