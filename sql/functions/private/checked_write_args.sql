-- The arguments every write takes, checked one way for all of them: the amount, the
-- idempotency key (visible ASCII only, as an HTTP header carries it, so one key has one
-- spelling; not '^[!-~]{1,255}$', whose bounded repetition costs about 100 times as
-- much) and the metadata. Returns the metadata, '{}' for NULL. Called as a plain
-- expression (no query).
CREATE OR REPLACE FUNCTION wallet.checked_write_args(p_amount bigint, p_idempotency_key text, p_metadata jsonb)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_amount IS NULL OR p_amount NOT BETWEEN 1 AND 9007199254740991 THEN
        RAISE EXCEPTION 'invalid_amount: amount must be an integer from 1 to 9007199254740991'
            USING ERRCODE = 'WA001', DETAIL = format('amount: %s', coalesce(p_amount::text, 'null'));
    END IF;
    IF p_idempotency_key IS NULL OR octet_length(p_idempotency_key) NOT BETWEEN 1 AND 255
       OR p_idempotency_key ~ '[^!-~]' THEN
        RAISE EXCEPTION 'invalid_request: idempotency key must be 1 to 255 visible ASCII characters (! to ~)'
            USING ERRCODE = 'WA002';
    END IF;
    IF p_metadata IS NULL THEN
        RETURN '{}'::jsonb;
    END IF;
    IF jsonb_typeof(p_metadata) <> 'object' OR octet_length(p_metadata::text) > 4096 THEN
        RAISE EXCEPTION 'invalid_request: metadata must be a JSON object of at most 4 KiB'
            USING ERRCODE = 'WA002';
    END IF;
    RETURN p_metadata;
END
$$;

REVOKE ALL ON FUNCTION wallet.checked_write_args(bigint, text, jsonb) FROM PUBLIC;
