-- What a wallet's day counter holds for the UTC day of p_at: its count when it belongs to
-- that day, else 0 (a new day starts the count again). The one reading of spent_day and
-- spent_today; a SQL function, so that the planner inlines it.
CREATE OR REPLACE FUNCTION wallet.spent_today(p_spent_day date, p_spent_today bigint, p_at timestamptz) RETURNS bigint
LANGUAGE sql
IMMUTABLE
AS $$ SELECT CASE WHEN p_spent_day = wallet.utc_day(p_at) THEN p_spent_today ELSE 0 END $$;

REVOKE ALL ON FUNCTION wallet.spent_today(date, bigint, timestamptz) FROM PUBLIC;
