-- The worker talks to outside receivers, so it must not be able to post: it stops being
-- a member of wallet_service and is granted only the functions it calls (wallet_expire,
-- wallet_notify_events and the webhook functions, in their files).
REVOKE wallet_service FROM wallet_worker;
