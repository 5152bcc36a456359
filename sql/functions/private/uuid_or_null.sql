-- The uuid a text spells (any spelling PostgreSQL reads: braces, upper case, no
-- hyphens), or NULL if it spells none. Lets wallet_post_batch order items by the uuid
-- value before each item's own checks run.
CREATE OR REPLACE FUNCTION wallet.uuid_or_null(p_text text) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    -- the usual spelling without the subtransaction an exception block costs; each hex
    -- digit made 0 and the pattern compared, as a regex with bounded repetitions costs
    -- about 100 times as much
    IF translate(p_text, '123456789abcdefABCDEF', '000000000000000000000') = '00000000-0000-0000-0000-000000000000' THEN
        RETURN p_text::uuid;
    END IF;
    BEGIN
        RETURN p_text::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        RETURN NULL;
    END;
END
$$;

REVOKE ALL ON FUNCTION wallet.uuid_or_null(text) FROM PUBLIC;
