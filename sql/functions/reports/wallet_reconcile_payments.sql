-- Finance's check of the payments a provider settled against the ledger, read only: a
-- row per difference between the provider's records (p_payments: up to 100,000
-- [{"payment_id", "user_id", "amount", "refunded"?}]) and the top-ups (a top-up's key is
-- its payment id) with their refunds:
--   missing_topup   a payment with no top-up of its id for its user, at any time
--   unknown_topup   a top-up made in [p_from, p_to) whose payment id is not in the records
--   amount_differs  the top-up's amount is not the payment's
--   refund_differs  what the top-up's refunds asked for (recovered or not) is not the
--                   provider's refunded (default 0)
-- expected is the provider's figure, found the ledger's (NULL where that side has none).
--
-- More records than one call takes are reconciled in parts by user: p_part of p_parts
-- holds the payments of the users whose uuid's last byte is p_part modulo p_parts (a
-- payment of another part is refused), and its unknown_topup rows are that part's
-- users' only, so the parts' answers add up to the whole (python -m
-- wallet_api.reconcile does this).
CREATE OR REPLACE FUNCTION public.wallet_reconcile_payments(
    p_from     timestamptz,
    p_to       timestamptz,
    p_payments jsonb,
    p_part     integer DEFAULT 0,
    p_parts    integer DEFAULT 1
) RETURNS TABLE (payment_id text, user_id uuid, issue text, expected bigint, found bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_bad record;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_from > p_to THEN
        RAISE EXCEPTION 'invalid_request: from and to are required, from no later than to' USING ERRCODE = 'WA002';
    END IF;
    IF p_parts IS NULL OR p_parts NOT BETWEEN 1 AND 256 OR p_part IS NULL OR p_part NOT BETWEEN 0 AND p_parts - 1 THEN
        RAISE EXCEPTION 'invalid_request: parts must be from 1 to 256 and part from 0 to parts - 1' USING ERRCODE = 'WA002';
    END IF;
    IF p_payments IS NULL OR jsonb_typeof(p_payments) <> 'array' OR jsonb_array_length(p_payments) > 100000 THEN
        RAISE EXCEPTION 'invalid_request: payments must be a JSON array of at most 100000 items' USING ERRCODE = 'WA002';
    END IF;
    SELECT x.n, x.value INTO v_bad
    FROM jsonb_array_elements(p_payments) WITH ORDINALITY x (value, n)
    WHERE NOT coalesce(jsonb_typeof(x.value) = 'object'
                       AND jsonb_typeof(x.value -> 'payment_id') = 'string'
                       AND length(x.value ->> 'payment_id') BETWEEN 1 AND 255
                       AND wallet.uuid_or_null(x.value ->> 'user_id') IS NOT NULL
                       AND get_byte(uuid_send(wallet.uuid_or_null(x.value ->> 'user_id')), 15) % p_parts = p_part
                       AND jsonb_typeof(x.value -> 'amount') = 'number' AND x.value ->> 'amount' ~ '^[0-9]{1,16}$'
                       AND (x.value -> 'refunded' IS NULL
                            OR jsonb_typeof(x.value -> 'refunded') = 'number' AND x.value ->> 'refunded' ~ '^[0-9]{1,16}$'),
                       false)
    ORDER BY x.n
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid_request: payment % is not {"payment_id", "user_id", "amount", "refunded"?} of this part',
                        v_bad.n
            USING ERRCODE = 'WA002', DETAIL = format('item %s: %s', v_bad.n, left(v_bad.value::text, 200));
    END IF;

    RETURN QUERY
    WITH payment AS (
        SELECT x.value ->> 'payment_id' AS payment_id, (x.value ->> 'user_id')::uuid AS user_id,
               (x.value ->> 'amount')::bigint AS amount, coalesce((x.value ->> 'refunded')::bigint, 0) AS refunded
        FROM jsonb_array_elements(p_payments) x
    ), matched AS (
        SELECT p.*, e.entry_id, e.account_id, e.amount AS topup_amount,
               (SELECT coalesce(sum(r.amount + r.unrecovered), 0)::bigint FROM wallet.ledger_entries r
                WHERE r.account_id = e.account_id AND r.entry_id > e.entry_id AND r.original_entry_id = e.entry_id
                  AND r.kind = 'refund') AS refund_asked
        FROM payment p
        LEFT JOIN wallet.accounts a ON a.user_id = p.user_id
        LEFT JOIN wallet.ledger_entries e ON e.account_id = a.account_id AND e.idempotency_key = p.payment_id
                                         AND e.kind = 'topup'
    )
    SELECT m.payment_id, m.user_id, 'missing_topup', m.amount, NULL::bigint FROM matched m WHERE m.entry_id IS NULL
    UNION ALL
    SELECT m.payment_id, m.user_id, 'amount_differs', m.amount, m.topup_amount
    FROM matched m WHERE m.entry_id IS NOT NULL AND m.topup_amount <> m.amount
    UNION ALL
    SELECT m.payment_id, m.user_id, 'refund_differs', m.refunded, m.refund_asked
    FROM matched m WHERE m.entry_id IS NOT NULL AND m.refund_asked <> m.refunded
    UNION ALL
    SELECT e.idempotency_key, a.user_id, 'unknown_topup', NULL::bigint, e.amount
    FROM wallet.ledger_entries e
    JOIN wallet.accounts a ON a.account_id = e.account_id
    WHERE e.kind = 'topup' AND e.created_at >= p_from AND e.created_at < p_to
      AND get_byte(uuid_send(a.user_id), 15) % p_parts = p_part
      AND NOT EXISTS (SELECT FROM payment p WHERE p.user_id = a.user_id AND p.payment_id = e.idempotency_key);
END
$$;

REVOKE ALL ON FUNCTION public.wallet_reconcile_payments(timestamptz, timestamptz, jsonb, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_reconcile_payments(timestamptz, timestamptz, jsonb, integer, integer)
    TO wallet_service;
