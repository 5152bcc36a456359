-- The balance a credit answered when it was first made: its entry's balance_after, or,
-- when it repaid debt, the balance after its debt_repayment (posted just after it and
-- linked by original_entry_id). What a replay of a top-up, bonus or reversal answers.
CREATE OR REPLACE FUNCTION wallet.answered_balance(p_account_id bigint, p_entry_id bigint, p_balance_after bigint)
RETURNS bigint
LANGUAGE sql
STABLE
AS $$
    SELECT coalesce((SELECT r.balance_after FROM wallet.ledger_entries r
                     WHERE r.account_id = p_account_id AND r.entry_id > p_entry_id
                       AND r.original_entry_id = p_entry_id AND r.kind = 'debt_repayment'),
                    p_balance_after)
$$;

REVOKE ALL ON FUNCTION wallet.answered_balance(bigint, bigint, bigint) FROM PUBLIC;
