-- wallet.answered_balance: a credit's own balance_after, or the balance after the debt
-- repayment it made.
BEGIN;
SELECT plan(2);
SELECT wallet_open_account('ae000000-0000-4000-8000-000000000001', 'Answer');
SELECT * FROM wallet_topup('ae000000-0000-4000-8000-000000000001', 1, 10, 'a-pay');
SELECT * FROM wallet_spend('ae000000-0000-4000-8000-000000000001', 1, 10, 'a-buy');
SELECT * FROM wallet_refund('ae000000-0000-4000-8000-000000000001', 'a-pay', 4, 'a-rf', 'debt');  -- debt 4
SELECT * FROM wallet_topup('ae000000-0000-4000-8000-000000000001', 1, 10, 'a-pay-2');             -- repays 4: 6
CREATE TEMP TABLE e AS SELECT account_id, entry_id, balance_after, idempotency_key FROM wallet.ledger_entries
WHERE idempotency_key IN ('a-pay', 'a-pay-2');
SELECT is((SELECT wallet.answered_balance(account_id, entry_id, balance_after) FROM e WHERE idempotency_key = 'a-pay'),
          10::bigint, 'a credit that repaid nothing: its own balance_after');
SELECT is((SELECT wallet.answered_balance(account_id, entry_id, balance_after) FROM e WHERE idempotency_key = 'a-pay-2'),
          6::bigint, 'a credit that repaid debt: the balance after the repayment');
SELECT * FROM finish();
ROLLBACK;
