/* schema.c: versioned schema migrations for both back ends. Each migration is SQL written once
 * with @ID@ (auto-increment key), @BLOB@ (binary) and @NOROWID@ (SQLite's WITHOUT ROWID for
 * tables keyed by their primary key) markers that become the back end's forms,
 * plus a part for each back end (triggers differ). Applied in a transaction, recorded in
 * schema_migrations. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

typedef struct {
    int version;
    const char *common, *sqlite, *pg;
} migration;

/* What a migration does in C, between its common and its back end's SQL, in its transaction. */
static ad_code make_instance(ad_store *st, ad_err *err);
static const struct {
    int version;
    ad_code (*fn)(ad_store *st, ad_err *err);
} steps[] = {{8, make_instance}};

/* The records that cross instances carry a global id (docs/store.md "Global ids"): a unique
 * gid column, filled for a new row by a trigger as "<instance uuid>:<kind>:<id>" unless the
 * row came with one (a record imported from another instance keeps its origin's). */
#define GID_COLUMN(t) "ALTER TABLE " t " ADD COLUMN gid TEXT;" \
    "CREATE UNIQUE INDEX " t "_gid ON " t "(gid);"
#define GID_FILL(t, kind) "UPDATE " t " SET gid = (SELECT uuid FROM instance) || ':' || " kind \
    " || ':' || id WHERE gid IS NULL;"
#define GID_SQLITE(t, kind) GID_FILL(t, kind) \
    "CREATE TRIGGER " t "_gid AFTER INSERT ON " t " WHEN NEW.gid IS NULL BEGIN" \
    " UPDATE " t " SET gid = (SELECT uuid FROM instance) || ':' || " kind " || ':' || NEW.id" \
    " WHERE id = NEW.id; END;"
#define GID_PG(t, kind) GID_FILL(t, kind) \
    "CREATE TRIGGER " t "_gid BEFORE INSERT ON " t " FOR EACH ROW EXECUTE FUNCTION ad_gid(" \
    kind ");"

/* Federation's change log (schema 12): a row per change of a shareable record, unless a peer's
 * change set is being applied (those travel as their origin's change sets). */
#define FED_WHEN " WHEN (SELECT fed_applying FROM instance WHERE id = 1) = 0"
#define FED_SQ(name, event, extra, values) \
    "CREATE TRIGGER fed_" name " AFTER " event FED_WHEN extra \
    " BEGIN INSERT INTO change_log (kind, a, b, time) VALUES (" values \
    ", CAST(strftime('%s','now') AS INTEGER)); END;"
#define FED_PG(table, event, kind) \
    "CREATE TRIGGER fed_" table " AFTER " event " ON " table \
    " FOR EACH ROW EXECUTE FUNCTION ad_change_log('" kind "');"

