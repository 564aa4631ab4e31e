-- Incremental guidance summaries. Triggers keep per-topic counts current on every insert, edit
-- and delete of a strategy (including cascades and erasure), so /guidance reads a few rows
-- instead of recounting a topic.
--
-- member_key identifies a member for "distinct members" counts: the keyed hash of the member,
-- the same for their anonymous and named strategies (NULL falls back to author_key).
-- topic is copied onto the strategy at insert, so that deletes can be counted even when the
-- post row is going away in the same statement.

ALTER TABLE strategies ADD COLUMN member_key TEXT;
ALTER TABLE strategies ADD COLUMN topic TEXT;

CREATE TABLE topic_totals (
    guild_id    INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    members     INTEGER NOT NULL DEFAULT 0,
    strategies  INTEGER NOT NULL DEFAULT 0,
    last_update TEXT,
    PRIMARY KEY (guild_id, topic)
) WITHOUT ROWID;

CREATE TABLE topic_members (
    guild_id    INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    member      TEXT    NOT NULL,
    strategies  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, topic, member)
) WITHOUT ROWID;

CREATE TABLE topic_theme_members (
    guild_id    INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    theme       TEXT    NOT NULL,
    member      TEXT    NOT NULL,
    strategies  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, topic, theme, member)
) WITHOUT ROWID;

CREATE TABLE topic_theme_totals (
    guild_id    INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    theme       TEXT    NOT NULL,
    members     INTEGER NOT NULL,
    PRIMARY KEY (guild_id, topic, theme)
) WITHOUT ROWID;

-- Sentences of a strategy that express a theme, already masked for personal data.
CREATE TABLE quote_candidates (
    strategy_id  INTEGER NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL,
    topic        TEXT    NOT NULL,
    theme        TEXT    NOT NULL,
    sentence     TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    endorsements INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (strategy_id, theme)
);
CREATE INDEX quote_rank ON quote_candidates (guild_id, topic, theme, endorsements DESC);

-- Members per topic and per theme: a first strategy adds the member, the last one removes them.
CREATE TRIGGER topic_members_added AFTER INSERT ON topic_members BEGIN
    INSERT INTO topic_totals (guild_id, topic, members) VALUES (NEW.guild_id, NEW.topic, 1)
    ON CONFLICT (guild_id, topic) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER topic_members_removed AFTER DELETE ON topic_members BEGIN
    UPDATE topic_totals SET members = members - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic;
END;

CREATE TRIGGER theme_members_added AFTER INSERT ON topic_theme_members BEGIN
    INSERT INTO topic_theme_totals (guild_id, topic, theme, members)
    VALUES (NEW.guild_id, NEW.topic, NEW.theme, 1)
    ON CONFLICT (guild_id, topic, theme) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER theme_members_removed AFTER DELETE ON topic_theme_members BEGIN
    UPDATE topic_theme_totals SET members = members - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic AND theme = OLD.theme;
    DELETE FROM topic_theme_totals
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic AND theme = OLD.theme AND members <= 0;
END;

-- A strategy counts once per topic, once per theme it carries, for its member.
CREATE TRIGGER strategy_counted AFTER INSERT ON strategies BEGIN
    UPDATE strategies SET topic = (
        SELECT d.topic FROM posts p JOIN dilemmas d ON d.id = p.dilemma_id WHERE p.id = NEW.post_id
    ) WHERE id = NEW.id;
    INSERT INTO topic_totals (guild_id, topic, strategies, last_update)
    SELECT NEW.guild_id, s.topic, 1, COALESCE(NEW.edited_at, NEW.created_at)
    FROM strategies s WHERE s.id = NEW.id
    ON CONFLICT (guild_id, topic) DO UPDATE SET
        strategies = strategies + 1,
        last_update = MAX(COALESCE(last_update, ''), excluded.last_update);
    INSERT INTO topic_members (guild_id, topic, member, strategies)
    SELECT NEW.guild_id, s.topic, COALESCE(NEW.member_key, NEW.author_key), 1
    FROM strategies s WHERE s.id = NEW.id
    ON CONFLICT (guild_id, topic, member) DO UPDATE SET strategies = strategies + 1;
    INSERT INTO topic_theme_members (guild_id, topic, theme, member, strategies)
    SELECT NEW.guild_id, s.topic, j.value, COALESCE(NEW.member_key, NEW.author_key), 1
    FROM strategies s, json_each(NEW.themes) j WHERE s.id = NEW.id
    ON CONFLICT (guild_id, topic, theme, member) DO UPDATE SET strategies = strategies + 1;
END;

CREATE TRIGGER strategy_uncounted AFTER DELETE ON strategies WHEN OLD.topic IS NOT NULL BEGIN
    UPDATE topic_totals SET strategies = strategies - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic;
    UPDATE topic_members SET strategies = strategies - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key);
    DELETE FROM topic_members
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key) AND strategies <= 0;
    UPDATE topic_theme_members SET strategies = strategies - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key)
      AND theme IN (SELECT value FROM json_each(OLD.themes));
    DELETE FROM topic_theme_members
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key) AND strategies <= 0;
END;

-- An edit re-counts the strategy's themes (and its member, should that change).
CREATE TRIGGER strategy_recounted AFTER UPDATE OF themes, member_key, author_key ON strategies
WHEN OLD.topic IS NOT NULL BEGIN
    UPDATE topic_theme_members SET strategies = strategies - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key)
      AND theme IN (SELECT value FROM json_each(OLD.themes));
    DELETE FROM topic_theme_members
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key) AND strategies <= 0;
    UPDATE topic_members SET strategies = strategies - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key);
    DELETE FROM topic_members
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic
      AND member = COALESCE(OLD.member_key, OLD.author_key) AND strategies <= 0;
    INSERT INTO topic_members (guild_id, topic, member, strategies)
    VALUES (NEW.guild_id, OLD.topic, COALESCE(NEW.member_key, NEW.author_key), 1)
    ON CONFLICT (guild_id, topic, member) DO UPDATE SET strategies = strategies + 1;
    INSERT INTO topic_theme_members (guild_id, topic, theme, member, strategies)
    SELECT NEW.guild_id, OLD.topic, j.value, COALESCE(NEW.member_key, NEW.author_key), 1
    FROM json_each(NEW.themes) j
    WHERE true
    ON CONFLICT (guild_id, topic, theme, member) DO UPDATE SET strategies = strategies + 1;
END;

CREATE TRIGGER strategy_edited AFTER UPDATE OF edited_at ON strategies
WHEN OLD.topic IS NOT NULL AND NEW.edited_at IS NOT NULL BEGIN
    UPDATE topic_totals SET last_update = MAX(COALESCE(last_update, ''), NEW.edited_at)
    WHERE guild_id = NEW.guild_id AND topic = OLD.topic;
END;

CREATE TRIGGER endorsement_added AFTER INSERT ON endorsements BEGIN
    UPDATE quote_candidates SET endorsements = endorsements + 1
    WHERE strategy_id = NEW.strategy_id;
END;

CREATE TRIGGER endorsement_removed AFTER DELETE ON endorsements BEGIN
    UPDATE quote_candidates SET endorsements = endorsements - 1
    WHERE strategy_id = OLD.strategy_id;
END;

CREATE INDEX quote_rank_language ON quote_candidates (guild_id, topic, theme, language, endorsements DESC);
