-- The one spend_limit_exceeded refusal (WA013): what counted today plus this call would
-- pass the wallet's daily spend limit. DETAIL `remaining: N` (the API answers it as the
-- problem's remaining member).
CREATE OR REPLACE FUNCTION wallet.refuse_over_daily_limit(p_limit bigint, p_spent bigint, p_amount bigint) RETURNS void
LANGUAGE plpgsql
IMMUTABLE  -- it reads nothing; callers pass what they read, never constants the planner could fold
AS $$
BEGIN
    RAISE EXCEPTION 'spend_limit_exceeded: % today would pass the daily limit of %', p_spent + p_amount, p_limit
        USING ERRCODE = 'WA013', DETAIL = format('remaining: %s', greatest(p_limit - p_spent, 0));
END
$$;

REVOKE ALL ON FUNCTION wallet.refuse_over_daily_limit(bigint, bigint, bigint) FROM PUBLIC;
