-- The board fold (migration 0013's board_fold_pass): up to $2 entries of the board_deltas
-- log folded into board_tally, the time-valued sums merged up to $1 - $3 seconds, breach
-- minutes older than three days dropped; NOTIFY leadline_board with the id of each team
-- whose sums changed. Returns `folded` (log entries) and `teams` (ids, ascending). A fold
-- already running on another connection makes this one return 0 and no team.
--   $1 now, $2 batch size, $3 seconds before now kept apart (not merged)
SELECT folded, teams FROM board_fold_pass($1::timestamptz, $2::int, make_interval(secs => $3::float8));