static const migration migrations[] = {
    {1,
     "CREATE TABLE agency (id @ID@, name TEXT NOT NULL UNIQUE, country TEXT,"
     " kind TEXT NOT NULL CHECK (kind IN ('police','hotline','platform','hub')),"
     " created BIGINT NOT NULL);"
     "CREATE TABLE users (id @ID@, agency_id BIGINT NOT NULL REFERENCES agency(id),"
     " name TEXT NOT NULL UNIQUE,"
     " role TEXT NOT NULL CHECK (role IN ('admin','investigator','analyst','platform','auditor')),"
     " key_id TEXT NOT NULL UNIQUE, key_salt @BLOB@ NOT NULL, key_hash @BLOB@ NOT NULL,"
     " created BIGINT NOT NULL, revoked BIGINT NOT NULL DEFAULT 0);"
     "CREATE TABLE media (id @ID@, sha256 @BLOB@, md5 @BLOB@, sha1 @BLOB@, size BIGINT,"
     " mime TEXT, width BIGINT, height BIGINT, duration_ms BIGINT, pdq @BLOB@,"
     " pdq_quality BIGINT, photodna @BLOB@, flags BIGINT NOT NULL DEFAULT 0,"
     " created BIGINT NOT NULL, updated BIGINT NOT NULL);"
     "CREATE UNIQUE INDEX media_sha256 ON media(sha256) WHERE sha256 IS NOT NULL;"
     "CREATE INDEX media_md5 ON media(md5) WHERE md5 IS NOT NULL;"
     "CREATE INDEX media_sha1 ON media(sha1) WHERE sha1 IS NOT NULL;"
     "CREATE INDEX media_pdq ON media(pdq) WHERE pdq IS NOT NULL;"
     "CREATE TABLE media_frame (id @ID@, media_id BIGINT NOT NULL REFERENCES media(id),"
     " frame BIGINT NOT NULL, ts_ms BIGINT, quality BIGINT, pdq @BLOB@ NOT NULL,"
     " UNIQUE (media_id, frame));"
     "CREATE TABLE cases (id @ID@, agency_id BIGINT NOT NULL REFERENCES agency(id),"
     " number TEXT NOT NULL, title TEXT,"
     " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),"
     " opened BIGINT NOT NULL, UNIQUE (agency_id, number));"
     "CREATE TABLE sighting (id @ID@, media_id BIGINT NOT NULL REFERENCES media(id),"
     " agency_id BIGINT REFERENCES agency(id), case_id BIGINT REFERENCES cases(id),"
     " exhibit TEXT, path TEXT, mtime BIGINT, ctime BIGINT, atime BIGINT, btime BIGINT,"
     " parent_path TEXT, inner_path TEXT, size BIGINT, ingested BIGINT NOT NULL,"
     " user_id BIGINT REFERENCES users(id), job_id TEXT);"
     "CREATE INDEX sighting_media ON sighting(media_id);"
     "CREATE TABLE series (id @ID@, name TEXT NOT NULL UNIQUE,"
     " owner_agency_id BIGINT REFERENCES agency(id), contact TEXT,"
     " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),"
     " created BIGINT NOT NULL);"
     "CREATE TABLE series_media (series_id BIGINT NOT NULL REFERENCES series(id),"
     " media_id BIGINT NOT NULL REFERENCES media(id), added BIGINT NOT NULL,"
     " PRIMARY KEY (series_id, media_id))@NOROWID@;"
     "CREATE INDEX series_media_media ON series_media(media_id);"
     "CREATE TABLE person (id @ID@, kind TEXT NOT NULL CHECK (kind IN ('victim','offender')),"
     " code TEXT NOT NULL, series_id BIGINT NOT NULL REFERENCES series(id),"
     " identified BIGINT NOT NULL DEFAULT 0, identified_by BIGINT REFERENCES agency(id),"
     " identified_at BIGINT, country TEXT, created BIGINT NOT NULL, UNIQUE (kind, code));"
     "CREATE INDEX person_series ON person(series_id);"
     "CREATE TABLE vote (id @ID@, media_id BIGINT NOT NULL REFERENCES media(id),"
     " scheme TEXT NOT NULL, code TEXT NOT NULL, agency_id BIGINT REFERENCES agency(id),"
     " voter TEXT NOT NULL, created BIGINT NOT NULL);"
     "CREATE INDEX vote_media ON vote(media_id, scheme);"
     "CREATE TABLE trusted_category (media_id BIGINT NOT NULL REFERENCES media(id),"
     " scheme TEXT NOT NULL, code TEXT NOT NULL, since BIGINT NOT NULL,"
     " PRIMARY KEY (media_id, scheme))@NOROWID@;"
     "CREATE TABLE category_map (from_scheme TEXT NOT NULL, from_code TEXT NOT NULL,"
     " to_scheme TEXT NOT NULL, to_code TEXT NOT NULL,"
     " PRIMARY KEY (from_scheme, from_code, to_scheme));"
     "INSERT INTO category_map VALUES ('dhs','1','vics-us','1'),('dhs','2','vics-us','2'),"
     " ('dhs','3','vics-us','3'),('dhs','4','vics-us','4'),('dhs','5','vics-us','0'),"
     " ('vics-us','0','dhs','5'),('vics-us','1','dhs','1'),('vics-us','2','dhs','2'),"
     " ('vics-us','3','dhs','3'),('vics-us','4','dhs','4'),"
     " ('uk','A','vics-us','1'),('uk','B','vics-us','1'),('uk','C','vics-us','1'),"
     " ('baseline','1','vics-us','1');"
     "CREATE TABLE note (id @ID@,"
     " object_type TEXT NOT NULL CHECK (object_type IN "
     "('media','series','victim','offender','case')),"
     " object_id BIGINT NOT NULL, agency_id BIGINT REFERENCES agency(id), author TEXT NOT NULL,"
     " body TEXT NOT NULL, created BIGINT NOT NULL);"
     "CREATE INDEX note_object ON note(object_type, object_id);"
     "CREATE TABLE clue (id @ID@,"
     " object_type TEXT NOT NULL CHECK (object_type IN "
     "('media','series','victim','offender','case')),"
     " object_id BIGINT NOT NULL, kind TEXT NOT NULL CHECK (kind IN"
     " ('camera','serial','gps','time','object','language','other')),"
     " value TEXT NOT NULL, agency_id BIGINT REFERENCES agency(id), author TEXT NOT NULL,"
     " created BIGINT NOT NULL);"
     "CREATE INDEX clue_object ON clue(object_type, object_id);"
     "CREATE TABLE hash_list (id @ID@, name TEXT NOT NULL UNIQUE, description TEXT, source TEXT,"
     " agency_id BIGINT REFERENCES agency(id), created BIGINT NOT NULL);"
     "CREATE TABLE list_entry (list_id BIGINT NOT NULL REFERENCES hash_list(id),"
     " media_id BIGINT NOT NULL REFERENCES media(id), added BIGINT NOT NULL,"
     " PRIMARY KEY (list_id, media_id))@NOROWID@;"
     "CREATE INDEX list_entry_media ON list_entry(media_id);"
     "CREATE TABLE audit (seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, who TEXT NOT NULL,"
     " agency_id BIGINT, action TEXT NOT NULL, object TEXT, detail TEXT,"
     " prev @BLOB@ NOT NULL, hash @BLOB@ NOT NULL);"
     "CREATE TABLE audit_head (id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL,"
     " hash @BLOB@);"
     "INSERT INTO audit_head (id, seq) VALUES (1, 0);",
     /* SQLite: the audit is append-only */
     "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
     " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
     "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
     " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;",
     /* PostgreSQL */
     "CREATE FUNCTION ad_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
     " $$ BEGIN RAISE EXCEPTION 'audit is append-only'; END $$;"
     "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
     " FOR EACH ROW EXECUTE FUNCTION ad_audit_append_only();"},
    {2,
     /* ingest jobs and their items (triage): resume, errors, the match behind each class */
     "CREATE TABLE ingest_job (id TEXT PRIMARY KEY, case_id BIGINT REFERENCES cases(id),"
     " agency_id BIGINT REFERENCES agency(id), exhibit TEXT, roots TEXT, options TEXT,"
     " who TEXT, status TEXT NOT NULL CHECK (status IN ('running','done')),"
     " started BIGINT NOT NULL, finished BIGINT);"
     "CREATE INDEX ingest_job_case ON ingest_job(case_id);"
     "CREATE TABLE ingest_item (job_id TEXT NOT NULL REFERENCES ingest_job(id),"
     " key TEXT NOT NULL, ordinal BIGINT NOT NULL, path TEXT NOT NULL,"
     " sighting_id BIGINT REFERENCES sighting(id), media_id BIGINT REFERENCES media(id),"
     " error_code TEXT, error_message TEXT, match_media_id BIGINT REFERENCES media(id),"
     " match_kind TEXT, match_distance BIGINT, match_variant BIGINT, match_ranges TEXT,"
     " PRIMARY KEY (job_id, key))@NOROWID@;",
     "SELECT 1;", "SELECT 1;"},
    {3,
     /* the audit head is guarded too: it moves only forward, one row at a time, to the hash of
      * the last row; rows are appended at the head only; neither table can be emptied. What
      * these guards stop, and what they do not, is in docs/store.md ("Audit chain"). */
     "SELECT 1;",
     /* SQLite */
     "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head"
     " BEGIN SELECT RAISE(ABORT, 'the audit head cannot be deleted'); END;"
     "CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head"
     " WHEN NOT (NEW.id = OLD.id AND ((NEW.seq = OLD.seq + 1 AND NEW.hash IS OLD.hash) OR"
     " (NEW.seq = OLD.seq AND EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq"
     " AND hash = NEW.hash))))"
     " BEGIN SELECT RAISE(ABORT, 'the audit head moves only forward, to the last row'); END;"
     "CREATE TRIGGER audit_linear BEFORE INSERT ON audit"
     " WHEN NEW.seq IS NOT (SELECT seq FROM audit_head WHERE id = 1) OR NEW.prev IS NOT"
     " COALESCE((SELECT hash FROM audit_head WHERE id = 1), zeroblob(32))"
     " BEGIN SELECT RAISE(ABORT, 'audit rows are appended at the head only'); END;",
     /* PostgreSQL: row triggers do not fire on TRUNCATE, statement triggers do */
     "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
     " FOR EACH STATEMENT EXECUTE FUNCTION ad_audit_append_only();"
     "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head"
     " FOR EACH STATEMENT EXECUTE FUNCTION ad_audit_append_only();"
     "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head"
     " FOR EACH ROW EXECUTE FUNCTION ad_audit_append_only();"
     "CREATE FUNCTION ad_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
     " IF NEW.id = OLD.id AND ((NEW.seq = OLD.seq + 1 AND NEW.hash IS NOT DISTINCT FROM OLD.hash)"
     " OR (NEW.seq = OLD.seq AND EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq"
     " AND hash = NEW.hash))) THEN RETURN NEW; END IF;"
     " RAISE EXCEPTION 'the audit head moves only forward, to the last row'; END $$;"
     "CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head"
     " FOR EACH ROW EXECUTE FUNCTION ad_audit_head_forward();"
     "CREATE FUNCTION ad_audit_linear() RETURNS trigger LANGUAGE plpgsql AS $$"
     " DECLARE hs BIGINT; hh BYTEA; BEGIN"
     " SELECT seq, hash INTO hs, hh FROM audit_head WHERE id = 1;"
     " IF NEW.seq = hs AND NEW.prev = COALESCE(hh, decode(repeat('00', 32), 'hex'))"
     " THEN RETURN NEW; END IF;"
     " RAISE EXCEPTION 'audit rows are appended at the head only'; END $$;"
     "CREATE TRIGGER audit_linear BEFORE INSERT ON audit"
     " FOR EACH ROW EXECUTE FUNCTION ad_audit_linear();"},
    {4,
     /* lookups read the matches recorded for a media (ad_store_media_matches) */
     "CREATE INDEX ingest_item_media ON ingest_item(media_id) WHERE match_media_id IS NOT NULL;"
     "CREATE INDEX ingest_item_match ON ingest_item(match_media_id)"
     " WHERE match_media_id IS NOT NULL;",
     "SELECT 1;", "SELECT 1;"},
    {5,
     /* thumbnails made at ingest from the bytes that were hashed: agency evidence, one per
      * media and agency (docs/store.md "Thumbnails") */
     "CREATE TABLE media_thumb (media_id BIGINT NOT NULL REFERENCES media(id),"
     " agency_id BIGINT NOT NULL REFERENCES agency(id), jpeg @BLOB@ NOT NULL,"
     " width BIGINT NOT NULL, height BIGINT NOT NULL, frame_ms BIGINT, job_id TEXT,"
     " created BIGINT NOT NULL, PRIMARY KEY (media_id, agency_id));",
     "SELECT 1;", "SELECT 1;"},
    {6,
     /* the server's records (issue 12, docs/server.md): keys that expire; the lists a platform
      * agency matches against; notes and clues private to their agency; a case's files read
      * a page at a time (by job and walk order); platforms' feedback on matched list entries
      * and the entries held back from platform matches until their owner confirms them */
     "ALTER TABLE users ADD COLUMN expires BIGINT NOT NULL DEFAULT 0;"
     "CREATE TABLE list_grant (list_id BIGINT NOT NULL REFERENCES hash_list(id),"
     " agency_id BIGINT NOT NULL REFERENCES agency(id), granted BIGINT NOT NULL,"
     " granted_by TEXT, PRIMARY KEY (list_id, agency_id))@NOROWID@;"
     "CREATE INDEX list_grant_agency ON list_grant(agency_id);"
     "ALTER TABLE note ADD COLUMN private BIGINT NOT NULL DEFAULT 0;"
     "ALTER TABLE clue ADD COLUMN private BIGINT NOT NULL DEFAULT 0;"
     "CREATE INDEX ingest_item_ordinal ON ingest_item(job_id, ordinal);"
     "CREATE TABLE entry_feedback (id @ID@, list_id BIGINT NOT NULL REFERENCES hash_list(id),"
     " media_id BIGINT NOT NULL REFERENCES media(id), agency_id BIGINT REFERENCES agency(id),"
     " user_id BIGINT REFERENCES users(id), who TEXT NOT NULL,"
     " verdict TEXT NOT NULL CHECK (verdict IN ('confirmed','false_positive')),"
     " created BIGINT NOT NULL);"
     "CREATE INDEX entry_feedback_entry ON entry_feedback(list_id, media_id);"
     "CREATE TABLE entry_hold (list_id BIGINT NOT NULL REFERENCES hash_list(id),"
     " media_id BIGINT NOT NULL REFERENCES media(id), held BIGINT NOT NULL, reason TEXT,"
     " released BIGINT NOT NULL DEFAULT 0, released_by TEXT,"
     " PRIMARY KEY (list_id, media_id))@NOROWID@;",
     "SELECT 1;", "SELECT 1;"},
    {7,
     /* index_log: what a live index (src/live) follows. Triggers append a row in the writer's
      * own transaction for every change a server's index needs: a new media or new digests
      * or PDQ of one ('media', id), a new video frame ('frame', id), a list entry added or
      * removed ('entry', list, media), a grant given or revoked ('grant', list, agency), a
      * hold set or released ('hold', list, media), a list created or renamed ('list', id).
      * A row names what changed; the follower reads its state as it stands (applying is
      * idempotent). Writers are serialised from the start of their transaction, so seq order
      * is commit order (docs/store.md, "The index log"). */
     "CREATE TABLE index_log (seq @ID@, kind TEXT NOT NULL, a BIGINT NOT NULL,"
     " b BIGINT NOT NULL DEFAULT 0);",
     /* SQLite */
     "CREATE TRIGGER ix_media_ins AFTER INSERT ON media"
     " BEGIN INSERT INTO index_log (kind, a) VALUES ('media', NEW.id); END;"
     "CREATE TRIGGER ix_media_upd AFTER UPDATE OF sha256, md5, sha1, pdq ON media"
     " WHEN NEW.sha256 IS NOT OLD.sha256 OR NEW.md5 IS NOT OLD.md5 OR NEW.sha1 IS NOT OLD.sha1"
     " OR NEW.pdq IS NOT OLD.pdq"
     " BEGIN INSERT INTO index_log (kind, a) VALUES ('media', NEW.id); END;"
     "CREATE TRIGGER ix_frame_ins AFTER INSERT ON media_frame"
     " BEGIN INSERT INTO index_log (kind, a) VALUES ('frame', NEW.id); END;"
     "CREATE TRIGGER ix_entry_ins AFTER INSERT ON list_entry"
     " BEGIN INSERT INTO index_log (kind, a, b) VALUES ('entry', NEW.list_id, NEW.media_id);"
     " END;"
     "CREATE TRIGGER ix_entry_del AFTER DELETE ON list_entry"
     " BEGIN INSERT INTO index_log (kind, a, b) VALUES ('entry', OLD.list_id, OLD.media_id);"
     " END;"
     "CREATE TRIGGER ix_grant_ins AFTER INSERT ON list_grant"
     " BEGIN INSERT INTO index_log (kind, a, b) VALUES ('grant', NEW.list_id, NEW.agency_id);"
     " END;"
     "CREATE TRIGGER ix_grant_del AFTER DELETE ON list_grant"
     " BEGIN INSERT INTO index_log (kind, a, b) VALUES ('grant', OLD.list_id, OLD.agency_id);"
     " END;"
     "CREATE TRIGGER ix_hold_ins AFTER INSERT ON entry_hold"
     " BEGIN INSERT INTO index_log (kind, a, b) VALUES ('hold', NEW.list_id, NEW.media_id);"
     " END;"
     "CREATE TRIGGER ix_hold_upd AFTER UPDATE ON entry_hold"
     " BEGIN INSERT INTO index_log (kind, a, b) VALUES ('hold', NEW.list_id, NEW.media_id);"
     " END;"
     "CREATE TRIGGER ix_list_ins AFTER INSERT ON hash_list"
     " BEGIN INSERT INTO index_log (kind, a) VALUES ('list', NEW.id); END;"
     "CREATE TRIGGER ix_list_upd AFTER UPDATE ON hash_list"
     " BEGIN INSERT INTO index_log (kind, a) VALUES ('list', NEW.id); END;",
     /* PostgreSQL: one function for every table; pg_notify wakes the followers at commit
      * (notifications of one transaction with the same payload are sent once) */
     "CREATE FUNCTION ad_index_log() RETURNS trigger LANGUAGE plpgsql AS $$"
     " DECLARE r RECORD; BEGIN"
     " IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;"
     " IF TG_TABLE_NAME = 'media' THEN"
     "  IF TG_OP = 'UPDATE' AND NEW.sha256 IS NOT DISTINCT FROM OLD.sha256"
     "   AND NEW.md5 IS NOT DISTINCT FROM OLD.md5 AND NEW.sha1 IS NOT DISTINCT FROM OLD.sha1"
     "   AND NEW.pdq IS NOT DISTINCT FROM OLD.pdq THEN RETURN NULL; END IF;"
     "  INSERT INTO index_log (kind, a) VALUES ('media', r.id);"
     " ELSIF TG_TABLE_NAME = 'media_frame' THEN"
     "  INSERT INTO index_log (kind, a) VALUES ('frame', r.id);"
     " ELSIF TG_TABLE_NAME = 'list_entry' THEN"
     "  INSERT INTO index_log (kind, a, b) VALUES ('entry', r.list_id, r.media_id);"
     " ELSIF TG_TABLE_NAME = 'list_grant' THEN"
     "  INSERT INTO index_log (kind, a, b) VALUES ('grant', r.list_id, r.agency_id);"
     " ELSIF TG_TABLE_NAME = 'entry_hold' THEN"
     "  INSERT INTO index_log (kind, a, b) VALUES ('hold', r.list_id, r.media_id);"
     " ELSIF TG_TABLE_NAME = 'hash_list' THEN"
     "  INSERT INTO index_log (kind, a) VALUES ('list', r.id);"
     " END IF;"
     " PERFORM pg_notify('ariadne_index', '');"
     " RETURN NULL; END $$;"
     "CREATE TRIGGER ix_media AFTER INSERT OR UPDATE ON media"
     " FOR EACH ROW EXECUTE FUNCTION ad_index_log();"
     "CREATE TRIGGER ix_frame AFTER INSERT ON media_frame"
     " FOR EACH ROW EXECUTE FUNCTION ad_index_log();"
     "CREATE TRIGGER ix_entry AFTER INSERT OR DELETE ON list_entry"
     " FOR EACH ROW EXECUTE FUNCTION ad_index_log();"
     "CREATE TRIGGER ix_grant AFTER INSERT OR DELETE ON list_grant"
     " FOR EACH ROW EXECUTE FUNCTION ad_index_log();"
     "CREATE TRIGGER ix_hold AFTER INSERT OR UPDATE ON entry_hold"
     " FOR EACH ROW EXECUTE FUNCTION ad_index_log();"
     "CREATE TRIGGER ix_list AFTER INSERT OR UPDATE ON hash_list"
     " FOR EACH ROW EXECUTE FUNCTION ad_index_log();"},
    {8,
     /* global ids (issue 12): this database's UUID, and a gid on every record that crosses
      * instances; existing rows get theirs here, new ones from the triggers */
     "CREATE TABLE instance (id BIGINT PRIMARY KEY CHECK (id = 1), uuid TEXT NOT NULL,"
     " created BIGINT NOT NULL);" GID_COLUMN("media") GID_COLUMN("series") GID_COLUMN("person")
         GID_COLUMN("hash_list") GID_COLUMN("vote") GID_COLUMN("note") GID_COLUMN("clue"),
     GID_SQLITE("media", "'media'") GID_SQLITE("series", "'series'")
         GID_SQLITE("person", "kind") GID_SQLITE("hash_list", "'list'")
             GID_SQLITE("vote", "'vote'") GID_SQLITE("note", "'note'")
                 GID_SQLITE("clue", "'clue'"),
     "CREATE FUNCTION ad_gid() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
     " IF NEW.gid IS NULL THEN NEW.gid := (SELECT uuid FROM instance) || ':' ||"
     " CASE WHEN TG_ARGV[0] = 'person' THEN (to_jsonb(NEW) ->> 'kind') ELSE TG_ARGV[0] END"
     " || ':' || NEW.id; END IF; RETURN NEW; END $$;"
     GID_PG("media", "'media'") GID_PG("series", "'series'")
         "UPDATE person SET gid = (SELECT uuid FROM instance) || ':' || kind || ':' || id"
         " WHERE gid IS NULL;"
         "CREATE TRIGGER person_gid BEFORE INSERT ON person FOR EACH ROW EXECUTE FUNCTION"
         " ad_gid('person');" GID_PG("hash_list", "'list'") GID_PG("vote", "'vote'")
             GID_PG("note", "'note'") GID_PG("clue", "'clue'")},
    {9,
     /* hashes beside the plain PDQ (issue 13, docs/store.md "Extra hashes"): the trimmed PDQ
      * of a picture or frame with a border, a picture's area PDQ; frame -1 = the media's own */
     "CREATE TABLE media_hash (media_id BIGINT NOT NULL REFERENCES media(id),"
     " frame BIGINT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('trim', 'area')),"
     " pdq @BLOB@ NOT NULL, quality BIGINT, cx BIGINT, cy BIGINT, cw BIGINT, ch BIGINT,"
     " PRIMARY KEY (media_id, frame, kind))@NOROWID@;",
     "SELECT 1;", "SELECT 1;"},
    {10,
     /* local features (issue 13, docs/features.md): one compact row per image media */
     "CREATE TABLE media_feature (media_id BIGINT PRIMARY KEY REFERENCES media(id),"
     " version BIGINT NOT NULL, points BIGINT NOT NULL, data @BLOB@ NOT NULL,"
     " created BIGINT NOT NULL);"
     /* what ingest found by them: a copy (the file was classed by it) or the same scene (a
      * possible link, for a person to confirm) */
     "CREATE TABLE feature_match (id @ID@, job_id TEXT NOT NULL,"
     " media_id BIGINT NOT NULL REFERENCES media(id),"
     " known_media_id BIGINT NOT NULL REFERENCES media(id),"
     " kind TEXT NOT NULL CHECK (kind IN ('copy','scene')), how TEXT NOT NULL,"
     " inliers BIGINT NOT NULL, matches BIGINT NOT NULL, region_known TEXT NOT NULL,"
     " region_query TEXT NOT NULL, created BIGINT NOT NULL);"
     "CREATE INDEX feature_match_job ON feature_match(job_id, media_id);"
     "CREATE INDEX feature_match_media ON feature_match(media_id);",
     "SELECT 1;", "SELECT 1;"},
    {11,
     /* the web interface (issue 14): a user's password (libsodium's Argon2id string), per-user
      * wellness preferences (JSON), and sign-in sessions, kept by a BLAKE2b digest of
      * their token only (docs/web.md) */
     "ALTER TABLE users ADD COLUMN pw_hash TEXT;"
     "ALTER TABLE users ADD COLUMN prefs TEXT;"
     "CREATE TABLE web_session (token_hash @BLOB@ PRIMARY KEY,"
     " user_id BIGINT NOT NULL REFERENCES users(id), created BIGINT NOT NULL,"
     " last_seen BIGINT NOT NULL, ended BIGINT NOT NULL DEFAULT 0)@NOROWID@;"
     "CREATE INDEX web_session_user ON web_session(user_id);",
     "SELECT 1;", "SELECT 1;"},
    {12,
     /* federation (issue 15, docs/federation.md): the instance's name and Ed25519 public key
      * (the secret key is in a file, never here); peers trusted by key; change_log, what
      * changed in a shareable record (written by triggers, suppressed while a peer's change
      * set is applied: instance.fed_applying); change sets, own and received, kept byte for
      * byte; what was sent to each peer; the audit heads received (witness); the origin of
      * an identification (monotonic: only it may retract). */
     "ALTER TABLE instance ADD COLUMN name TEXT;"
     "ALTER TABLE instance ADD COLUMN pubkey TEXT;"
     "ALTER TABLE instance ADD COLUMN fed_applying BIGINT NOT NULL DEFAULT 0;"
     "ALTER TABLE person ADD COLUMN identified_origin TEXT;"
     "ALTER TABLE person ADD COLUMN retracted_at BIGINT;"
     "CREATE TABLE fed_peer (id @ID@, name TEXT NOT NULL UNIQUE, url TEXT,"
     " pubkey TEXT NOT NULL UNIQUE, scope TEXT NOT NULL CHECK (scope IN ('national','hub')),"
     " origin TEXT, added BIGINT NOT NULL);"
     "CREATE TABLE change_log (id @ID@, kind TEXT NOT NULL, a BIGINT NOT NULL,"
     " b BIGINT NOT NULL DEFAULT 0, time BIGINT NOT NULL, seq BIGINT);"
     "CREATE INDEX change_log_pending ON change_log(id) WHERE seq IS NULL;"
     "CREATE TABLE change_set (id TEXT PRIMARY KEY, origin TEXT NOT NULL,"
     " first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL, bytes @BLOB@ NOT NULL,"
     " received BIGINT NOT NULL, UNIQUE (origin, first_seq));"
     "CREATE TABLE fed_sent (peer_id BIGINT NOT NULL REFERENCES fed_peer(id) ON DELETE CASCADE,"
     " origin TEXT NOT NULL, last_seq BIGINT NOT NULL, PRIMARY KEY (peer_id, origin));"
     "CREATE TABLE witness (origin TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL,"
     " received BIGINT NOT NULL);"
     "CREATE TABLE fed_witnessed (peer_id BIGINT PRIMARY KEY REFERENCES fed_peer(id)"
     " ON DELETE CASCADE, seq BIGINT NOT NULL, hash TEXT NOT NULL, manifest @BLOB@ NOT NULL,"
     " received BIGINT NOT NULL);"
     /* what existed before federation is shared like what comes after */
     "INSERT INTO change_log (kind, a, b, time) SELECT 'media', id, 0, created FROM media;"
     "INSERT INTO change_log (kind, a, b, time) SELECT 'series', id, 0, created FROM series;"
     "INSERT INTO change_log (kind, a, b, time)"
     " SELECT 'link', series_id, media_id, added FROM series_media;"
     "INSERT INTO change_log (kind, a, b, time) SELECT 'person', id, 0, created FROM person;"
     "INSERT INTO change_log (kind, a, b, time) SELECT 'vote', id, 0, created FROM vote;"
     "INSERT INTO change_log (kind, a, b, time)"
     " SELECT 'note', id, 0, created FROM note WHERE private = 0;"
     "INSERT INTO change_log (kind, a, b, time)"
     " SELECT 'clue', id, 0, created FROM clue WHERE private = 0;",
     /* SQLite: one trigger per table and event */
     FED_SQ("media_ins", "INSERT ON media", "", "'media', NEW.id, 0")
     FED_SQ("media_upd", "UPDATE OF sha256, md5, sha1, pdq, size, mime ON media", "",
            "'media', NEW.id, 0")
     FED_SQ("series_ins", "INSERT ON series", "", "'series', NEW.id, 0")
     FED_SQ("series_upd", "UPDATE ON series", "", "'series', NEW.id, 0")
     FED_SQ("link_ins", "INSERT ON series_media", "", "'link', NEW.series_id, NEW.media_id")
     FED_SQ("person_ins", "INSERT ON person", "", "'person', NEW.id, 0")
     FED_SQ("person_upd", "UPDATE ON person", "", "'person', NEW.id, 0")
     FED_SQ("vote_ins", "INSERT ON vote", "", "'vote', NEW.id, 0")
     FED_SQ("note_ins", "INSERT ON note", " AND NEW.private = 0", "'note', NEW.id, 0")
     FED_SQ("clue_ins", "INSERT ON clue", " AND NEW.private = 0", "'clue', NEW.id, 0"),
     /* PostgreSQL: one function for every table */
     "CREATE FUNCTION ad_change_log() RETURNS trigger LANGUAGE plpgsql AS $$"
     " BEGIN"
     " IF (SELECT fed_applying FROM instance WHERE id = 1) <> 0 THEN RETURN NULL; END IF;"
     " IF TG_TABLE_NAME = 'series_media' THEN"
     "  INSERT INTO change_log (kind, a, b, time) VALUES ('link', NEW.series_id, NEW.media_id,"
     "  CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));"
     " ELSE"
     "  IF TG_TABLE_NAME IN ('note', 'clue') THEN"
     "   IF (to_jsonb(NEW) ->> 'private') <> '0' THEN RETURN NULL; END IF;"
     "  END IF;"
     "  INSERT INTO change_log (kind, a, time) VALUES (TG_ARGV[0], NEW.id,"
     "  CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));"
     " END IF;"
     " RETURN NULL; END $$;"
     FED_PG("media", "INSERT OR UPDATE OF sha256, md5, sha1, pdq, size, mime", "media")
     FED_PG("series", "INSERT OR UPDATE", "series")
     FED_PG("series_media", "INSERT", "link")
     FED_PG("person", "INSERT OR UPDATE", "person")
     FED_PG("vote", "INSERT", "vote")
     FED_PG("note", "INSERT", "note")
     FED_PG("clue", "INSERT", "clue")},
    {13,
     /* 13: the web1 branch's. Undo in the review queue (issue 14, docs/store.md "Votes"): a
      * vote is withdrawn by a new row of the same person naming the gid of the vote it
      * withdraws; nothing is deleted or rewritten. A withdrawal is a vote row, so the change
      * log's vote trigger shares it like the vote (docs/federation.md). */
     "ALTER TABLE vote ADD COLUMN withdraws TEXT;"
     "CREATE INDEX vote_withdraws ON vote(withdraws);",
     "SELECT 1;", "SELECT 1;"},
    {14,
     /* a case's files counted by the media their match decided by, failures apart, from the
      * index alone (the case page's summary, src/store/case_summary.c) */
     "CREATE INDEX ingest_item_tally ON ingest_item(job_id, match_media_id, media_id,"
     " error_code);"
     /* the candidate groups of a case's new material as last computed, for the current jobs
      * and clues that `key` names (derived, local agency evidence: paths) */
     "CREATE TABLE case_groups (case_id BIGINT PRIMARY KEY REFERENCES cases(id),"
     " key TEXT NOT NULL, doc TEXT NOT NULL, head TEXT NOT NULL, made BIGINT NOT NULL);"
     /* a finished job's files counted per media their match decided by (0: new, -1: failures),
      * written when it finishes (ad_store_job_finish); jobs finished before, here */
     "CREATE TABLE job_tally (job_id TEXT NOT NULL REFERENCES ingest_job(id),"
     " media_id BIGINT NOT NULL, files BIGINT NOT NULL, PRIMARY KEY (job_id, media_id))"
     "@NOROWID@;"
     "INSERT INTO job_tally (job_id, media_id, files) SELECT j.id, -1, (SELECT COUNT(*) FROM"
     " ingest_item i WHERE i.job_id = j.id AND (i.error_code IS NOT NULL OR i.media_id IS"
     " NULL)) FROM ingest_job j WHERE j.status = 'done';"
     "INSERT INTO job_tally (job_id, media_id, files) SELECT i.job_id,"
     " COALESCE(i.match_media_id, 0), COUNT(*) FROM ingest_item i JOIN ingest_job j ON"
     " j.id = i.job_id WHERE j.status = 'done' AND i.error_code IS NULL AND i.media_id IS NOT"
     " NULL GROUP BY i.job_id, COALESCE(i.match_media_id, 0);",
     "SELECT 1;", "SELECT 1;"},
    {15,
     /* owners merging two series (issue 15, docs/federation.md "Merging two series"): series
      * `from` merged into series `into` once the owner of each has consented (its agency and
      * when; NULL: not yet). Shared knowledge: carried by the change log ('merge'); a row is
      * never deleted */
     "CREATE TABLE series_merge (id @ID@, from_id BIGINT NOT NULL REFERENCES series(id),"
     " into_id BIGINT NOT NULL REFERENCES series(id),"
     " from_agency_id BIGINT REFERENCES agency(id), from_at BIGINT,"
     " into_agency_id BIGINT REFERENCES agency(id), into_at BIGINT, created BIGINT NOT NULL,"
     " UNIQUE (from_id, into_id), CHECK (from_id <> into_id));"
     "CREATE INDEX series_merge_into ON series_merge(into_id);",
     FED_SQ("merge_ins", "INSERT ON series_merge", "", "'merge', NEW.id, 0")
     FED_SQ("merge_upd", "UPDATE ON series_merge", "", "'merge', NEW.id, 0"),
     FED_PG("series_merge", "INSERT OR UPDATE", "merge")},
    {16,
     /* federation policy per peer (docs/federation.md "Policy per peer"): the kinds sent to
      * and accepted from each peer (NULL: every shareable kind); the kinds in each change set
      * (one per set from this schema on; NULL: a set cut before it, of mixed kinds); the sets
      * this instance holds the place of without their changes (withheld by a sender's policy
      * or refused by this instance's), so that an origin's chain continues past them; a new
      * video frame logs its media (the frames travel in the media change). */
     "ALTER TABLE fed_peer ADD COLUMN send_kinds TEXT;"
     "ALTER TABLE fed_peer ADD COLUMN accept_kinds TEXT;"
     "ALTER TABLE change_set ADD COLUMN kinds TEXT;"
     "CREATE TABLE fed_withheld (id TEXT PRIMARY KEY, origin TEXT NOT NULL,"
     " origin_key TEXT NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,"
     " prev TEXT, kinds TEXT, received BIGINT NOT NULL, UNIQUE (origin, first_seq));",
     FED_SQ("frame_ins", "INSERT ON media_frame", "", "'media', NEW.media_id, 0"),
     "CREATE FUNCTION ad_change_log_frame() RETURNS trigger LANGUAGE plpgsql AS $$"
     " BEGIN"
     " IF (SELECT fed_applying FROM instance WHERE id = 1) <> 0 THEN RETURN NULL; END IF;"
     " INSERT INTO change_log (kind, a, time) VALUES ('media', NEW.media_id,"
     " CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));"
     " RETURN NULL; END $$;"
     "CREATE TRIGGER fed_media_frame AFTER INSERT ON media_frame"
     " FOR EACH ROW EXECUTE FUNCTION ad_change_log_frame();"},
    {17,
     /* the live index follows the extra hashes too (issue 13): a trimmed or area PDQ written
      * ('trim' or 'area', media, frame number or -1) appends an index log row, so a server
      * running while ingest writes them can match a bordered or turned copy at once. The rows
      * already there are read by the live index's load. */
     "SELECT 1;",
     "CREATE TRIGGER ix_mhash_ins AFTER INSERT ON media_hash"
     " BEGIN INSERT INTO index_log (kind, a, b) VALUES (NEW.kind, NEW.media_id, NEW.frame);"
     " END;",
     "CREATE FUNCTION ad_index_log_extra() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
     " INSERT INTO index_log (kind, a, b) VALUES (NEW.kind, NEW.media_id, NEW.frame);"
     " PERFORM pg_notify('ariadne_index', '');"
     " RETURN NULL; END $$;"
     "CREATE TRIGGER ix_mhash AFTER INSERT ON media_hash"
     " FOR EACH ROW EXECUTE FUNCTION ad_index_log_extra();"},
    {18,
     /* 18: the unlink branch's. A series' media unlinked (issue 14, docs/store.md "Unlinking
      * a series' media"): nothing is deleted. A link has a generation (1 when first made); an
      * unlink is an append-only row naming the generation it withdraws, with who and when and
      * a gid of its own; a link re-made after an unlink takes the next generation and counts
      * again. Every reader of series membership reads series_media_live. Shared knowledge:
      * the unlink row travels as change kind 'unlink', a re-made link as 'link' (with its
      * generation), docs/federation.md "Unlinking". */
     "ALTER TABLE series_media ADD COLUMN gen BIGINT NOT NULL DEFAULT 1;"
     "CREATE TABLE series_unlink (id @ID@, gid TEXT, series_id BIGINT NOT NULL"
     " REFERENCES series(id), media_id BIGINT NOT NULL REFERENCES media(id),"
     " gen BIGINT NOT NULL, agency_id BIGINT REFERENCES agency(id), author TEXT NOT NULL,"
     " created BIGINT NOT NULL);"
     "CREATE UNIQUE INDEX series_unlink_gid ON series_unlink(gid);"
     "CREATE INDEX series_unlink_link ON series_unlink(series_id, media_id, gen);"
     "CREATE VIEW series_media_live AS SELECT sm.series_id, sm.media_id, sm.added, sm.gen"
     " FROM series_media sm WHERE NOT EXISTS (SELECT 1 FROM series_unlink u WHERE"
     " u.series_id = sm.series_id AND u.media_id = sm.media_id AND u.gen >= sm.gen);",
     GID_SQLITE("series_unlink", "'unlink'")
     FED_SQ("unlink_ins", "INSERT ON series_unlink", "", "'unlink', NEW.id, 0")
     FED_SQ("link_gen", "UPDATE OF gen ON series_media", "",
            "'link', NEW.series_id, NEW.media_id"),
     GID_PG("series_unlink", "'unlink'")
     FED_PG("series_unlink", "INSERT", "unlink")
     "CREATE TRIGGER fed_series_media_gen AFTER UPDATE OF gen ON series_media"
     " FOR EACH ROW EXECUTE FUNCTION ad_change_log('link');"},
    {19,
     /* the media without a SHA-256 (imported from MD5 or SHA-1 lists; usually none): a batch
      * upsert asks whether there is any before it looks its records up by their other
      * digests (src/store/media.c) */
     "CREATE INDEX media_bare ON media(id) WHERE sha256 IS NULL;",
     "SELECT 1;", "SELECT 1;"},
    {20,
     /* the cut's mark (docs/federation.md "The change log"): the change log is cut up to
      * fed_cut.upto, so a cut reads the pending rows as a range of ids from there; the partial
      * index of pending rows goes (marking a million rows cut rewrote each one's entry in it:
      * two thirds of the marking's time). `seq` is still set on the rows cut. Local. */
     "DROP INDEX change_log_pending;"
     "CREATE TABLE fed_cut (id BIGINT PRIMARY KEY CHECK (id = 1), upto BIGINT NOT NULL);"
     "INSERT INTO fed_cut (id, upto) SELECT 1, COALESCE((SELECT MIN(id) - 1 FROM change_log"
     " WHERE seq IS NULL), (SELECT MAX(id) FROM change_log), 0);",
     "SELECT 1;", "SELECT 1;"},
    {21,
     /* a video's keyframes (issue 13, docs/features.md "Videos"): the local features of up to
      * 8 distinct frames, each in media_feature's stored form, indexed beside the pictures'.
      * Local, like media_feature (docs/federation.md). */
     "CREATE TABLE media_keyframe (media_id BIGINT NOT NULL REFERENCES media(id),"
     " k BIGINT NOT NULL, frame BIGINT NOT NULL, timestamp_ms BIGINT NOT NULL,"
     " version BIGINT NOT NULL, points BIGINT NOT NULL, data @BLOB@ NOT NULL,"
     " created BIGINT NOT NULL, PRIMARY KEY (media_id, k));",
     "SELECT 1;", "SELECT 1;"},
    {22,
     /* change sets kept compressed (docs/federation.md "Stored form"): `bytes` is a zstd frame
      * of the set's canonical bytes when `codec` is 'zstd' (raw when NULL: the sets kept
      * before), `len` the canonical length (what a bundle's manifest says). Local: the wire
      * carries the canonical bytes. */
     "ALTER TABLE change_set ADD COLUMN len BIGINT;"
     "ALTER TABLE change_set ADD COLUMN codec TEXT;"
     "UPDATE change_set SET len = length(bytes);"
     /* the request size a peer took after refusing a larger one (HTTP 413), and when it was
      * learned: a push starts there (docs/federation.md "Transport"). Local. */
     "ALTER TABLE fed_peer ADD COLUMN push_max BIGINT;"
     "ALTER TABLE fed_peer ADD COLUMN push_max_at BIGINT;",
     "SELECT 1;", "SELECT 1;"},
    /* 23: the fedpg branch's (placeholder) */
    {23, "SELECT 1;", "SELECT 1;", "SELECT 1;"},
    {24,
     /* the candidate groups of a case kept a row each (docs/store.md `case_group`), so that a
      * page of the review queue reads its own groups and no others; `case_groups` keeps the
      * key, the count of new files and of groups. What was kept is derived (computed again at
      * the next read), so the old form goes whole. Local (agency evidence: paths). */
     "DROP TABLE case_groups;"
     "CREATE TABLE case_groups (case_id BIGINT PRIMARY KEY REFERENCES cases(id),"
     " key TEXT NOT NULL, new_files BIGINT NOT NULL, total BIGINT NOT NULL,"
     " made BIGINT NOT NULL);"
     "CREATE TABLE case_group (case_id BIGINT NOT NULL REFERENCES cases(id),"
     " id BIGINT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (case_id, id))@NOROWID@;",
     "SELECT 1;", "SELECT 1;"},
};

