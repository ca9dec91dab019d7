#!/bin/bash
# wrk_run.sh BIN LABEL [SECONDS]: a fresh copy of the fixture, the bare handler
# three times 10 s (median; BARE_RUNS), then serve on SQLite for SECONDS (15),
# all wrk -t1 -c32; then how long serve takes to apply what it accepted.
# docs/load.md. Needs wrk, curl, python3 (its sqlite3 module) and, for
# PostgreSQL, psql and a durable server on 127.0.0.1:55432 (user postgres,
# trust). Work files go to /tmp/wrk; ST names the store test binary that
# makes the fixture (built from this tree when absent).
set -u
mkdir -p /tmp/wrk
BIN=$1; LABEL=$2; SECS=${3:-15}
W=/tmp/wrk; REPO=$(cd "$(dirname "$0")/../.." && pwd); ST=${ST:-$W/store.test}; FIX=${FIX:-$W/fix.db}; REQ=${REQ:-$W/s.req}
LUA=$REPO/store/testdata/wrk_deliveries.lua
if [ ! -f $FIX ]; then
  (cd $REPO && go test -c -o $W/store.test ./store) || exit 1
  PIXDESK_WRK_DB=$FIX PIXDESK_WRK_OUT=$REQ PIXDESK_WRK_KEY=sandbox-crypto-token \
    PIXDESK_WRK_ROWS=2000 PIXDESK_WRK_LINES=${LINES:-500000} $ST -test.run '^TestWrkFixture$' >/dev/null || exit 1
fi
rm -f $W/s.db*; cp $FIX $W/s.db
load=$(cut -d' ' -f1 /proc/loadavg)
. $REPO/store/testdata/wrk_bare.sh; wrk_bare $REQ
PIXDESK_DB=$W/s.db PIXDESK_WEBHOOK_LISTEN=127.0.0.1:18443 $BIN serve 2>$W/serve.log &
sp=$!
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18443/ && break; sleep 0.1; done
PIXDESK_WRK_REQUESTS=$REQ wrk -t1 -c32 -d${SECS}s --latency -s $LUA http://127.0.0.1:18443/ > $W/serve.wrk
t0=$(date +%s.%N)
left=$(python3 -c "import sqlite3;c=sqlite3.connect('file:$W/s.db?mode=ro',uri=True);print(c.execute('select count(*) from inbox').fetchone()[0])" 2>/dev/null || echo -)
while :; do
  n=$(python3 -c "import sqlite3;c=sqlite3.connect('file:$W/s.db?mode=ro',uri=True);print(c.execute('select count(*) from inbox').fetchone()[0])" 2>/dev/null || echo 0)
  [ "$n" = 0 ] && break; sleep 0.2
done
t1=$(date +%s.%N)
kill $sp; wait $sp 2>/dev/null
rps=$(awk '/Requests\/sec/{print $2}' $W/serve.wrk)
reqs=$(awk '/requests in/{print $1}' $W/serve.wrk)
non2xx=$(awk '/Non-2xx/{print $4}' $W/serve.wrk)
p50=$(awk '$1=="50%"{print $2}' $W/serve.wrk); p99=$(awk '$1=="99%"{print $2}' $W/serve.wrk)
dels=$(python3 -c "import sqlite3;c=sqlite3.connect('$W/s.db');print(c.execute('select count(*) from deliveries').fetchone()[0], c.execute('select coalesce(sum(replays),0) from deliveries').fetchone()[0])")
drain=$(python3 -c "print(round($t1-$t0,1))")
ratio=$(wrk_ratio $rps)
echo "$LABEL load=$load bare=$bare (median of$bares)${bareerr:+ (BARE ERRORS: $bareerr)} serve=$rps ratio=$ratio p50=$p50 p99=$p99 reqs=$reqs non2xx=${non2xx:-0} inbox_at_end=$left drain=${drain}s deliveries,replays=$dels"
