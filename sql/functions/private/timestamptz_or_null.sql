-- The moment a text spells, or NULL if it spells none PostgreSQL reads. Lets
-- wallet_post_batch judge an item's expires_at before deciding how to post it.
CREATE OR REPLACE FUNCTION wallet.timestamptz_or_null(p_text text) RETURNS timestamptz
LANGUAGE plpgsql STABLE  -- the reading depends on the session's time zone, as the cast does
AS $$
BEGIN
    IF p_text IS NULL THEN  -- the usual case, without the subtransaction an exception block costs
        RETURN NULL;
    END IF;
    BEGIN
        RETURN p_text::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RETURN NULL;
    END;
END
$$;

REVOKE ALL ON FUNCTION wallet.timestamptz_or_null(text) FROM PUBLIC;
