-- Webhooks: operators subscribe a URL to event types; the worker delivers every matching
-- event at least once, signed per Standard Webhooks with the subscription's secret.
--
-- A subscription reads the feed like any consumer: `fanned_out_through` is the feed
-- position up to which it has a delivery row for each matching event (written by
-- wallet_webhook_fan_out behind the feed's barrier, so none committed late is skipped).
-- A delivery row is the unit of retry: claimed with a lease (a worker killed while
-- sending leaves it due again when the lease ends), then delivered, retried after a
-- backoff, or dead once it has been failing for the retry window; an operator
-- redelivers the dead. Only the database owner and the worker role read these tables:
-- they hold the signing secrets.
CREATE TABLE wallet.webhook_subscriptions (
    subscription_id    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url                text        NOT NULL CHECK (url ~ '^https?://[^\s]+$'),
    event_types        text[],     -- NULL: every type
    secret             text        NOT NULL,
    fanned_out_through bigint      NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    removed_at         timestamptz
);

CREATE TABLE wallet.webhook_deliveries (
    subscription_id  bigint      NOT NULL REFERENCES wallet.webhook_subscriptions,
    event_id         bigint      NOT NULL,
    state            text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer     NOT NULL DEFAULT 0,
    due_at           timestamptz NOT NULL DEFAULT now(),
    first_attempt_at timestamptz,
    last_attempt_at  timestamptz,
    last_error       text,
    delivered_at     timestamptz,
    PRIMARY KEY (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON wallet.webhook_deliveries (due_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_dead ON wallet.webhook_deliveries (subscription_id, event_id) WHERE state = 'dead';

REVOKE ALL ON wallet.webhook_subscriptions, wallet.webhook_deliveries FROM PUBLIC;
