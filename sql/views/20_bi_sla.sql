-- KPI item 2 of docs/BI.md: SLA compliance per view (SOP 001 §6), per team and day, and
-- the breaches themselves. From bi_sla_day and bi_deadline (01_bi_refresh.sql).

CREATE VIEW bi.sla_compliance AS
SELECT s.day, t.name AS team, s.team_id, s.sla_view,
       CASE s.sla_view WHEN 'high_end' THEN 'first call within the High-End SLA (' || t.high_end_sla::text || ')'
                       WHEN 'not_called' THEN 'first call the same local day'
                       WHEN 'callback' THEN 'call at the callback time + grace (' || t.callback_grace::text || ')'
                       ELSE 'follow-up or retry at its time + grace (' || t.callback_grace::text || '); 24 h when none was set' END AS target,
       s.deadlines,
       s.deadlines - s.pending AS due,
       s.met,
       s.breached,
       s.late_calls AS breached_called_late,
       s.breached - s.late_calls AS breached_not_called,
       s.pending,
       round(100.0 * s.met / nullif(s.deadlines - s.pending, 0), 1) AS compliance_pct
FROM bi_sla_day s
JOIN teams t ON t.id = s.team_id;
COMMENT ON VIEW bi.sla_compliance IS 'SLA compliance per team, local day and SLA view (SOP 001 §6). One deadline per lead for its first call (high_end: created + the team''s High-End SLA, 15 min; not_called: the end of the local day it was created), one per scheduled step (callback: its time + grace; all = the All Leads follow-up: a follow-up or Not Reachable retry at its time + grace, a follow-up without a time being 24 h after the call). day = the local day the clock started (creation, or the scheduled time). met = the answering call began (its lease was claimed) by the deadline; breached = not met and either called late or still not called when due; pending = not called, not yet due. compliance_pct = met / (deadlines - pending) x 100. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.sla_compliance TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.sla_breaches AS
SELECT x.day, t.name AS team, x.team_id, x.sla_view, x.kind, x.lead_id, x.city, x.category, x.high_end,
       x.starts_at, x.due_at,
       x.call_started_at AS called_at,
       coalesce(x.call_started_at, (SELECT r.as_of FROM bi_refresh_state r)) - x.due_at AS late_by,
       o.name AS owner, x.owner_agent_id,
       c.name AS called_by, x.call_agent_id
FROM bi_deadline x
JOIN teams t ON t.id = x.team_id
LEFT JOIN agents o ON o.id = x.owner_agent_id
LEFT JOIN agents c ON c.id = x.call_agent_id
WHERE NOT coalesce(x.call_started_at <= x.due_at, false)
  AND (x.call_started_at IS NOT NULL OR x.due_at <= (SELECT r.as_of FROM bi_refresh_state r));
COMMENT ON VIEW bi.sla_breaches IS 'Every SLA breach: a deadline of bi.sla_compliance not met, with the lead id (no customer data), city, device category, when the clock started, the deadline, when the answering call began (NULL: still not called), how late (until the last refresh when not called), who owned it (callbacks and follow-ups) and who called. Filter by day and team: it lists the whole history. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.sla_breaches TO leadline_bi;
    END IF;
END $$;
