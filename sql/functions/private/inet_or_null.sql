-- The address a text spells (IPv4 or IPv6, no mask), or NULL if it spells none: a
-- webhook URL's host is a name or an address.
CREATE OR REPLACE FUNCTION wallet.inet_or_null(p_text text) RETURNS inet
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_text IS NULL OR p_text !~ '^[0-9a-f.:]+$' THEN  -- a name: no cast, no subtransaction
        RETURN NULL;
    END IF;
    BEGIN
        RETURN host(p_text::inet)::inet;
    EXCEPTION WHEN invalid_text_representation THEN
        RETURN NULL;
    END;
END
$$;

REVOKE ALL ON FUNCTION wallet.inet_or_null(text) FROM PUBLIC;
