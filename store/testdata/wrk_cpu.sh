#!/bin/bash
# wrk_cpu.sh BIN LABEL: one wrk run (-t1 -c32, 15 s) against BIN serve on a
# fresh copy of the SQLite fixture (wrk_run.sh makes it), or with PG=1 on a
# fresh database on the durable server at 127.0.0.1:55432; BIN "bare" runs
# the bare handler instead. Besides wrk's req/s it prints the CPU each
# answered request cost the server, wrk and PostgreSQL's processes, and the
# CPUs' idle share, sampled over 8 s inside wrk's timed run (its init, which
# loads the request file, comes first). docs/load.md, "What a receiver with
# no store answers". Work files in /tmp/wrk; ST names the store test binary.
set -u
W=/tmp/wrk; BIN=$1; LABEL=$2; REPO=$(cd "$(dirname "$0")/../.." && pwd)
ST=${ST:-$W/store.test}; LUA=$REPO/store/testdata/wrk_deliveries.lua
if [ -n "${PG:-}" ]; then
  P="psql -qtA -h 127.0.0.1 -p 55432 -U postgres"
  $P -c "DROP DATABASE IF EXISTS wrk" -c "CREATE DATABASE wrk" >/dev/null 2>&1
  DB="postgres://postgres@127.0.0.1:55432/wrk?sslmode=disable"; REQ=$W/pg.req
  PIXDESK_WRK_DB=$DB PIXDESK_WRK_OUT=$REQ PIXDESK_WRK_KEY=sandbox-crypto-token PIXDESK_WRK_ROWS=2000 \
    PIXDESK_WRK_LINES=300000 $ST -test.run '^TestWrkFixture$' >/dev/null || exit 1
  $P -d wrk -c "VACUUM ANALYZE" >/dev/null
else
  rm -f $W/s.db*; cp $W/fix.db $W/s.db; DB=$W/s.db; REQ=$W/s.req
fi
if [ "$BIN" = bare ]; then
  PIXDESK_WRK_BARE=127.0.0.1:18443 PIXDESK_WRK_BARE_FOR=5m $ST -test.run '^TestWrkBare$' >/dev/null 2>&1 &
else
  PIXDESK_DB=$DB PIXDESK_WEBHOOK_LISTEN=127.0.0.1:18443 $BIN serve 2>$W/serve.log &
fi
sp=$!
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18443/ && break; sleep 0.1; done
PIXDESK_WRK_REQUESTS=$REQ wrk -t1 -c32 -d15s --latency -s $LUA http://127.0.0.1:18443/ > $W/cpu.wrk &
wp=$!
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
pgc() { local s=0 p; for p in $(pgrep -u postgres); do s=$((s+$(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $s; }
tot() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
idl() { awk '/^cpu /{print $5+$6}' /proc/stat; }
sleep 9
g0=$(pgc); c0=$(cpu $sp); w0=$(cpu $wp); t0=$(tot); i0=$(idl); s0=$(date +%s.%N)
sleep 8
g1=$(pgc); c1=$(cpu $sp); w1=$(cpu $wp); t1=$(tot); i1=$(idl); s1=$(date +%s.%N)
wait $wp
kill $sp; wait $sp 2>/dev/null
rps=$(awk '/Requests\/sec/{print $2}' $W/cpu.wrk); p99=$(awk '$1=="99%"{print $2}' $W/cpu.wrk)
err=$(awk '/Socket errors|Non-2xx/' $W/cpu.wrk | tr -s ' ' | tr '\n' ' ')
python3 -c "
el=$s1-$s0; sc=($c1-$c0)/100/el; wc=($w1-$w0)/100/el; gc=($g1-$g0)/100/el; idle=($i1-$i0)/($t1-$t0)
print(f'$LABEL rps=$rps p99=$p99 server={sc:.2f}cores {1e6*sc/$rps:.0f}us/req wrk={1e6*wc/$rps:.0f}us/req postgres={1e6*gc/$rps:.0f}us/req idle={100*idle:.0f}% $err')"
