#!/usr/bin/env bash
# BI views at scale (BENCHMARKS.md "BI views at 1M leads / 5M events").
#
# Seeds a private cluster with LEADS leads and their past activity (`leadline seed
# --history`: claims, calls, callbacks, orders, ~6 events a lead) unless DIR already
# holds one, builds the BI rollups, then times every `bi.*` view as the read-only role
# leadline_bi with psql's \timing (RUNS runs each; the first run and the best are
# printed), and times bi_refresh: idle, and after a minute of floor activity.
#
#   bash scripts/bench-bi.sh                       # 1,000,000 leads over 30 days in /tmp/leadline-bi
#   LEADS=100000 DIR=/tmp/bi100k bash scripts/bench-bi.sh
#   EXPLAIN=1 bash scripts/bench-bi.sh             # also print EXPLAIN ANALYZE of each query
#
# Needs PostgreSQL 15 server binaries (Debian: postgresql-15) and psql; run as root (the
# cluster then runs as the postgres OS user) or as the user owning DIR.
set -euo pipefail

LEADS=${LEADS:-1000000}
DAYS=${DAYS:-30}
DIR=${DIR:-/tmp/leadline-bi}
RUNS=${RUNS:-5}
SCRATCH=${SCRATCH:-.build}

cd "$(dirname "$0")/.."
swift build -c release --scratch-path "$SCRATCH" --product leadline >/dev/null
BIN="$SCRATCH/release/leadline"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ ! -d "$DIR/pgdata" ]; then
    echo "== seeding $LEADS leads over $DAYS days with history into $DIR"
    /usr/bin/time -f "seed wall=%es maxrss=%MkB" "$BIN" seed --leads "$LEADS" --days "$DAYS" --history --data-dir "$DIR" | grep -v '^agent='
fi

started=0
if ! as_owner "$PGBIN/pg_ctl" -D "$DIR/pgdata" status >/dev/null 2>&1; then
    as_owner "$PGBIN/pg_ctl" -D "$DIR/pgdata" -l "$DIR/postgres.log" -w \
        -o "-c listen_addresses='' -k $DIR -c port=5432 -c shared_buffers=256MB" start >/dev/null
    started=1
fi
trap '[ $started = 1 ] && as_owner "$PGBIN/pg_ctl" -D "$DIR/pgdata" -m fast stop >/dev/null' EXIT

ADMIN=(psql -X -q -At -h "$DIR" -p 5432 -U postgres -d leadline)
BI=(psql -X -q -At -h "$DIR" -p 5432 -U leadline_bi -d leadline)

echo "== data"
"${ADMIN[@]}" -F ' ' -c "SELECT 'leads=' || (SELECT count(*) FROM leads), 'events=' || (SELECT count(*) FROM lead_events),
                                'orders=' || (SELECT count(*) FROM orders), 'open=' || (SELECT count(*) FROM leads WHERE state <> 'closed'),
                                'agents=' || (SELECT count(*) FROM agents), 'server=' || current_setting('server_version')"
"${ADMIN[@]}" -F ' ' -c "SELECT 'bi_call=' || (SELECT count(*) FROM bi_call), 'bi_deadline=' || (SELECT count(*) FROM bi_deadline),
                                'bi_agent_day=' || (SELECT count(*) FROM bi_agent_day), 'bi_cohort=' || (SELECT count(*) FROM bi_cohort)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -sr)"

# The query BI tools send for each view: the whole view, except the breach list (the
# whole history: one day at a time, as the docs' ready query does).
QUERIES=(
    "SELECT * FROM bi.agent_day"
    "SELECT * FROM bi.agent_week"
    "SELECT * FROM bi.agent_month"
    "SELECT * FROM bi.team_day"
    "SELECT * FROM bi.team_week"
    "SELECT * FROM bi.team_month"
    "SELECT * FROM bi.sla_compliance"
    "SELECT * FROM bi.sla_breaches WHERE day = (now() AT TIME ZONE time_zone)::date - 1"
    "SELECT * FROM bi.backlog_now"
    "SELECT * FROM bi.contact_coverage"
    "SELECT * FROM bi.lead_quality_week"
    "SELECT * FROM bi.lead_quality_month"
    "SELECT * FROM bi.non_conversion_reasons_week"
    "SELECT * FROM bi.non_conversion_reasons_month"
    "SELECT * FROM bi.closed_without_order_week"
    "SELECT * FROM bi.closed_without_order_month"
    "SELECT * FROM bi.attempts_per_day"
    "SELECT * FROM bi.follow_up_discipline"
    "SELECT * FROM bi.weekly_snapshot"
    "SELECT * FROM bi.sales_dashboard"
    "SELECT * FROM bi.freshness"
)

echo "== views as leadline_bi ($RUNS runs each; ms)"
printf '%-62s %8s %9s %9s\n' query rows first best
for q in "${QUERIES[@]}"; do
    rows=$("${BI[@]}" -c "SELECT count(*) FROM ($q) x")
    script="\\timing on"$'\n'
    for _ in $(seq "$RUNS"); do script+="$q;"$'\n'; done
    times=$(printf '%s' "$script" | "${BI[@]}" -o /dev/null 2>&1 | awk '/^Time:/ {print $2}')
    first=$(echo "$times" | head -1)
    best=$(echo "$times" | sort -n | head -1)
    printf '%-62s %8s %9s %9s\n' "$q" "$rows" "$first" "$best"
    if [ "${EXPLAIN:-0}" = 1 ]; then "${BI[@]}" -c "EXPLAIN (ANALYZE, BUFFERS) $q"; fi
done

echo "== bi_refresh (as the service's user)"
"${ADMIN[@]}" -c "SELECT 'idle: leads=' || leads || ' seconds=' || round(seconds::numeric, 3) FROM bi_refresh(now())"
"${ADMIN[@]}" -c "SELECT 'idle: leads=' || leads || ' seconds=' || round(seconds::numeric, 3) FROM bi_refresh(now())"
# A minute of a busy floor: 150 calls (a claim and a disposition each) on open leads.
"${ADMIN[@]}" -c "
    WITH picked AS (SELECT l.id, (SELECT a.id FROM agents a WHERE a.team_id = l.team_id AND a.role <> 'admin' ORDER BY a.id LIMIT 1) AS agent
                    FROM leads l WHERE l.state <> 'closed' ORDER BY l.id DESC LIMIT 150)
    INSERT INTO lead_events (lead_id, kind, agent_id, at, disposition, note, lease_gen)
    SELECT p.id, k.kind::lead_event_kind, p.agent, now(), k.disposition::disposition, k.note, 1000
    FROM picked p CROSS JOIN (VALUES ('claimed', NULL, NULL), ('disposition', 'not_interested', 'Customer sold it to a neighbour last week')) k(kind, disposition, note)"
"${ADMIN[@]}" -c "SELECT 'after 150 calls: leads=' || leads || ' agent_days=' || agent_days || ' seconds=' || round(seconds::numeric, 3) FROM bi_refresh(now())"
