-- Collection and privacy: the per-guild secret behind anonymous author keys, which strategies the
-- bot posted for a member, and indexes for the retention sweep and the purge of left guilds.

CREATE TABLE guild_secrets (
    guild_id    INTEGER PRIMARY KEY,
    secret      BLOB    NOT NULL,
    created_at  TEXT    NOT NULL
);

-- 1 for strategies the bot posted on the member's behalf ("Share a strategy"): forget-me deletes
-- those messages too, since the member cannot delete the bot's messages themselves.
ALTER TABLE strategies ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;

CREATE INDEX strategies_by_age ON strategies (guild_id, created_at);
CREATE INDEX guild_settings_left ON guild_settings (left_at) WHERE left_at IS NOT NULL;
