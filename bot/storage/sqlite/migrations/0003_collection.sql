-- Collection and privacy: the per-guild secret behind anonymous author keys, and indexes for the
-- retention sweep and for erasing a member's endorsements.

CREATE TABLE guild_secrets (
    guild_id    INTEGER PRIMARY KEY,
    secret      BLOB    NOT NULL,
    created_at  TEXT    NOT NULL
);

CREATE INDEX strategies_by_age ON strategies (guild_id, created_at);
CREATE INDEX guild_settings_left ON guild_settings (left_at) WHERE left_at IS NOT NULL;
