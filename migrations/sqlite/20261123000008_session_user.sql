-- Who is signed in to a session, as a column beside the session's data, so
-- a request reads its session, user and role grants in one statement (a
-- join). Written with the data on every save; the data stays the authority
-- (a mismatch reads as signed out). No foreign key: a session of a user who
-- no longer exists simply finds nobody.

ALTER TABLE sessions ADD COLUMN user_id INTEGER;

-- Sessions open at the upgrade keep their user.
UPDATE sessions SET user_id = json_extract(data, '$.user.user_id')
WHERE json_valid(data) AND json_type(data, '$.user.user_id') = 'integer';
