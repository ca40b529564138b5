-- KPI item 2 of docs/BI.md: SLA compliance per view (SOP 001 §6, SOP 002 KPI 3), per team
-- and day, and the breaches themselves. From bi_sla_day and bi_deadline (01_bi_refresh.sql).
-- Every deadline is judged at the answering call's disposition (when it was logged: SOP
-- 002 KPI 3's "lead created time vs call disposition time"; the default columns) and at
-- when that call began, its claim (the *_at_claim columns). Days after the local day of
-- the last refresh are left out (their deadlines are all still pending).

CREATE VIEW bi.sla_compliance AS
SELECT s.day, t.name AS team, s.team_id, t.time_zone, s.sla_view,
       CASE s.sla_view WHEN 'high_end' THEN 'first call logged within the High-End SLA (' || t.high_end_sla::text || ')'
                       WHEN 'not_called' THEN 'first call logged the same local day'
                       WHEN 'callback' THEN 'call logged by the callback time + grace (' || t.callback_grace::text || ')'
                       ELSE 'follow-up or retry logged by its time + grace (' || t.callback_grace::text || '); 24 h when none was set' END AS target,
       CASE s.sla_view WHEN 'high_end' THEN round(extract(epoch FROM t.high_end_sla) / 60.0, 1)
                       WHEN 'not_called' THEN NULL
                       ELSE round(extract(epoch FROM t.callback_grace) / 60.0, 1) END AS allowed_min,
       s.deadlines,
       s.deadlines - s.pending AS due,
       s.met,
       s.breached,
       s.late_calls AS breached_called_late,
       s.breached - s.late_calls AS breached_not_called,
       s.pending,
       round(100.0 * s.met / nullif(s.deadlines - s.pending, 0), 1) AS compliance_pct,
       s.deadlines - s.pending_at_claim AS due_at_claim,
       s.met_at_claim,
       s.breached_at_claim,
       s.pending_at_claim,
       round(100.0 * s.met_at_claim / nullif(s.deadlines - s.pending_at_claim, 0), 1) AS compliance_at_claim_pct
FROM bi_sla_day s
JOIN teams t ON t.id = s.team_id
WHERE s.day <= ((SELECT r.as_of FROM bi_refresh_state r) AT TIME ZONE t.time_zone)::date;
COMMENT ON VIEW bi.sla_compliance IS 'SLA compliance per team, local day and SLA view (SOP 001 §6, SOP 002 KPI 3). One deadline per lead for its first call (high_end: created + the team''s High-End SLA, 15 min; not_called: the end of the local day it was created), one per scheduled step (callback: its time + grace; all = the All Leads follow-up: a follow-up or Not Reachable retry at its time + grace, a follow-up without a time being 24 h after the call). day = the local day the clock started (creation, or the scheduled time). Default measure (SOP 002 KPI 3): met = the answering call was logged (disposed) by the deadline; breached = not met and either logged late or not logged although due; pending = not logged, not yet due; compliance_pct = met / due x 100. The *_at_claim columns judge the same deadlines at when the answering call began (its claim). No row after the local day of the last refresh. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.sla_compliance TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.sla_breaches AS
SELECT x.day, t.name AS team, x.team_id, t.time_zone, x.sla_view, x.kind, x.lead_id, x.city, x.category, x.high_end,
       x.starts_at, x.due_at,
       x.call_started_at AS called_at,
       x.call_at AS logged_at,
       round((extract(epoch FROM coalesce(x.call_at, (SELECT r.as_of FROM bi_refresh_state r)) - x.due_at) / 60.0)::numeric, 1) AS late_by_min,
       coalesce(x.call_started_at <= x.due_at, false) AS met_at_claim,
       o.name AS owner, x.owner_agent_id,
       c.name AS called_by, x.call_agent_id
FROM bi_deadline x
JOIN teams t ON t.id = x.team_id
LEFT JOIN agents o ON o.id = x.owner_agent_id
LEFT JOIN agents c ON c.id = x.call_agent_id
WHERE NOT coalesce(x.call_at <= x.due_at, false)
  AND (x.call_at IS NOT NULL OR x.due_at <= (SELECT r.as_of FROM bi_refresh_state r));
COMMENT ON VIEW bi.sla_breaches IS 'Every SLA breach: a deadline of bi.sla_compliance not met by the default measure (the answering call not logged by the deadline), with the lead id (no customer data), city, device category, when the clock started, the deadline, when the answering call began (called_at, NULL: not begun) and was logged (logged_at, NULL: not logged yet), how late in minutes (until the last refresh when not logged), whether it was met by the claim measure (met_at_claim: the call began in time but was logged late), who owned it (callbacks and follow-ups) and who called. Filter by day and team: it lists the whole history. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.sla_breaches TO leadline_bi;
    END IF;
END $$;
