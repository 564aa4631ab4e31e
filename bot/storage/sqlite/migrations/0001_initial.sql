-- Intervision schema v1. Times are ISO 8601 UTC strings; Discord ids are 64-bit integers.

CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY,
    locale              TEXT,
    timezone            TEXT    NOT NULL DEFAULT 'UTC',
    channel_id          INTEGER,
    weekday             INTEGER CHECK (weekday BETWEEN 0 AND 6),
    post_time           TEXT,
    ping_role_id        INTEGER,
    paused              INTEGER NOT NULL DEFAULT 0,
    next_post_at        TEXT,
    endorsement_emoji   TEXT    NOT NULL,
    retention_days      INTEGER CHECK (retention_days > 0),
    left_at             TEXT,
    updated_at          TEXT    NOT NULL
);

CREATE TABLE dilemmas (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    content     TEXT    NOT NULL,  -- JSON: texts per locale, tags, references
    status      TEXT    NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'posted', 'closed', 'skipped')),
    created_at  TEXT    NOT NULL,
    UNIQUE (guild_id, topic)
);
CREATE INDEX dilemmas_queue ON dilemmas (guild_id, status, position);

-- One row per scheduled posting. The row is written (state 'intent', with the nonce) before the
-- message is sent, so a crash between send and record can be reconciled instead of re-posted.
CREATE TABLE posts (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    dilemma_id      INTEGER NOT NULL REFERENCES dilemmas (id) ON DELETE CASCADE,
    slot            TEXT    NOT NULL,
    nonce           TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL CHECK (state IN ('intent', 'open', 'closed')),
    channel_id      INTEGER NOT NULL,
    message_id      INTEGER,
    thread_id       INTEGER UNIQUE,
    last_message_id INTEGER,
    posted_at       TEXT,
    closed_at       TEXT,
    UNIQUE (guild_id, slot)
);
CREATE INDEX posts_by_dilemma ON posts (guild_id, dilemma_id);

-- author_key is 'u:<user id>' or, for anonymous strategies, 'h:<keyed hash>' (no id in clear).
CREATE TABLE strategies (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL UNIQUE,
    author_key  TEXT    NOT NULL,
    author_id   INTEGER,
    anonymous   INTEGER NOT NULL DEFAULT 0,
    text        TEXT    NOT NULL,
    language    TEXT    NOT NULL DEFAULT 'und',
    themes      TEXT    NOT NULL DEFAULT '[]',
    created_at  TEXT    NOT NULL,
    edited_at   TEXT
);
CREATE INDEX strategies_by_post ON strategies (guild_id, post_id);
CREATE INDEX strategies_by_author ON strategies (guild_id, author_key);

CREATE TABLE endorsements (
    strategy_id INTEGER NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    member_key  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (strategy_id, member_key)
);
CREATE INDEX endorsements_by_member ON endorsements (member_key);

CREATE TABLE member_privacy (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    opted_out   INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
