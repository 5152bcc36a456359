-- wallet_webhook_claim learns which receivers the worker already has enough deliveries
-- in flight to (p_busy) and how many of one receiver's a claim may hand out
-- (p_per_subscription), so that a slow receiver's deliveries never fill the worker's
-- slots; and it serves the receiver it served least recently first (last_claimed_at), so
-- that receivers with a backlog of retries never keep a quiet one waiting. The file in
-- sql/functions creates it again with the new arguments.
DROP FUNCTION IF EXISTS public.wallet_webhook_claim(integer, interval);
ALTER TABLE wallet.webhook_subscriptions ADD COLUMN last_claimed_at timestamptz;
