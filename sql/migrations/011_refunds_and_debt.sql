-- Refunds of top-ups (wallet_refund): what a refund could not take back is written off
-- (policy clamp) or kept as the wallet's debt (policy debt), which later credits repay
-- first, each repayment a debt_repayment entry. The policy is stored on the refund so a
-- replay can be told from a different request.
ALTER TABLE wallet.wallets ADD COLUMN debt bigint NOT NULL DEFAULT 0;
ALTER TABLE wallet.ledger_entries ADD COLUMN refund_policy text;

-- The wallet's rules in one check, behind a PL/pgSQL function: a constraint's text is
-- parsed and planned in every statement that writes the table (written out, the
-- balance rules cost 55,000 instructions per posting; a call with its arguments a fifth
-- of that), while the function's compiled body is kept for the session.
CREATE FUNCTION wallet.wallet_rules_hold(p_balance bigint, p_paid bigint, p_free bigint, p_debt bigint)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    RETURN p_balance >= 0 AND p_paid >= 0 AND p_free >= 0 AND p_balance = p_paid + p_free AND p_debt >= 0;
END
$$;

ALTER TABLE wallet.wallets
    ADD CONSTRAINT wallets_balance_rules CHECK (wallet.wallet_rules_hold(balance, paid, free, debt));
