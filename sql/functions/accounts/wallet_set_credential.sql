-- A login: a user's (subject: the user's uuid; the account must exist and not be erased),
-- a service's (subject: its client id, with its scopes) or a member of staff's for the
-- support console (subject: their name, with their scopes), with the argon2 hash of its
-- secret (hashed by the operator's command, wallet_api.credentials). Setting it again
-- replaces the secret and scopes, and tokens issued before stop working
-- (wallet_credential_valid_since). The owner's call: no role is granted it. Through the
-- router it runs on the subject's shard.
CREATE OR REPLACE FUNCTION public.wallet_set_credential(p_kind text, p_subject text, p_secret_hash text,
                                                        p_scopes text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('user', 'service', 'staff') THEN
        RAISE EXCEPTION 'invalid_request: kind must be user, service or staff' USING ERRCODE = 'WA002';
    END IF;
    IF p_subject IS NULL OR length(p_subject) NOT BETWEEN 1 AND 255
       OR p_kind = 'user' AND wallet.uuid_or_null(p_subject)::text IS DISTINCT FROM p_subject THEN
        RAISE EXCEPTION 'invalid_request: the subject must be 1 to 255 characters, a user''s its uuid in lower case'
            USING ERRCODE = 'WA002';
    END IF;
    IF p_kind = 'user' THEN
        SELECT a.status INTO v_status FROM wallet.accounts a WHERE a.user_id = p_subject::uuid;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account_not_found: no account for user %', p_subject
                USING ERRCODE = 'WA003', HINT = 'Open it with wallet_open_account().';
        END IF;
        IF v_status = 'erased' THEN  -- an erased person logs in no more (wallet_erase_user)
            RAISE EXCEPTION 'account_not_active: the account of user % is erased', p_subject
                USING ERRCODE = 'WA011', DETAIL = 'status: erased';
        END IF;
    END IF;
    INSERT INTO wallet.credentials AS c (kind, subject, secret_hash, scopes)
    VALUES (p_kind, p_subject, p_secret_hash, CASE p_kind WHEN 'user' THEN '{}' ELSE coalesce(p_scopes, '{}') END)
    ON CONFLICT (kind, subject) DO UPDATE
    SET secret_hash = excluded.secret_hash, scopes = excluded.scopes, valid_since = now();
END
$$;

REVOKE ALL ON FUNCTION public.wallet_set_credential(text, text, text, text[]) FROM PUBLIC;