/* Replaces the type markers for the back end. */
static char *expand(const char *sql, int pg)
{
    static const char *const from[] = {"@ID@", "@BLOB@", "@NOROWID@"};
    const char *to_sq[] = {"INTEGER PRIMARY KEY", "BLOB", " WITHOUT ROWID"};
    const char *to_pg[] = {"BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA", ""};
    const char *const *to = pg ? to_pg : to_sq;
    size_t cap = strlen(sql) * 4 + 1, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = sql; *p;) {
        int hit = 0;
        for (int k = 0; k < 3; k++) {
            size_t n = strlen(from[k]);
            if (!strncmp(p, from[k], n)) {
                size_t m = strlen(to[k]);
                memcpy(out + o, to[k], m);
                o += m;
                p += n;
                hit = 1;
                break;
            }
        }
        if (!hit)
            out[o++] = *p++;
    }
    out[o] = 0;
    return out;
}

/* This database's UUID (random, version 4, from libsodium), made once. */
static ad_code make_instance(ad_store *st, ad_err *err)
{
    if (sodium_init() < 0)
        return ad_err_set(err, AD_ERR_INTERNAL, "libsodium failed to start");
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char uuid[37];
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            uuid[o++] = '-';
        o += (size_t)snprintf(uuid + o, sizeof uuid - o, "%02x", b[i]);
    }
    ad_stmt *s =
        ad_db_stmt(st->db, "INSERT INTO instance (id, uuid, created) VALUES (1, ?, ?)", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, uuid);
    ad_bind_int(s, 2, ad_store_time());
    return ad_db_run(s, err);
}

