-- Development credentials (argon2id hashes of the dev passwords in README.md). Loaded
-- after dev.sql; on shards, into every shard (each subject is read from its own).
INSERT INTO wallet.credentials (kind, subject, secret_hash, scopes) VALUES
    ('user', '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32',
     '$argon2id$v=19$m=65536,t=3,p=4$b9pWoCZ60Tib9twP1lRTjw$bEu4s9NRbob/+/vWjqzqeLXsjNikgEVRQ7GswhjFp6w', '{}'),
    ('user', 'b55709be-d0f6-467e-942c-cc04155ad54c',
     '$argon2id$v=19$m=65536,t=3,p=4$YKgBeMKhHXCCJI4nhOASJw$eNMDNmPGQ4acNr/Ww8wZoGAI/MX9LNMRJsICSrIOWbw', '{}'),
    ('service', 'payments',
     '$argon2id$v=19$m=65536,t=3,p=4$2SFCVxVvzFFeUHYPv2FB5w$izp+G6ME0u/dB/vM+ZnNldRcmwN+TQQRGQ8ItbkBgBw',
     '{wallet:topup,wallet:refund,wallet:read}'),
    ('service', 'rewards',
     '$argon2id$v=19$m=65536,t=3,p=4$ipMe4JacU9ptwfgs4sV9uA$laHOtOsEFkm4qZOvF6llw788Ex8hxU8KLpEinzBCem4',
     '{wallet:bonus,wallet:read}'),
    ('service', 'game',
     '$argon2id$v=19$m=65536,t=3,p=4$vOhALKklV7heUOMgQbFgIQ$8HTRunSwWqBOthkNDP7PxnLOqivKXYsDlFv4FrFdbUs',
     '{wallet:spend,wallet:hold,wallet:reverse,wallet:transfer,wallet:exchange,accounts:write,accounts:read,wallet:read}'),
    ('service', 'finance',
     '$argon2id$v=19$m=65536,t=3,p=4$UAdxQa/Ymq7rLf8LMPCteg$20HNGWAwhYcpRyy41Btv5lHgaJVSh589heEssjInUoQ',
     '{reports:read,wallet:read}'),
    ('service', 'support',
     '$argon2id$v=19$m=65536,t=3,p=4$Qls9QcB8ywX0NOrwIITDUQ$U8KnKPb6W90Knq2HUDzrArud1cddPEcf42lTTVlT6zE',
     '{accounts:read,accounts:admin,wallet:read}')
ON CONFLICT (kind, subject) DO UPDATE SET secret_hash = excluded.secret_hash, scopes = excluded.scopes;
