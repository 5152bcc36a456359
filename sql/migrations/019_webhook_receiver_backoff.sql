-- A receiver that keeps timing out is backed off as a whole: wallet_webhook_settle
-- pauses its subscription for 1 s, 2 s, 4 s ... up to the backoff cap while its
-- deliveries time out and lifts the pause on a success, and
-- wallet_webhook_claim skips paused subscriptions and hands out at most a few
-- deliveries of one subscription per claim, so one slow receiver never holds the others'.
ALTER TABLE wallet.webhook_subscriptions
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN paused_until timestamptz;

-- each subscription's due deliveries in due order (the claim's per-subscription pick),
-- and its oldest undelivered event (wallet_webhook_backlog)
CREATE INDEX webhook_deliveries_due_per_subscription ON wallet.webhook_deliveries (subscription_id, due_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_pending_events ON wallet.webhook_deliveries (subscription_id, event_id)
    WHERE state = 'pending';