static const char version_sql[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

/* Applies one migration unless another process did meanwhile: the check runs inside the
 * migration's transaction, after taking the migration lock (SQLite's BEGIN IMMEDIATE write
 * lock; a transaction-scoped advisory lock on PostgreSQL). */
static ad_code apply(ad_store *st, const migration *m, ad_err *err)
{
    ad_db *db = st->db;
    char *sql = expand(m->common, db->is_pg);
    if (!sql)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = ad_store_begin(st, err);
    if (rc == AD_OK && db->is_pg)
        rc = db->ops->exec(db, "SELECT pg_advisory_xact_lock(7254392)", err);
    int64_t now_at = 0;
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(db, version_sql, err);
        rc = s ? ad_db_int(s, &now_at, err) : AD_ECODE(err);
    }
    if (rc == AD_OK && now_at >= m->version) {
        free(sql);
        return ad_store_finish(st, AD_OK, err);
    }
    if (rc == AD_OK)
        rc = db->ops->exec(db, sql, err);
    free(sql);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && rc == AD_OK; i++)
        if (steps[i].version == m->version)
            rc = steps[i].fn(st, err);
    if (rc == AD_OK)
        rc = db->ops->exec(db, db->is_pg ? m->pg : m->sqlite, err);
    if (rc == AD_OK) {
        ad_stmt *s =
            ad_db_stmt(db, "INSERT INTO schema_migrations (version, applied) VALUES (?, ?)", err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_int(s, 1, m->version);
            ad_bind_int(s, 2, ad_store_time());
            rc = ad_db_run(s, err);
        }
    }
    rc = ad_store_auditf(st, rc, "db.migrate", "schema", 0, err, "version %d", m->version);
    if (rc != AD_OK)
        ad_err_prefix(err, "migration %d", m->version);
    return ad_store_finish(st, rc, err);
}

