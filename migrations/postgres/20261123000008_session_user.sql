-- Who is signed in to a session, as a column beside the session's data, so
-- a request reads its session, user and role grants in one statement (a
-- join). Written with the data on every save; the data stays the authority
-- (a mismatch reads as signed out). No foreign key: a session of a user who
-- no longer exists simply finds nobody.

ALTER TABLE sessions ADD COLUMN user_id BIGINT;

-- Sessions open at the upgrade keep their user (the data is JSON written
-- by Slipway).
UPDATE sessions SET user_id = (data::jsonb #>> '{user,user_id}')::bigint
WHERE (data::jsonb #>> '{user,user_id}') ~ '^-?[0-9]{1,18}$';
