-- KPI item 3 of docs/BI.md: the backlog right now (SOP 001 §9 "Not Called backlog"),
-- live from the open leads (found through the narrow partial index leads_bi_open, migration
-- 0012; the held ones from lead_leases), counted at bi_now().

CREATE VIEW bi.backlog_now AS
SELECT t.name AS team, o.team_id, t.time_zone, o.city,
       count(*) FILTER (WHERE o.state = 'new') AS not_called,
       count(*) FILTER (WHERE o.state = 'new' AND o.high_end) AS not_called_high_end,
       min(o.created_at) FILTER (WHERE o.state = 'new') AS oldest_not_called_at,
       round((extract(epoch FROM bi_now() - min(o.created_at) FILTER (WHERE o.state = 'new')) / 60)::numeric, 1) AS oldest_not_called_age_min,
       count(*) FILTER (WHERE o.state = 'callback' AND o.next_action_at <= bi_now()) AS callbacks_due,
       count(*) FILTER (WHERE o.state = 'callback' AND o.next_action_at + t.callback_grace < bi_now()) AS callbacks_overdue,
       min(o.next_action_at) FILTER (WHERE o.state = 'callback' AND o.next_action_at + t.callback_grace < bi_now()) AS oldest_overdue_callback_at,
       count(*) FILTER (WHERE o.state = 'callback' AND o.next_action_at > bi_now()) AS callbacks_upcoming,
       -- only steps a call scheduled: a lead that was noted but never called (a NOTE moves a
       -- Not Called lead to follow_up, due at once) has no follow-up deadline behind it; its
       -- deadline is the first-call SLA (bi.sla_compliance), and it is counted in noted_not_called
       count(*) FILTER (WHERE o.state IN ('follow_up', 'retry') AND o.attempts > 0 AND o.next_action_at + t.callback_grace < bi_now()) AS follow_ups_overdue,
       count(*) FILTER (WHERE o.state <> 'new' AND o.attempts = 0) AS noted_not_called,
       count(h.lead_id) AS being_called,
       count(*) AS open_leads,
       count(*) FILTER (WHERE o.attempts < 3) AS open_under_3_attempts
FROM leads o
JOIN teams t ON t.id = o.team_id
LEFT JOIN lead_leases h ON h.lead_id = o.id
WHERE o.outcome IS NULL  -- open (the CHECK on leads ties outcome to the closed state); the form leads_bi_open's predicate uses
GROUP BY t.name, o.team_id, t.time_zone, o.city;
COMMENT ON VIEW bi.backlog_now IS 'The backlog now (live, at bi_now(): the setting leadline.bi_now if set, else now()), per team and city, over open leads. not_called = never called, messaged or noted (the Not Called view), with the oldest one''s drop-off time and age in minutes; callbacks_due = callbacks whose time has come and that nobody has disposed yet; callbacks_overdue = past their time + the team''s grace; callbacks_upcoming = later; follow_ups_overdue = follow-ups and Not Reachable retries that a call scheduled, past their time + grace; noted_not_called = open leads with a note but no call yet (left Not Called by the note; their deadline is the first-call SLA, not a follow-up); being_called = held by an agent; open_under_3_attempts = open leads with fewer than 3 call attempts.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.backlog_now TO leadline_bi;
    END IF;
END $$;