ad_code ad_schema_migrate(ad_store *st, int create, ad_err *err)
{
    ad_db *db = st->db;
    int64_t version = 0;
    ad_err e2;
    ad_stmt *s = ad_db_stmt(db, version_sql, &e2);
    ad_code rc = s ? ad_db_int(s, &version, &e2) : e2.code;
    if (rc != AD_OK) {
        /* no schema yet */
        if (!create)
            return ad_err_set(err, AD_ERR_NOT_FOUND,
                              "database not initialised (run 'ariadne db init')");
        ad_db_cache_clear(db);
        rc = db->ops->exec(db,
                           "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT"
                           " PRIMARY KEY,"
                           " applied BIGINT NOT NULL)",
                           err);
        if (rc != AD_OK)
            return rc;
        version = 0;
    }
    if (version > AD_STORE_SCHEMA_VERSION)
        return ad_err_set(err, AD_ERR_VERSION,
                          "database schema version %lld is newer than this program (%d)",
                          (long long)version, AD_STORE_SCHEMA_VERSION);
    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
        if (migrations[i].version <= version)
            continue;
        if ((rc = apply(st, &migrations[i], err)) != AD_OK)
            return rc;
    }
    return AD_OK;
}

ad_code ad_store_schema_version(ad_store *st, int *version, ad_err *err)
{
    int64_t v = 0;
    ad_stmt *s = ad_db_stmt(st->db, version_sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_code rc = ad_db_int(s, &v, err);
    *version = (int)v;
    return rc;
}
