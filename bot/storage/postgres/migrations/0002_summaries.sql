-- Incremental guidance summaries, kept current by triggers on every insert, edit and delete of
-- a strategy (including cascades and erasure), so /guidance reads a few rows instead of
-- recounting a topic. Same tables and observable counts as SQLite's migration 0004.
--
-- Lock order: every trigger that changes the counts of a (guild, topic) first writes or locks
-- its topic_totals row, so concurrent transactions on one topic queue there (no deadlock).

CREATE TABLE topic_totals (
    guild_id    BIGINT      NOT NULL,
    topic       TEXT        NOT NULL,
    members     INTEGER     NOT NULL DEFAULT 0,
    strategies  INTEGER     NOT NULL DEFAULT 0,
    last_update TIMESTAMPTZ,
    PRIMARY KEY (guild_id, topic)
);

CREATE TABLE topic_members (
    guild_id    BIGINT      NOT NULL,
    topic       TEXT        NOT NULL,
    member      TEXT        NOT NULL,
    strategies  INTEGER     NOT NULL,
    PRIMARY KEY (guild_id, topic, member)
);

CREATE TABLE topic_theme_members (
    guild_id    BIGINT      NOT NULL,
    topic       TEXT        NOT NULL,
    theme       TEXT        NOT NULL,
    member      TEXT        NOT NULL,
    strategies  INTEGER     NOT NULL,
    PRIMARY KEY (guild_id, topic, theme, member)
);

CREATE TABLE topic_theme_totals (
    guild_id    BIGINT      NOT NULL,
    topic       TEXT        NOT NULL,
    theme       TEXT        NOT NULL,
    members     INTEGER     NOT NULL,
    PRIMARY KEY (guild_id, topic, theme)
);

-- Sentences of a strategy that express a theme, already masked for personal data.
CREATE TABLE quote_candidates (
    strategy_id  BIGINT  NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    guild_id     BIGINT  NOT NULL,
    topic        TEXT    NOT NULL,
    theme        TEXT    NOT NULL,
    sentence     TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    endorsements INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (strategy_id, theme)
);
CREATE INDEX quote_rank ON quote_candidates (guild_id, topic, theme, endorsements DESC);
CREATE INDEX quote_rank_language
    ON quote_candidates (guild_id, topic, theme, language, endorsements DESC);

-- Members per topic and per theme: a first strategy adds the member, the last one removes them.
CREATE FUNCTION topic_members_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO topic_totals (guild_id, topic, members) VALUES (NEW.guild_id, NEW.topic, 1)
    ON CONFLICT (guild_id, topic) DO UPDATE SET members = topic_totals.members + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER topic_members_added AFTER INSERT ON topic_members
    FOR EACH ROW EXECUTE FUNCTION topic_members_added();

CREATE FUNCTION topic_members_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE topic_totals SET members = members - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic;
    RETURN NULL;
END
$$;
CREATE TRIGGER topic_members_removed AFTER DELETE ON topic_members
    FOR EACH ROW EXECUTE FUNCTION topic_members_removed();

CREATE FUNCTION theme_members_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO topic_theme_totals (guild_id, topic, theme, members)
    VALUES (NEW.guild_id, NEW.topic, NEW.theme, 1)
    ON CONFLICT (guild_id, topic, theme) DO UPDATE SET members = topic_theme_totals.members + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER theme_members_added AFTER INSERT ON topic_theme_members
    FOR EACH ROW EXECUTE FUNCTION theme_members_added();

CREATE FUNCTION theme_members_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE topic_theme_totals SET members = members - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic AND theme = OLD.theme;
    DELETE FROM topic_theme_totals
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic AND theme = OLD.theme AND members <= 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER theme_members_removed AFTER DELETE ON topic_theme_members
    FOR EACH ROW EXECUTE FUNCTION theme_members_removed();

-- The strategy's topic is its post's dilemma's topic, fixed at insert.
CREATE FUNCTION strategy_topic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT d.topic INTO NEW.topic
    FROM posts p JOIN dilemmas d ON d.id = p.dilemma_id WHERE p.id = NEW.post_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER strategy_topic BEFORE INSERT ON strategies
    FOR EACH ROW EXECUTE FUNCTION strategy_topic();

