-- Intervision schema for PostgreSQL. Discord ids are BIGINT, instants TIMESTAMPTZ (returned as
-- aware UTC datetimes), flags BOOLEAN. Mirrors the SQLite schema at its migration 0004.

CREATE TABLE guild_settings (
    guild_id             BIGINT      PRIMARY KEY,
    locale               TEXT,
    timezone             TEXT        NOT NULL DEFAULT 'UTC',
    channel_id           BIGINT,
    weekday              SMALLINT    CHECK (weekday BETWEEN 0 AND 6),
    post_time            TEXT,       -- 'HH:MM', local to the guild's time zone
    ping_role_id         BIGINT,
    paused               BOOLEAN     NOT NULL DEFAULT false,
    next_post_at         TIMESTAMPTZ,
    endorsement_emoji    TEXT        NOT NULL,
    retention_days       INTEGER     CHECK (retention_days > 0),
    left_at              TIMESTAMPTZ,
    empty_queue_notified BOOLEAN     NOT NULL DEFAULT false,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX guild_settings_due ON guild_settings (next_post_at)
    WHERE NOT paused AND left_at IS NULL;
CREATE INDEX guild_settings_left ON guild_settings (left_at) WHERE left_at IS NOT NULL;

CREATE TABLE dilemmas (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT      NOT NULL,
    topic       TEXT        NOT NULL,
    position    INTEGER     NOT NULL,
    content     JSON        NOT NULL,  -- texts per locale, tags, references, themes (kept verbatim)
    status      TEXT        NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'posted', 'closed', 'skipped')),
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (guild_id, topic)
);
CREATE INDEX dilemmas_queue ON dilemmas (guild_id, status, position);

-- One row per posting, written (state 'intent', with the nonce) before the message is sent.
-- UNIQUE (guild_id, slot) is what makes a slot claimable once, whatever the number of processes.
CREATE TABLE posts (
    id              BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id        BIGINT      NOT NULL,
    dilemma_id      BIGINT      NOT NULL REFERENCES dilemmas (id) ON DELETE CASCADE,
    slot            TIMESTAMPTZ NOT NULL,
    nonce           TEXT        NOT NULL UNIQUE,
    state           TEXT        NOT NULL CHECK (state IN ('intent', 'open', 'closed')),
    channel_id      BIGINT      NOT NULL,
    message_id      BIGINT,
    thread_id       BIGINT      UNIQUE,
    last_message_id BIGINT,
    posted_at       TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ,
    UNIQUE (guild_id, slot)
);
CREATE INDEX posts_by_dilemma ON posts (guild_id, dilemma_id);
CREATE INDEX posts_open ON posts (state, guild_id);

-- author_key is 'u:<user id>' or, for anonymous strategies, 'h:<keyed hash>'. member_key is the
-- key a member is counted under; topic is copied from the post's dilemma at insert (a trigger).
CREATE TABLE strategies (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT      NOT NULL,
    post_id     BIGINT      NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    message_id  BIGINT      NOT NULL UNIQUE,
    author_key  TEXT        NOT NULL,
    author_id   BIGINT,
    anonymous   BOOLEAN     NOT NULL DEFAULT false,
    text        TEXT        NOT NULL,
    language    TEXT        NOT NULL DEFAULT 'und',
    themes      TEXT[]      NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL,
    edited_at   TIMESTAMPTZ,
    shared      BOOLEAN     NOT NULL DEFAULT false,
    member_key  TEXT,
    topic       TEXT
);
CREATE INDEX strategies_by_post ON strategies (guild_id, post_id);
CREATE INDEX strategies_by_author ON strategies (guild_id, author_key);
CREATE INDEX strategies_by_age ON strategies (guild_id, created_at);

CREATE TABLE endorsements (
    strategy_id BIGINT      NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    member_key  TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (strategy_id, member_key)
);
CREATE INDEX endorsements_by_member ON endorsements (member_key);

CREATE TABLE member_privacy (
    guild_id    BIGINT      NOT NULL,
    user_id     BIGINT      NOT NULL,
    opted_out   BOOLEAN     NOT NULL DEFAULT false,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE guild_secrets (
    guild_id    BIGINT      PRIMARY KEY,
    secret      BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
