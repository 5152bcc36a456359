-- The user's statement for the period after p_from up to p_to: per asset the balances
-- at p_from (opening) and at p_to (closing), as wallet_balance_at answers them, and the
-- entries made in between, oldest first, as wallet_history shows them. One JSON
-- document; at most 10,000 entries and 4 MiB of their metadata and keys, so that no
-- answer passes about 8 MB (a longer period is refused: ask for shorter ones).
CREATE OR REPLACE FUNCTION public.wallet_statement(p_user_id uuid, p_from timestamptz, p_to timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'  -- the document's times read the same whoever calls
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_limit      CONSTANT integer := 10000;
    v_byte_limit CONSTANT integer := 4 * 1024 * 1024;
    v_account_id bigint;
    v_entries    jsonb;
    v_count      bigint;
    v_bytes      bigint;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_from >= p_to OR p_from = '-infinity' OR p_to = 'infinity' THEN
        RAISE EXCEPTION 'invalid_request: from and to must be points in time, from before to'
            USING ERRCODE = 'WA002', DETAIL = format('from: %s, to: %s', p_from, p_to);
    END IF;
    v_account_id := wallet.user_account_id(p_user_id);
    SELECT count(*), sum(octet_length(s.metadata::text) + coalesce(octet_length(s.idempotency_key), 0))::bigint, jsonb_agg(jsonb_build_object(
               'entry_id', s.entry_id, 'kind', s.kind, 'asset_type_id', s.asset_type_id, 'amount', s.amount,
               'paid_amount', s.paid_amount, 'free_amount', s.free_amount, 'balance_after', s.balance_after,
               'original_entry_id', s.original_entry_id, 'hold_id', s.hold_id, 'unrecovered', s.unrecovered,
               'idempotency_key', s.idempotency_key, 'metadata', s.metadata, 'created_at', s.created_at)
           ORDER BY s.entry_id)
    INTO v_count, v_bytes, v_entries
    FROM (SELECT e.entry_id, e.kind, e.asset_type_id,
                 CASE WHEN e.credit_account_id = e.account_id THEN e.amount ELSE -e.amount END AS amount,
                 CASE WHEN e.credit_account_id = e.account_id THEN e.paid_amount ELSE -e.paid_amount END AS paid_amount,
                 CASE WHEN e.credit_account_id = e.account_id THEN e.free_amount ELSE -e.free_amount END AS free_amount,
                 e.balance_after, e.original_entry_id, e.hold_id, e.unrecovered, e.idempotency_key, e.metadata,
                 e.created_at
          FROM wallet.ledger_entries e
          WHERE e.account_id = v_account_id AND e.created_at > p_from AND e.created_at <= p_to
          ORDER BY e.entry_id
          LIMIT v_limit + 1) s;
    IF v_count > v_limit THEN
        RAISE EXCEPTION 'invalid_request: more than % entries in the period; ask for a shorter one', v_limit
            USING ERRCODE = 'WA002', DETAIL = format('from: %s, to: %s', p_from, p_to);
    END IF;
    IF v_bytes > v_byte_limit THEN
        RAISE EXCEPTION 'invalid_request: the entries of the period carry more than % bytes of metadata and keys; '
                        'ask for a shorter one', v_byte_limit
            USING ERRCODE = 'WA002', DETAIL = format('from: %s, to: %s', p_from, p_to);
    END IF;
    RETURN jsonb_build_object(
        'user_id', p_user_id, 'from', p_from, 'to', p_to,
        'opening', (SELECT jsonb_agg(to_jsonb(b) ORDER BY b.asset_type_id) FROM public.wallet_balance_at(p_user_id, p_from) b),
        'closing', (SELECT jsonb_agg(to_jsonb(b) ORDER BY b.asset_type_id) FROM public.wallet_balance_at(p_user_id, p_to) b),
        'entries', coalesce(v_entries, '[]'::jsonb));
END
$$;

REVOKE ALL ON FUNCTION public.wallet_statement(uuid, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_statement(uuid, timestamptz, timestamptz) TO wallet_service;
