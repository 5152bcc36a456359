-- Ends a subscription: nothing more is fanned out or sent to it (what it was sent stays
-- on record). Answers whether it was active. Owner only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_unsubscribe(p_subscription_id bigint)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE wallet.webhook_subscriptions s SET removed_at = now()
    WHERE s.subscription_id = p_subscription_id AND s.removed_at IS NULL
    RETURNING true
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_unsubscribe(bigint) FROM PUBLIC;