-- A strategy counts once per topic, and once per (distinct) theme it carries, for its member.
CREATE FUNCTION strategy_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who TEXT := COALESCE(NEW.member_key, NEW.author_key);
BEGIN
    IF NEW.topic IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO topic_totals (guild_id, topic, strategies, last_update)
    VALUES (NEW.guild_id, NEW.topic, 1, COALESCE(NEW.edited_at, NEW.created_at))
    ON CONFLICT (guild_id, topic) DO UPDATE SET
        strategies = topic_totals.strategies + 1,
        last_update = GREATEST(topic_totals.last_update, EXCLUDED.last_update);
    INSERT INTO topic_members (guild_id, topic, member, strategies)
    VALUES (NEW.guild_id, NEW.topic, who, 1)
    ON CONFLICT (guild_id, topic, member) DO UPDATE SET strategies = topic_members.strategies + 1;
    INSERT INTO topic_theme_members (guild_id, topic, theme, member, strategies)
    SELECT NEW.guild_id, NEW.topic, t.theme, who, 1
    FROM (SELECT DISTINCT unnest(NEW.themes) AS theme) t
    ON CONFLICT (guild_id, topic, theme, member) DO UPDATE SET
        strategies = topic_theme_members.strategies + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER strategy_counted AFTER INSERT ON strategies
    FOR EACH ROW EXECUTE FUNCTION strategy_counted();

-- Take one strategy's member and themes out of the counts of its topic.
CREATE FUNCTION strategy_uncount(
    p_guild BIGINT, p_topic TEXT, p_member TEXT, p_themes TEXT[]
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE topic_theme_members SET strategies = strategies - 1
    WHERE guild_id = p_guild AND topic = p_topic AND member = p_member
      AND theme = ANY (p_themes);
    DELETE FROM topic_theme_members
    WHERE guild_id = p_guild AND topic = p_topic AND member = p_member AND strategies <= 0;
    UPDATE topic_members SET strategies = strategies - 1
    WHERE guild_id = p_guild AND topic = p_topic AND member = p_member;
    DELETE FROM topic_members
    WHERE guild_id = p_guild AND topic = p_topic AND member = p_member AND strategies <= 0;
END
$$;

CREATE FUNCTION strategy_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE topic_totals SET strategies = strategies - 1
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic;
    PERFORM strategy_uncount(
        OLD.guild_id, OLD.topic, COALESCE(OLD.member_key, OLD.author_key), OLD.themes
    );
    RETURN NULL;
END
$$;
CREATE TRIGGER strategy_uncounted AFTER DELETE ON strategies
    FOR EACH ROW WHEN (OLD.topic IS NOT NULL) EXECUTE FUNCTION strategy_uncounted();

-- An edit re-counts the strategy's themes (and its member, should that change).
CREATE FUNCTION strategy_recounted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who TEXT := COALESCE(NEW.member_key, NEW.author_key);
BEGIN
    PERFORM 1 FROM topic_totals
    WHERE guild_id = OLD.guild_id AND topic = OLD.topic FOR UPDATE;
    PERFORM strategy_uncount(
        OLD.guild_id, OLD.topic, COALESCE(OLD.member_key, OLD.author_key), OLD.themes
    );
    INSERT INTO topic_members (guild_id, topic, member, strategies)
    VALUES (NEW.guild_id, OLD.topic, who, 1)
    ON CONFLICT (guild_id, topic, member) DO UPDATE SET strategies = topic_members.strategies + 1;
    INSERT INTO topic_theme_members (guild_id, topic, theme, member, strategies)
    SELECT NEW.guild_id, OLD.topic, t.theme, who, 1
    FROM (SELECT DISTINCT unnest(NEW.themes) AS theme) t
    ON CONFLICT (guild_id, topic, theme, member) DO UPDATE SET
        strategies = topic_theme_members.strategies + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER strategy_recounted AFTER UPDATE OF themes, member_key, author_key ON strategies
    FOR EACH ROW
    WHEN (OLD.topic IS NOT NULL AND (OLD.themes IS DISTINCT FROM NEW.themes
          OR OLD.member_key IS DISTINCT FROM NEW.member_key
          OR OLD.author_key IS DISTINCT FROM NEW.author_key))
    EXECUTE FUNCTION strategy_recounted();

-- Fires before strategy_recounted (triggers of one event fire in name order): it locks the
-- topic_totals row first.
CREATE FUNCTION strategy_edited() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE topic_totals SET last_update = GREATEST(last_update, NEW.edited_at)
    WHERE guild_id = NEW.guild_id AND topic = OLD.topic;
    RETURN NULL;
END
$$;
CREATE TRIGGER strategy_edited AFTER UPDATE OF edited_at ON strategies
    FOR EACH ROW WHEN (OLD.topic IS NOT NULL AND NEW.edited_at IS NOT NULL)
    EXECUTE FUNCTION strategy_edited();

CREATE FUNCTION endorsement_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE quote_candidates SET endorsements = endorsements + 1
    WHERE strategy_id = NEW.strategy_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER endorsement_added AFTER INSERT ON endorsements
    FOR EACH ROW EXECUTE FUNCTION endorsement_added();

CREATE FUNCTION endorsement_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE quote_candidates SET endorsements = endorsements - 1
    WHERE strategy_id = OLD.strategy_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER endorsement_removed AFTER DELETE ON endorsements
    FOR EACH ROW EXECUTE FUNCTION endorsement_removed();
