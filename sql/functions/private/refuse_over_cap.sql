-- The one balance_limit_exceeded refusal (WA012): a credit would take the balance (paid
-- plus free, before any debt repayment) above the wallet's cap.
CREATE OR REPLACE FUNCTION wallet.refuse_over_cap(p_max_balance bigint, p_balance bigint, p_amount bigint) RETURNS void
LANGUAGE plpgsql
IMMUTABLE  -- it reads nothing; callers pass what they read, never constants the planner could fold
AS $$
BEGIN
    RAISE EXCEPTION 'balance_limit_exceeded: a balance of % would pass the cap of %', p_balance + p_amount, p_max_balance
        USING ERRCODE = 'WA012',
              DETAIL = format('max_balance: %s, balance: %s, amount: %s', p_max_balance, p_balance, p_amount);
END
$$;

REVOKE ALL ON FUNCTION wallet.refuse_over_cap(bigint, bigint, bigint) FROM PUBLIC;
