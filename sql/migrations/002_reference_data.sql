-- Assets and accounts. The two assets and the Treasury are reference data present in
-- every environment; users are created by wallet_open_account().
CREATE TABLE wallet.asset_types (
    asset_type_id integer PRIMARY KEY,
    code          text NOT NULL UNIQUE CHECK (code ~ '^[A-Z][A-Z0-9_]{0,31}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE wallet.accounts (
    account_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('user', 'system')),
    user_id     uuid UNIQUE,
    system_code text UNIQUE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- a user account is found by its external id, a system account by its code
    CHECK ((kind = 'user') = (user_id IS NOT NULL)),
    CHECK ((kind = 'system') = (system_code IS NOT NULL))
);

INSERT INTO wallet.asset_types (asset_type_id, code, name) VALUES
    (1, 'GOLD', 'Gold Coins'),
    (2, 'POINTS', 'Reward Points');

INSERT INTO wallet.accounts (kind, system_code, name) VALUES ('system', 'treasury', 'Treasury');
