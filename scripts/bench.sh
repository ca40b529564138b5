#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md, end to end: builds leadline (release), seeds a 1M-lead
# embedded cluster once, starts it with the benchmark settings, and runs
#   leadline bench compare (floor through leadline vs pgbench on the same SQL, per N),
#   the floor over two leadline serve instances, wake-up latency, 10,000 idle connections,
#   PgQueuer as a peer, the 1M-lead CSV import, a realistic floor (10,000 agents with a
#   30-300 s think time) and the 10-minute soak (256 agents); and on request the
#   hostile-client benchmarks of RELIABILITY.md (hostile, flood, fuzz).
# Everything talks to 127.0.0.1 or the cluster's Unix socket only.
#
#   bash scripts/bench.sh                 # everything (about 65 minutes)
#   bash scripts/bench.sh compare         # one part: compare | two | wakeup | idle | pgqueuer | import | simple | think | soak
#   bash scripts/bench.sh hostile flood fuzz   # RELIABILITY.md (not part of the default run)
# Environment: BENCH_DIR (default /tmp/llbench), BENCH_SECONDS (60), BENCH_AGENTS (1,8,64,256,1000),
# LEADLINE (a built binary; default: build .build-bench/release/leadline), THINK_SECONDS (300: the
# think-time run's window), SOAK_SECONDS (600).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${BENCH_DIR:-/tmp/llbench}
SECS=${BENCH_SECONDS:-60}
AGENTS=${BENCH_AGENTS:-1,8,64,256,1000}
PARTS=${*:-compare two wakeup idle pgqueuer import simple think soak}
PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
export PGBENCH=${PGBENCH:-$PGBIN/pgbench}

if [ -z "${LEADLINE:-}" ]; then
    swift build -c release --scratch-path .build-bench --product leadline
    LEADLINE=.build-bench/release/leadline
fi
command -v "$PGBENCH" >/dev/null || { echo "pgbench missing: apt-get install postgresql-contrib" >&2; exit 1; }

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# 1. The seeded cluster (leadline seed starts and stops it; done once).
if [ ! -f "$DIR/pgdata/PG_VERSION" ] || [ ! -f "$DIR/seeded" ]; then
    rm -rf "$DIR"
    time "$LEADLINE" seed --leads 1000000 --data-dir "$DIR"
    touch "$DIR/seeded"
fi

# 2. Start it with the service profile's settings (EmbeddedCluster: shared_buffers 256 MB,
#    autovacuum_naptime 10 s, fsync and synchronous_commit on), plus max_connections 1100 so
#    pgbench can open 1000 clients, and pg_stat_statements for the profiles.
as_pg "$PGBIN/pg_ctl" -D "$DIR/pgdata" -m fast -w stop >/dev/null 2>&1 || true
#    BENCH_PG_OPTS adds server settings, e.g. BENCH_PG_OPTS="-c wal_compression=lz4
#    -c max_wal_size=4GB -c checkpoint_timeout=15min" (measured in BENCHMARKS.md).
PG_OPTS=${BENCH_PG_OPTS:-}
as_pg "$PGBIN/pg_ctl" -D "$DIR/pgdata" -l "$DIR/postgres.log" -w -t 60 -o "-c listen_addresses='' -k '$DIR' -c port=5432 \
    -c max_connections=1100 -c shared_buffers=256MB -c autovacuum_naptime=10s $PG_OPTS \
    -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" start
trap 'as_pg "$PGBIN/pg_ctl" -D "$DIR/pgdata" -m fast -w stop >/dev/null 2>&1 || true' EXIT
DB="host=$DIR port=5432 user=postgres dbname=leadline"
ulimit -n "$(ulimit -Hn)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $("$PGBIN/postgres" --version)"

