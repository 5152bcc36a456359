-- Subscribes a URL to event types (NULL: all of them), signed with p_secret, a
-- Standard Webhooks secret (`whsec_` and the base64 of 24 to 64 random bytes; the
-- operator command makes one). Deliveries start with the events committed after this
-- call. A URL naming a loopback, private, link-local or otherwise special address (or
-- localhost) is refused unless the session allows it (SET wallet.webhook_private_targets
-- = 'allow', for receivers on the operator's own network); the worker checks the
-- address a name resolves to again before each delivery. Owner only: not granted to
-- wallet_service.
CREATE OR REPLACE FUNCTION public.wallet_webhook_subscribe(p_url text, p_secret text, p_event_types text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_known CONSTANT text[] := ARRAY['entry.topup', 'entry.bonus', 'entry.spend', 'entry.refund', 'entry.reversal',
                                     'entry.expire', 'entry.debt_repayment', 'entry.transfer_out',
                                     'entry.transfer_in', 'entry.fee', 'entry.exchange_out', 'entry.exchange_in',
                                     'hold.opened', 'hold.captured', 'hold.voided', 'hold.expired',
                                     'account.status_changed'];
    v_id   bigint;
    v_host text;
    v_addr inet;
BEGIN
    IF p_url IS NULL OR p_url !~ '^https?://[^\s/]+[^\s]*$' OR length(p_url) > 2000 THEN
        RAISE EXCEPTION 'invalid_request: url must be an http or https URL'
            USING ERRCODE = 'WA002', DETAIL = format('url: %s', p_url);
    END IF;
    v_host := lower(substring(p_url FROM '^https?://(?:[^@/?#]*@)?(\[[^]]*\]|[^:/?#]*)'));
    v_addr := wallet.inet_or_null(btrim(v_host, '[]'));
    IF coalesce(current_setting('wallet.webhook_private_targets', true), '') <> 'allow'
       AND (v_host = 'localhost' OR v_host LIKE '%.localhost' OR v_host = ''
            OR (v_addr IS NOT NULL AND NOT wallet.is_public_address(v_addr))) THEN
        RAISE EXCEPTION 'invalid_request: url must not name a loopback, private or link-local address'
            USING ERRCODE = 'WA002', DETAIL = format('url: %s', p_url),
                  HINT = 'for a receiver on your own network: SET wallet.webhook_private_targets = ''allow''';
    END IF;
    IF p_secret IS NULL OR p_secret !~ '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$' THEN
        RAISE EXCEPTION 'invalid_request: secret must be whsec_ followed by the base64 of 24 to 64 bytes'
            USING ERRCODE = 'WA002';
    END IF;
    IF p_event_types IS NOT NULL AND (cardinality(p_event_types) = 0 OR NOT p_event_types <@ v_known
                                      OR array_position(p_event_types, NULL) IS NOT NULL) THEN
        RAISE EXCEPTION 'invalid_request: event types must be some of %', array_to_string(v_known, ', ')
            USING ERRCODE = 'WA002', DETAIL = format('event_types: %s', p_event_types);
    END IF;
    INSERT INTO wallet.webhook_subscriptions (url, event_types, secret, fanned_out_through)
    VALUES (p_url, (SELECT array_agg(DISTINCT t ORDER BY t) FROM unnest(p_event_types) t), p_secret,
            wallet.place_events())  -- what committed before it, placed now: its positions commit with the row
    RETURNING subscription_id INTO v_id;
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_subscribe(text, text, text[]) FROM PUBLIC;
