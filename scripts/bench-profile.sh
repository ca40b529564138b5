#!/bin/bash
# Run after scripts/bench.sh has set up and started the cluster (BENCH_DIR); needs perf.
# Writes statements.txt, wait-summary.txt, perf-comm.txt, perf-postgres.txt into BENCH_RESULTS.
# A profiled 40 s floor run at 256 agents: pg_stat_statements, wait events, perf by process.
cd "$(dirname "$0")/.."
B=${LEADLINE:-.build-bench/release/leadline}
DIR=${BENCH_DIR:-/tmp/llbench}
DB="host=$DIR port=5432 user=postgres dbname=leadline"
R=${BENCH_RESULTS:-/tmp/leadline-bench}; mkdir -p $R
RUN="host=$DIR user=postgres dbname=leadline_bench_run"
$B bench floor --database-url "$DB" --agents 256 --seconds 40 > $R/profile-floor.log 2>&1 &
BP=$!
# wait until the run database exists and the load is on
sleep 25
psql "$RUN" -qc "select pg_stat_statements_reset()" >/dev/null 2>&1
( for i in $(seq 1 100); do psql "$RUN" -Atc "select coalesce(wait_event_type,'CPU') || ':' || coalesce(wait_event,'running') from pg_stat_activity where datname='leadline_bench_run' and state='active' and pid <> pg_backend_pid()"; sleep 0.1; done ) > $R/wait-samples.txt
perf record -a -g -o $R/perf.data -- sleep 10 > /dev/null 2>&1
psql "$RUN" -c "select calls, round(total_exec_time::numeric) total_ms, round(mean_exec_time::numeric,3) mean_ms, rows, wal_fpi, left(regexp_replace(query,'\s+',' ','g'),60) q from pg_stat_statements where dbid=(select oid from pg_database where datname='leadline_bench_run') order by total_exec_time desc limit 15" > $R/statements.txt
wait $BP
perf report -i $R/perf.data --sort comm --no-children --stdio 2>/dev/null | grep -v "^#" | grep -v "^$" | head -15 > $R/perf-comm.txt
perf report -i $R/perf.data --comm postgres --sort sym --no-children --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -25 > $R/perf-postgres.txt
sort $R/wait-samples.txt | uniq -c | sort -rn | head -15 > $R/wait-summary.txt