for part in $PARTS; do
    case $part in
    compare)  # leadline vs pgbench per N (+ pgbench-only 32 and 128 for its best point)
        "$LEADLINE" bench compare --database-url "$DB" --agents "$AGENTS" --pgbench-only 32,128 --seconds "$SECS" ;;
    two)      # the floor spread over two leadline serve instances on the same PostgreSQL
        "$LEADLINE" bench floor --database-url "$DB" --agents 256,1000 --instances 2 --seconds "$SECS" ;;
    wakeup)
        "$LEADLINE" bench wakeup --database-url "$DB" --inserts 1000 ;;
    idle)
        "$LEADLINE" bench idle --database-url "$DB" --connections 10000 ;;
    pgqueuer)  # pip install pgqueuer asyncpg
        python3 bench/pgqueuer_bench.py --dsn "postgresql://postgres@/pgqueuer_bench?host=$DIR&port=5432" \
            --workers 5 --batch 10 --seconds "$SECS"
        python3 bench/pgqueuer_bench.py --dsn "postgresql://postgres@/pgqueuer_bench?host=$DIR&port=5432" \
            --workers 5 --batch 1 --seconds "$SECS" --jobs 100000 ;;
    simple)   # pgbench on the simplest schema that does the job (bench/simple/): one leads table,
              # one partial claim index, claim + dispose + event; 1M leads, its own database
        as_pg "$PGBIN/psql" -h "$DIR" -U postgres -qc "DROP DATABASE IF EXISTS leadline_simple" -c "CREATE DATABASE leadline_simple"
        "$PGBIN/psql" -h "$DIR" -U postgres -d leadline_simple -q -v ON_ERROR_STOP=1 -f bench/simple/schema.sql
        for n in $(echo "${SIMPLE_CLIENTS:-1,8,32,128}" | tr , ' '); do
            echo "simple schema, $n clients:"
            "$PGBENCH" -h "$DIR" -U postgres -n -M prepared -j 2 -c "$n" -T "$SECS" -f bench/simple/cycle.sql leadline_simple \
                | grep -E '^(tps|latency average|number of failed)'
        done ;;
    import)   # 1M-row CSV into an empty database (teams and catalogue from seed --csv)
        IMPORT_DB="host=$DIR port=5432 user=postgres dbname=leadline_import"
        as_pg "$PGBIN/psql" -h "$DIR" -U postgres -qc "DROP DATABASE IF EXISTS leadline_import" -c "CREATE DATABASE leadline_import"
        # seed --csv writes the CSV and creates the teams and catalogue the import needs.
        if [ -f "$DIR/leads1m.csv" ]; then "$LEADLINE" seed --leads 1 --csv /dev/null --database-url "$IMPORT_DB" >/dev/null
        else "$LEADLINE" seed --leads 1000000 --csv "$DIR/leads1m.csv" --database-url "$IMPORT_DB" >/dev/null; fi
        /usr/bin/time -f "import wall=%es user=%Us sys=%Ss maxrss=%MkB" "$LEADLINE" import --quiet "$DIR/leads1m.csv" --database-url "$IMPORT_DB" ;;
    think)    # a realistic floor: 10,000 agents, each waits 30-300 s between a call and its next CLAIM
        "$LEADLINE" bench floor --database-url "$DB" --agents 10000 --think 30-300 --seconds "${THINK_SECONDS:-300}" --report-every 60 ;;
    soak)     # 256 agents closed loop for 10 minutes; non-zero exit if the last minute is >10 % below the first
        uptime
        "$LEADLINE" bench soak --database-url "$DB" --agents 256 --seconds "${SOAK_SECONDS:-600}" --report-every 60 --max-drop 10
        uptime ;;
    hostile)  # 1000 clients that pipeline and never read, beside 32 agents; baseline first (RELIABILITY.md)
        "$LEADLINE" bench hostile --database-url "$DB" --hogs 1000 --agents 32 --seconds "$SECS" ;;
    flood)    # 1024 idle connections that never AUTH from 127.0.0.1; 32 agents from 127.0.0.2
        "$LEADLINE" bench flood --database-url "$DB" --connections 1024 --agents 32 --seconds "$SECS" ;;
    fuzz)     # a million random and mutated protocol lines
        "$LEADLINE" bench fuzz --database-url "$DB" --lines 1000000 ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
    esac
done
