-- The empty-queue notice is sent once per empty spell, not at every missed slot.
ALTER TABLE guild_settings ADD COLUMN empty_queue_notified INTEGER NOT NULL DEFAULT 0;
CREATE INDEX guild_settings_due ON guild_settings (next_post_at) WHERE paused = 0 AND left_at IS NULL;
CREATE INDEX posts_open ON posts (state, guild_id);
