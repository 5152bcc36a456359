-- The UTC day a moment falls on: the day a daily spend limit counts against, whatever
-- the session's time zone. A SQL function, so that the planner inlines it.
CREATE OR REPLACE FUNCTION wallet.utc_day(p_at timestamptz) RETURNS date
LANGUAGE sql
IMMUTABLE
AS $$ SELECT (p_at AT TIME ZONE 'UTC')::date $$;

REVOKE ALL ON FUNCTION wallet.utc_day(timestamptz) FROM PUBLIC;
