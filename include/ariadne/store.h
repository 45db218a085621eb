/* store.h: Ariadne's memory. The records (agencies, users, media, frames, sightings, series,
 * victims, offenders, cases, category votes, notes, clues, lists), one interface over two back
 * ends (SQLite, the default, and PostgreSQL), versioned schema migrations and the tamper-evident
 * audit chain. Every change and every search made through this interface appends an audit row
 * that carries the SHA-256 of the row before it.
 *
 * Conventions: ids are int64 (> 0; 0 means "none"); times are Unix seconds (int64, 0 = unknown);
 * text fields are NUL-terminated UTF-8 (NULL = absent); digests are raw bytes with has_* flags.
 * Structs handed to callbacks are valid only during the call. Nothing here prints or exits. */
#ifndef ARIADNE_STORE_H
#define ARIADNE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"
#include "ariadne/h256.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_store ad_store;

/* ---- opening, schema, transactions, actor ---------------------------------------------- */

#define AD_STORE_DEFAULT_URL "./ariadne.db"
#define AD_STORE_SCHEMA_VERSION 24

enum {
    AD_STORE_CREATE = 1, /* create the database (SQLite file) and apply all migrations */
};

/* url: "sqlite:PATH", a bare PATH, or "postgresql://..." / "postgres://...". NULL means
 * $ARIADNE_DB, else AD_STORE_DEFAULT_URL. Without AD_STORE_CREATE the database must already be
 * initialised (AD_ERR_NOT_FOUND otherwise); pending migrations are applied on open, a database
 * newer than this program is AD_ERR_VERSION. Errors say what is wrong: a malformed URL
 * (AD_ERR_ARG, see ad_store_url_check), a missing folder or file (AD_ERR_NOT_FOUND), a file that
 * cannot be read or written (AD_ERR_PERM), a file that is not an SQLite database
 * (AD_ERR_CORRUPT), a PostgreSQL server that cannot be reached (AD_ERR_IO). */
ad_code ad_store_open(ad_store **out, const char *url, int flags, ad_err *err);
void ad_store_close(ad_store *st);
/* "sqlite" or "postgresql". */
const char *ad_store_backend(const ad_store *st);
/* The URL the store would open for `url` (resolving NULL via $ARIADNE_DB and the default). */
const char *ad_store_resolve_url(const char *url);
/* Checks the form of a store URL (NULL resolved as above) without opening anything:
 * AD_ERR_ARG for an unsupported scheme ("mysql://...", "sqlite3:..."), "sqlite:" without a
 * path, or a PostgreSQL URL libpq cannot parse. ad_store_open checks this first. */
ad_code ad_store_url_check(const char *url, ad_err *err);
#define AD_STORE_URL_MAX 1024
/* url without any password (the one in "scheme://user:password@host" and a "password=" query
 * parameter; other text kept as it is), for messages and reports; written into buf (size bytes,
 * AD_STORE_URL_MAX is enough; cut if longer) and returned. */
const char *ad_store_url_redact(const char *url, char *buf, size_t size);
/* Schema version found in the database. */
ad_code ad_store_schema_version(ad_store *st, int *version, ad_err *err);

/* Who the following changes and searches are recorded as in the audit chain (copied). */
void ad_store_set_actor(ad_store *st, const char *who, int64_t agency_id);
/* Who really runs the program when the actor is only claimed (the command line's --as): e.g.
 * "os:jdoe". Audit rows then name both: "alice (os:jdoe)". NULL or "" clears it. */
void ad_store_set_origin(ad_store *st, const char *origin);
/* Who is acting ("local" unless set). */
const char *ad_store_actor(const ad_store *st);
/* The agency the actor acts for (0: none). */
int64_t ad_store_actor_agency(const ad_store *st);

/* Reads leave an audit row each (media.find, media.lookup, series.show, index.load, user.auth,
 * ...), in a transaction of their own that takes the writers' lock. A server, which reads for
 * many callers at once, sends them to a sink instead (ad_readlog: one audit row per user and
 * action a second, docs/server.md): with a sink set, reads take no transaction and append no
 * row, and fn gets what the row would have said (who as audit rows name it). Writes are
 * audited as always. fn NULL: rows again. */
typedef void (*ad_read_sink)(void *ctx, const char *who, int64_t agency_id, const char *action,
                             const char *object, const char *detail);
void ad_store_set_read_sink(ad_store *st, ad_read_sink fn, void *ctx);
/* The audit event of a read done outside the store (a lookup, a platform match): to the sink
 * when one is set, else one audit row (as ad_store_audit). */
ad_code ad_store_audit_read(ad_store *st, const char *action, const char *object,
                            const char *detail, ad_err *err);
/* The store as people and reports name it, in out (cap bytes, cut if longer): "sqlite:" and the
 * database file's absolute path, or the PostgreSQL URL without its password. */
void ad_store_describe(const ad_store *st, char *out, size_t cap);
/* Caps the memory the store's connection keeps as a page cache (SQLite: PRAGMA cache_size;
 * default 256 MiB): a run under a memory budget counts it. PostgreSQL: nothing (its cache is
 * the server's). */
ad_code ad_store_set_cache(ad_store *st, uint64_t bytes, ad_err *err);

/* Transactions nest: the outermost begin/commit/rollback is the database's transaction, inner
 * ones are savepoints, so an inner rollback undoes only its own part and the outer transaction
 * stays usable (an import can skip a bad record yet land whole or not at all). Every store call
 * runs inside its own inner transaction: a failed single-record call changes nothing. Batch
 * calls (*_batch, ad_store_list_add) take no savepoint inside a caller's transaction (speed):
 * when one fails there, the caller's commit rolls everything back and fails (AD_ERR_DB). */
ad_code ad_store_begin(ad_store *st, ad_err *err);
ad_code ad_store_commit(ad_store *st, ad_err *err);
ad_code ad_store_rollback(ad_store *st, ad_err *err);

/* ---- agencies and users ------------------------------------------------------------------ */

typedef struct ad_agency {
    int64_t id;
    const char *name;
    const char *country; /* ISO 3166 alpha-2 or NULL */
    const char *kind;    /* police | hotline | platform | hub */
    int64_t created;
} ad_agency;

/* Whether kind is one of police, hotline, platform, hub. */
int ad_agency_kind_valid(const char *kind);
ad_code ad_store_agency_add(ad_store *st, const ad_agency *a, int64_t *id, ad_err *err);
/* Finds an agency by numeric id text or by name. */
ad_code ad_store_agency_find(ad_store *st, const char *id_or_name, int64_t *id, ad_err *err);
typedef int (*ad_agency_fn)(void *ctx, const ad_agency *a); /* return non-zero to stop */
ad_code ad_store_agency_list(ad_store *st, ad_agency_fn fn, void *ctx, ad_err *err);

typedef enum ad_role {
    AD_ROLE_ADMIN,
    AD_ROLE_INVESTIGATOR,
    AD_ROLE_ANALYST,
    AD_ROLE_PLATFORM,
    AD_ROLE_AUDITOR,
    AD_ROLE__COUNT
} ad_role;
const char *ad_role_name(ad_role r);
ad_code ad_role_parse(const char *s, ad_role *out, ad_err *err);

typedef struct ad_user {
    int64_t id;
    int64_t agency_id;
    const char *agency_name; /* filled by list */
    const char *name;
    ad_role role;
    const char *key_id; /* public part of the API key (lookup prefix) */
    int64_t created;
    int64_t revoked; /* 0 = active */
    int64_t expires; /* the key is refused from this time on; 0 = never */
} ad_user;

#define AD_API_KEY_MAX 96
/* Creates a user and a new API key, written to key_out once (only a salted hash is stored). */
ad_code ad_store_user_add(ad_store *st, int64_t agency_id, const char *name, ad_role role,
                          int64_t *id, char key_out[AD_API_KEY_MAX], ad_err *err);
ad_code ad_store_user_find(ad_store *st, const char *id_or_name, int64_t *id, ad_err *err);
typedef int (*ad_user_fn)(void *ctx, const ad_user *u);
ad_code ad_store_user_list(ad_store *st, ad_user_fn fn, void *ctx, ad_err *err);
/* One user by id (fn called once; AD_ERR_NOT_FOUND when there is none). Not audited. */
ad_code ad_store_user_get(ad_store *st, int64_t user_id, ad_user_fn fn, void *ctx, ad_err *err);
ad_code ad_store_user_revoke(ad_store *st, int64_t user_id, ad_err *err);
/* Sets when a user's key stops working (Unix seconds; 0 = never). One audit row. */
ad_code ad_store_user_set_expires(ad_store *st, int64_t user_id, int64_t expires, ad_err *err);
/* Checks an API key: AD_OK with the user (fn called once) if valid, not revoked and not
 * expired, AD_ERR_PERM ("API key refused", whatever the reason) otherwise. The secret is
 * compared in constant time. Audited as a read (user.auth, user.auth_failed): with a read sink
 * the server keeps failures out of the chain (docs/server.md). */
ad_code ad_store_user_auth(ad_store *st, const char *api_key, ad_user_fn fn, void *ctx,
                           ad_err *err);
/* The same check, read only: no transaction and no audit row (AD_OK with the user, AD_ERR_PERM
 * when refused, "not an API key" before any database access when the text cannot be one). For
 * the server, which checks a key on every request: its access log records each attempt, failed
 * ones included, and the chain records what the request does, so that an anonymous caller cannot
 * grow the chain and readers are not serialised on the audit head (docs/server.md). */
ad_code ad_store_user_key_check(ad_store *st, const char *api_key, ad_user_fn fn, void *ctx,
                                ad_err *err);

/* Who calls the library: a user authenticated by an API key (the server), or the local
 * operator of the store (the CLI). The service layer (service.h) decides what an identity may
 * do; the store records it in every audit row (ad_store_set_identity). */
typedef struct ad_identity {
    int64_t user_id; /* 0: none (a local operator that is no user of the store) */
    char user[128];
    int64_t agency_id; /* 0: none */
    char agency[128];
    ad_role role;
    char key_id[16]; /* the API key's public part; "" for the CLI */
    /* The operator of the store itself (the CLI on its own database, --as only a claim): every
     * action, and every agency's evidence, since it holds the file. */
    int local;
} ad_identity;
/* A local operator named who (audit rows), acting for agency_id (0: none). */
void ad_identity_local(ad_identity *id, const char *who, int64_t agency_id);
/* The identity of a user (from ad_store_user_auth, ad_store_user_list). */
void ad_identity_of_user(ad_identity *id, const ad_user *u);
/* ad_store_user_auth, giving the identity of the key's user. */
ad_code ad_store_identity_auth(ad_store *st, const char *api_key, ad_identity *out, ad_err *err);
/* The following changes and reads are the identity's: audit rows name the user and the key
 * ("alice (key:ab12cd34)") and the agency. A local identity leaves the actor as set
 * (ad_store_set_actor, ad_store_set_origin). */
void ad_store_set_identity(ad_store *st, const ad_identity *id);

/* ---- passwords and web sessions (schema 11, src/store/session.c, docs/web.md) ---------- */

/* Sets a user's password (libsodium's Argon2id string, interactive limits): 8 to 1024 bytes.
 * A platform user has no password (AD_ERR_ARG): platforms use API keys and have no pages.
 * One audit row (user.passwd). */
ad_code ad_store_user_set_password(ad_store *st, int64_t user_id, const char *password,
                                   ad_err *err);
#define AD_SESSION_TOKEN_MAX 72 /* "as_" + 64 hex digits + NUL, rounded */
/* Signs a user in: the password checked against the stored hash (the user active, not expired,
 * not a platform user), a new session made and its token written to token (only a digest of it
 * is stored); who is the user's identity with the session's public id as key_id ("s-" + 12
 * hex). AD_ERR_PERM "name or password refused" whatever the reason, without an audit row (the
 * caller logs failures; an anonymous caller must not grow the chain); success is audited
 * (session.open). */
ad_code ad_store_session_open(ad_store *st, const char *name, const char *password,
                              char token[AD_SESSION_TOKEN_MAX], ad_identity *who, ad_err *err);
/* Checks a session token: AD_OK and the identity when the session is open, its user active and
 * it was last seen less than idle seconds ago (idle <= 0: no limit); its last-seen time moves
 * on (written at most every 10 s, or every idle/2 s when shorter; no audit row). AD_ERR_PERM otherwise (an idle session is
 * ended). */
ad_code ad_store_session_check(ad_store *st, const char *token, int64_t idle, ad_identity *who,
                               ad_err *err);
/* Ends a session (sign-out): audited (session.close). AD_ERR_NOT_FOUND when none is open. */
ad_code ad_store_session_close(ad_store *st, const char *token, ad_err *err);
/* A user's preferences (a JSON object's text; "{}" when none): *out malloc'd. */
ad_code ad_store_user_prefs_get(ad_store *st, int64_t user_id, char **out, ad_err *err);
/* Replaces them (one audit row, user.prefs). */
ad_code ad_store_user_prefs_set(ad_store *st, int64_t user_id, const char *json, ad_err *err);

/* ---- a series' reach, for the web interface (src/store/series_reach.c, docs/web.md) ------ */

/* Sightings of a series' media by one agency: counts and times only. */
typedef struct ad_series_reach {
    int64_t agency_id; /* 0: sightings of no agency */
    const char *agency; /* NULL when none */
    int64_t sightings, media, first, last; /* first, last: ingested times */
} ad_series_reach;
typedef int (*ad_series_reach_fn)(void *ctx, const ad_series_reach *r);
/* One call per agency that saw the series' media, latest first. */
ad_code ad_store_series_reach(ad_store *st, int64_t series_id, ad_series_reach_fn fn, void *ctx,
                              ad_err *err);
/* The series' media (at most limit, in the order linked): id and SHA-256 (NULL when none). */
typedef int (*ad_series_media_fn)(void *ctx, int64_t media_id, const uint8_t *sha256);
ad_code ad_store_series_media_ids(ad_store *st, int64_t series_id, int64_t limit,
                                  ad_series_media_fn fn, void *ctx, ad_err *err);
/* A series with an unidentified victim: how many, its sightings since a time, its last one. */
typedef struct ad_series_attention {
    int64_t series_id;
    const char *name, *owner, *contact; /* owner, contact: NULL when none */
    int64_t unidentified, recent, last; /* last: 0 when never seen */
} ad_series_attention;
typedef int (*ad_series_attention_fn)(void *ctx, const ad_series_attention *a);
ad_code ad_store_series_attention(ad_store *st, int64_t since, ad_series_attention_fn fn,
                                  void *ctx, ad_err *err);

/* ---- global ids (docs/store.md "Global ids") ----------------------------------------- */

/* Every record that crosses instances (media, series, victims, offenders, hash lists, votes,
 * notes, clues) has a global id beside its local id: "<instance uuid>:<kind>:<local id>" when
 * made here (the instance's UUID is made when the schema is created), its origin's when it was
 * imported from another instance. kind: "media", "series", "victim", "offender", "list",
 * "vote", "note", "clue". */
#define AD_UUID_LEN 36
#define AD_GID_MAX 128
/* Whether text has the form of a gid (1..127 of [0-9A-Za-z:._-] with a ':'). */
int ad_gid_valid(const char *gid);
ad_code ad_store_instance_uuid(ad_store *st, char out[AD_UUID_LEN + 1], ad_err *err);
/* The gid of a record (cap bytes, AD_GID_MAX is enough); AD_ERR_NOT_FOUND: no such record. */
ad_code ad_store_gid_get(ad_store *st, const char *kind, int64_t id, char *gid, size_t cap,
                         ad_err *err);
/* The local id of the record of a kind with a gid; AD_ERR_NOT_FOUND when none. */
ad_code ad_store_gid_find(ad_store *st, const char *kind, const char *gid, int64_t *id,
                          ad_err *err);
/* Gives a record its origin's gid (an import from another instance, in the transaction that
 * made it): AD_ERR_EXISTS when another record of the table has it. Audited (gid.set). */
ad_code ad_store_gid_set(ad_store *st, const char *kind, int64_t id, const char *gid,
                         ad_err *err);

/* ---- media, frames, sightings --------------------------------------------------------- */

enum {
    AD_MEDIA_BASELINE = 1 << 0,            /* in a baseline list (worst, illegal everywhere) */
    AD_MEDIA_DISTRIBUTED = 1 << 1,         /* known to circulate */
    AD_MEDIA_IGNORABLE = 1 << 2,           /* known non-pertinent */
    AD_MEDIA_FILE_HELD = 1 << 3,           /* the file itself is held, not only its hashes */
    AD_MEDIA_VICTIM_IDENTIFIED = 1 << 4,   /* asserted by an imported record (ICSE/VICS) */
    AD_MEDIA_OFFENDER_IDENTIFIED = 1 << 5, /* idem */
};

typedef enum ad_hash_kind { AD_HASH_MD5, AD_HASH_SHA1, AD_HASH_SHA256, AD_HASH_PDQ } ad_hash_kind;

typedef struct ad_media {
    int64_t id;
    int has_sha256, has_md5, has_sha1, has_pdq;
    uint8_t sha256[32], md5[16], sha1[20];
    ad_h256 pdq;
    int pdq_quality;         /* 0..100, -1 unknown */
    int64_t size;            /* bytes, -1 unknown */
    const char *mime;        /* NULL unknown */
    int width, height;       /* 0 unknown */
    int64_t duration_ms;     /* 0 for stills / unknown */
    const uint8_t *photodna; /* opaque, as imported */
    int photodna_len;
    unsigned flags; /* AD_MEDIA_* */
    int64_t created, updated;
} ad_media;

/* Parses MD5 (32 hex), SHA-1 (40), SHA-256 or PDQ (64; `pdq` chooses) text into m's hash fields. */
ad_code ad_media_set_hash_hex(ad_media *m, const char *hex, int pdq, ad_err *err);
/* Sets every field to "unknown" (pdq_quality -1, size -1, rest 0/NULL). */
void ad_media_init(ad_media *m);

/* Inserts or merges one media record, found by the strongest digest it carries (SHA-256, SHA-1,
 * MD5; PDQ only when it carries no digest). A row whose digests conflict is another content and
 * gets its own record. Merging fills unknown fields and ORs flags, never overwriting known ones.
 * *id gets the record id; *created (may be NULL) 1 if new. */
ad_code ad_store_media_upsert(ad_store *st, const ad_media *m, int64_t *id, int *created,
                              ad_err *err);
/* The same for n records in one transaction and one audit row; ids (may be NULL) gets n ids. */
ad_code ad_store_media_upsert_batch(ad_store *st, const ad_media *m, size_t n, int64_t *ids,
                                    ad_err *err);
/* The same, with *created the number of new records (what its audit row says as new=): a
 * count of the store's rows before and after would also count other writers' rows. */
ad_code ad_store_media_upsert_batch_count(ad_store *st, const ad_media *m, size_t n, int64_t *ids,
                                          size_t *created, ad_err *err);
/* Looks a media up by hash text of any kind (32/40/64 hex; 64 tries SHA-256, then PDQ exact).
 * AD_ERR_NOT_FOUND when unknown. fn may be NULL (then only *id is set). */
typedef int (*ad_media_fn)(void *ctx, const ad_media *m);
ad_code ad_store_media_find_hex(ad_store *st, const char *hex, int64_t *id, ad_err *err);
ad_code ad_store_media_find(ad_store *st, ad_hash_kind kind, const uint8_t *digest, int64_t *id,
                            ad_err *err);
/* Batch lookup of n digests of one kind (one audit row): ids[i] = id or 0. *found (may be NULL)
 * gets the number found. */
ad_code ad_store_media_find_batch(ad_store *st, ad_hash_kind kind, const uint8_t *digests, size_t n,
                                  int64_t *ids, size_t *found, ad_err *err);
ad_code ad_store_media_get(ad_store *st, int64_t id, ad_media_fn fn, void *ctx, ad_err *err);
/* Every media in id order, or only those of a list (list_id > 0) or series (series_id > 0).
 * Streams in pages: fn may call the store (e.g. for sightings) while iterating. */
ad_code ad_store_media_iter(ad_store *st, int64_t list_id, int64_t series_id, ad_media_fn fn,
                            void *ctx, ad_err *err);
ad_code ad_store_media_count(ad_store *st, int64_t *count, ad_err *err);

typedef struct ad_frame {
    int64_t id;
    int64_t media_id;
    int64_t frame; /* frame number */
    int64_t timestamp_ms;
    int quality;
    ad_h256 pdq;
} ad_frame;
ad_code ad_store_frame_add_batch(ad_store *st, const ad_frame *f, size_t n, ad_err *err);

/* Every video frame's id, video and timestamp (ms; -1 unknown), in id order: to name the time
 * ranges of a known video that a seized one matched. */
typedef int (*ad_frame_time_fn)(void *ctx, int64_t frame_id, int64_t media_id, int64_t ts_ms);
ad_code ad_store_frame_times(ad_store *st, ad_frame_time_fn fn, void *ctx, ad_err *err);
/* The same for one video. */
ad_code ad_store_frame_times_media(ad_store *st, int64_t media_id, ad_frame_time_fn fn, void *ctx,
                                   ad_err *err);

/* For the index: every PDQ hash of media (is_frame 0, id = media id) and of video frames
 * (is_frame 1, id = frame id, media_id its video). */
typedef int (*ad_pdq_fn)(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame);
ad_code ad_store_pdq_load(ad_store *st, ad_pdq_fn fn, void *ctx, ad_err *err);
/* The same for one media (no audit row: ingest reads back the hashes it has just given a known
 * media, so that the rest of the job matches it as a resumed job would). */
ad_code ad_store_pdq_load_media(ad_store *st, int64_t media_id, ad_pdq_fn fn, void *ctx,
                                ad_err *err);
/* The digests (each NULL when unknown) of every media that has a PDQ hash or frame hashes, in
 * id order: what ingest need not decode again when it meets an exact copy. */
typedef int (*ad_digests_fn)(void *ctx, int64_t media_id, const uint8_t *sha256,
                             const uint8_t *md5, const uint8_t *sha1);
ad_code ad_store_complete_digests(ad_store *st, ad_digests_fn fn, void *ctx, ad_err *err);

typedef struct ad_sighting {
    int64_t id;
    int64_t media_id;
    int64_t agency_id;
    int64_t case_id;     /* 0 none */
    const char *exhibit; /* evidence item */
    const char *path;    /* original path */
    int64_t mtime, ctime, atime, btime;
    const char *parent_path; /* archive or container holding the file, NULL if none */
    const char *inner_path;  /* path inside that archive */
    int64_t size;
    int64_t ingested; /* 0 = now */
    int64_t user_id;  /* 0 none */
    const char *job_id;
} ad_sighting;
ad_code ad_store_sighting_add(ad_store *st, const ad_sighting *s, int64_t *id, ad_err *err);
ad_code ad_store_sighting_add_batch(ad_store *st, const ad_sighting *s, size_t n, ad_err *err);
/* The same, giving the id of every sighting in ids[0..n). */
ad_code ad_store_sighting_add_batch_ids(ad_store *st, const ad_sighting *s, size_t n, int64_t *ids,
                                        ad_err *err);
typedef int (*ad_sighting_fn)(void *ctx, const ad_sighting *s);
ad_code ad_store_sighting_list(ad_store *st, int64_t media_id, ad_sighting_fn fn, void *ctx,
                               ad_err *err);

/* ---- thumbnails (agency evidence) ---------------------------------------------------- */

/* A small JPEG of a media (ad_thumb_image / ad_thumb_rgb), made at ingest from the very bytes
 * that were hashed, for one agency: the one whose ingest read the file. Pixels are that agency's
 * evidence (docs/store.md "Thumbnails"): reads name the agency and get its rows only. */
typedef struct ad_media_thumb {
    int64_t media_id, agency_id;
    const uint8_t *jpeg;
    size_t len;
    int width, height;
    int64_t frame_ms;   /* videos: time of the frame shown, ms; -1 for images */
    const char *job_id; /* the ingest job that made it, NULL none */
    int64_t created;    /* 0 = now */
} ad_media_thumb;
/* Stores n thumbnails; a media that already has one of the same agency keeps it (the same bytes
 * make the same thumbnail). One transaction, one audit row (thumb.add); *added (may be NULL)
 * gets how many were new. */
ad_code ad_store_thumb_add_batch(ad_store *st, const ad_media_thumb *t, size_t n, size_t *added,
                                 ad_err *err);
/* The thumbnails agency agency_id holds of n media: fn is called for each one found (in the
 * order of media_ids; return non-zero to stop); media without one are skipped. One audit row
 * (thumb.read: the agency, how many asked and found). agency_id must be > 0. */
typedef int (*ad_media_thumb_fn)(void *ctx, const ad_media_thumb *t);
ad_code ad_store_thumb_get_batch(ad_store *st, int64_t agency_id, const int64_t *media_ids,
                                 size_t n, ad_media_thumb_fn fn, void *ctx, ad_err *err);

/* ---- series, victims, offenders, cases ------------------------------------------------ */

typedef struct ad_series {
    int64_t id;
    const char *name;
    int64_t owner_agency_id;
    const char *owner_agency_name; /* filled on reads */
    const char *contact;
    const char *status; /* active | closed */
    int64_t created;
    int64_t media_count, victims, victims_unidentified; /* filled on reads */
} ad_series;
ad_code ad_store_series_create(ad_store *st, const ad_series *s, int64_t *id, ad_err *err);
/* Finds by id text or name; with create != 0 a missing name is created (owner = actor agency). */
ad_code ad_store_series_find(ad_store *st, const char *id_or_name, int create, int64_t *id,
                             ad_err *err);
typedef int (*ad_series_fn)(void *ctx, const ad_series *s);
/* One series (audited as series.show). */
ad_code ad_store_series_get(ad_store *st, int64_t id, ad_series_fn fn, void *ctx, ad_err *err);
ad_code ad_store_series_list(ad_store *st, ad_series_fn fn, void *ctx, ad_err *err);
ad_code ad_store_series_link(ad_store *st, int64_t series_id, int64_t media_id, ad_err *err);
/* Unlinking a series' media (docs/store.md "Unlinking a series' media"): an unlink row naming
 * the generation of the live link it withdraws, audited as series.unlink; its gid in gid
 * (AD_GID_MAX bytes; NULL: not wanted). AD_ERR_NOT_FOUND when the media is not (or no longer)
 * in the series. Nothing is deleted; linking again makes the next generation. */
ad_code ad_store_series_unlink(ad_store *st, int64_t series_id, int64_t media_id, char *gid,
                               ad_err *err);
/* *live = 1 when the media is in the series now (a link not unlinked). */
ad_code ad_store_series_linked(ad_store *st, int64_t series_id, int64_t media_id, int *live,
                               ad_err *err);
/* A link made before and unlinked since takes the next generation (counts again); nothing
 * when the link is live or absent. Inside a transaction (ad_store_series_link, federation). */
ad_code ad_store_series_relink(ad_store *st, int64_t series_id, int64_t media_id, ad_err *err);
/* The owner agency of a series (0: none) and whether it was made on this instance (its gid is
 * of this instance: only its origin unlinks its media, docs/federation.md "Unlinking"). */
ad_code ad_store_series_owner(ad_store *st, int64_t series_id, int64_t *owner_agency_id,
                              int *made_here, ad_err *err);
/* Owners merging two series (docs/federation.md "Merging two series"): records the caller's
 * consent to merging series `from` into series `into`, for each side whose series is owned
 * here (made on this instance) by agency_id (0: the store's operator, for every side owned
 * here). Nothing changes for readers until both sides have consented (*merged = 1 then); when
 * one agency owns both, both consent at once. AD_ERR_PERM when neither side is the caller's,
 * AD_ERR_EXISTS when its consent is recorded already or `from` is merged elsewhere already.
 * Audited (series.merge). Shared (the change log's 'merge'). No unmerge. */
ad_code ad_store_series_merge(ad_store *st, int64_t from, int64_t into, int64_t agency_id,
                              int *merged, ad_err *err);
/* The series `id` stands for: itself, or the end of its chain of agreed merges (the merge into
 * the series of smallest gid first; in a cycle, the series of smallest gid). */
ad_code ad_store_series_survivor(ad_store *st, int64_t id, int64_t *survivor, ad_err *err);
typedef struct ad_series_merge {
    int64_t id, from_id, into_id;
    const char *from_name, *into_name, *from_gid, *into_gid;
    int64_t from_at, into_at;             /* the owners' consents (0: not yet) */
    const char *from_agency, *into_agency; /* who consented (NULL: not yet) */
} ad_series_merge;
typedef int (*ad_series_merge_fn)(void *ctx, const ad_series_merge *m);
/* The merges a series is in (either side), requested or agreed, oldest first. */
ad_code ad_store_series_merges(ad_store *st, int64_t series_id, ad_series_merge_fn fn, void *ctx,
                               ad_err *err);
/* Fills what a series does not know yet: its owner (when it has none) and its contact (when
 * empty); never overwrites a known value (an import adopting a series, docs/formats.md). */
ad_code ad_store_series_fill(ad_store *st, int64_t series_id, int64_t owner_agency_id,
                             const char *contact, ad_err *err);
/* Series a media belongs to. */
ad_code ad_store_media_series(ad_store *st, int64_t media_id, ad_series_fn fn, void *ctx,
                              ad_err *err);

typedef enum ad_person_kind { AD_VICTIM, AD_OFFENDER } ad_person_kind;
typedef struct ad_person {
    int64_t id;
    ad_person_kind kind;
    const char *code; /* pseudonymous code, unique per kind */
    int64_t series_id;
    int identified;
    int64_t identified_by; /* agency */
    int64_t identified_at;
    const char *country; /* once identified */
    int64_t created;
} ad_person;
ad_code ad_store_person_add(ad_store *st, ad_person_kind kind, const char *code, int64_t series_id,
                            int64_t *id, ad_err *err);
/* Marks identified by `agency_id` (0 = actor agency) now, with a country. Identifying twice is
 * AD_ERR_EXISTS. */
ad_code ad_store_person_identify(ad_store *st, ad_person_kind kind, const char *code,
                                 int64_t agency_id, const char *country, ad_err *err);
/* Retracts an identification made here (docs/federation.md "Merge rules"): only by the
 * identifying agency (when the actor has one), never one received from another instance
 * (AD_ERR_PERM); AD_ERR_NOT_FOUND when not identified. Audited; travels to peers. */
ad_code ad_store_person_retract(ad_store *st, ad_person_kind kind, const char *code, ad_err *err);
ad_code ad_store_person_find(ad_store *st, ad_person_kind kind, const char *code, int64_t *id,
                             ad_err *err);
/* A person's id, series and the series' owner agency (0: none). */
ad_code ad_store_person_owner(ad_store *st, ad_person_kind kind, const char *code,
                              int64_t *person_id, int64_t *series_id, int64_t *owner_agency_id,
                              ad_err *err);
typedef int (*ad_person_fn)(void *ctx, const ad_person *p);
ad_code ad_store_person_list(ad_store *st, ad_person_kind kind, int64_t series_id, ad_person_fn fn,
                             void *ctx, ad_err *err);

typedef struct ad_case {
    int64_t id;
    int64_t agency_id;
    const char *agency_name; /* filled on reads */
    const char *number;      /* unique per agency */
    const char *title;
    const char *status; /* open | closed */
    int64_t opened;
} ad_case;
ad_code ad_store_case_open(ad_store *st, const ad_case *c, int64_t *id, ad_err *err);
ad_code ad_store_case_find(ad_store *st, int64_t agency_id, const char *number, int64_t *id,
                           ad_err *err);
typedef int (*ad_case_fn)(void *ctx, const ad_case *c);
ad_code ad_store_case_list(ad_store *st, int64_t agency_id, ad_case_fn fn, void *ctx, ad_err *err);

/* ---- categories and votes ------------------------------------------------------------- */

/* Schemes: "vics-us" (Project VIC US: 0 non-pertinent, 1 CAM, 2 exploitive/age difficult,
 * 3 CGI/animation, 4 comparison), "dhs" (old six-class: 0 uncategorised .. 5 non-pertinent),
 * "uk" (A, B, C), "baseline" (1 = meets the baseline criteria). Codes of different schemes are
 * never compared; ad_store_category_map translates through the explicit mapping table. Every
 * call here also accepts "vic-us", an alias of "vics-us"; what is stored is the canonical name. */
/* The canonical name of a scheme ("vic-us" gives "vics-us"), NULL when unknown. */
const char *ad_category_scheme(const char *scheme);
int ad_category_valid(const char *scheme, const char *code);
/* 1 if (scheme, code) means known non-pertinent. */
int ad_category_ignorable(const char *scheme, const char *code);

#define AD_TRUST_VOTES 3 /* agreeing votes from distinct voters, none dissenting */

typedef struct ad_vote {
    int64_t id;
    int64_t media_id;
    const char *scheme, *code;
    int64_t agency_id;
    const char *voter; /* user name, or source such as "import:ncmec.json" */
    int64_t created;
    const char *gid;       /* the vote's global id */
    const char *withdraws; /* a withdrawal: the gid of the vote it withdraws; NULL for a vote */
    int64_t withdrawn;     /* a vote: when it was withdrawn (0: it stands) */
} ad_vote;
/* Records a vote; the trusted category of (media, scheme) is set once AD_TRUST_VOTES distinct
 * voters agree with none dissenting (withdrawn votes and withdrawals do not count), and is
 * never overwritten afterwards. voter NULL = actor. */
ad_code ad_store_vote(ad_store *st, int64_t media_id, const char *scheme, const char *code,
                      const char *voter, ad_err *err);
/* As ad_store_vote; *vote_id (when not NULL) is the new vote's row id. */
ad_code ad_store_vote_id(ad_store *st, int64_t media_id, const char *scheme, const char *code,
                         const char *voter, int64_t *vote_id, ad_err *err);
/* Withdraws the vote of global id vote_gid: appends a withdrawal row (same media, scheme and
 * code, by voter, NULL = actor), audited `vote.withdraw`; the vote itself stays as it was.
 * Only the vote's own voter withdraws it (AD_ERR_PERM); a vote withdrawn already, or a
 * withdrawal, cannot be (AD_ERR_EXISTS, AD_ERR_ARG); AD_ERR_NOT_FOUND for an unknown gid.
 * The trusted category is derived again (a withdrawn dissent may let the rest agree); one set
 * already stays (never overwritten). *row_id, *media_id (when not NULL): the withdrawal's row
 * id and its media. */
ad_code ad_store_vote_withdraw(ad_store *st, const char *vote_gid, const char *voter,
                               int64_t *row_id, int64_t *media_id, ad_err *err);
typedef int (*ad_vote_fn)(void *ctx, const ad_vote *v);
/* The votes that stand on a media (not withdrawals, not withdrawn), oldest first. */
ad_code ad_store_vote_list(ad_store *st, int64_t media_id, ad_vote_fn fn, void *ctx, ad_err *err);
/* Every vote row of a media, withdrawals and withdrawn votes too, oldest first. */
ad_code ad_store_vote_history(ad_store *st, int64_t media_id, ad_vote_fn fn, void *ctx,
                              ad_err *err);
/* Trusted code of (media, scheme) into code (size bytes); AD_ERR_NOT_FOUND if none yet. */
ad_code ad_store_trusted_category(ad_store *st, int64_t media_id, const char *scheme, char *code,
                                  size_t size, ad_err *err);
ad_code ad_store_category_map(ad_store *st, const char *from_scheme, const char *from_code,
                              const char *to_scheme, char *to_code, size_t size, ad_err *err);

/* ---- notes, clues, lists ------------------------------------------------------------- */

/* object_type: "media", "series", "victim", "offender", "case". */
ad_code ad_store_note_add(ad_store *st, const char *object_type, int64_t object_id,
                          const char *text, int64_t *id, ad_err *err);
typedef int (*ad_text_fn)(void *ctx, int64_t id, const char *author, int64_t created,
                          const char *kind, const char *text);
ad_code ad_store_note_list(ad_store *st, const char *object_type, int64_t object_id, ad_text_fn fn,
                           void *ctx, ad_err *err);
/* kind: camera, serial, gps, time, object, language, other. */
ad_code ad_store_clue_add(ad_store *st, const char *object_type, int64_t object_id,
                          const char *kind, const char *value, int64_t *id, ad_err *err);
ad_code ad_store_clue_list(ad_store *st, const char *object_type, int64_t object_id, ad_text_fn fn,
                           void *ctx, ad_err *err);
/* A note (kind NULL) or clue, shared (is_private 0: shared knowledge) or private to the actor's
 * agency (agency evidence, seen by that agency only). */
ad_code ad_store_text_add(ad_store *st, const char *object_type, int64_t object_id,
                          const char *kind, const char *text, int is_private, int64_t *id,
                          ad_err *err);
typedef struct ad_text {
    int64_t id;
    const char *author;
    int64_t agency_id; /* 0: none */
    int64_t created;
    const char *kind; /* clues; NULL for notes */
    const char *text;
    int is_private;
} ad_text;
typedef int (*ad_text_rec_fn)(void *ctx, const ad_text *t);
/* The notes (clues 0) or clues of an object, with their agency and privacy, by id. */
ad_code ad_store_text_list(ad_store *st, int clues, const char *object_type, int64_t object_id,
                           ad_text_rec_fn fn, void *ctx, ad_err *err);

typedef struct ad_list {
    int64_t id;
    const char *name;
    const char *description;
    const char *source; /* provenance: who produced it, file, version */
    int64_t agency_id;
    int64_t created;
    int64_t entries; /* filled on reads */
} ad_list;
/* Creates a list, or returns the id of the existing one with that name. */
ad_code ad_store_list_ensure(ad_store *st, const ad_list *l, int64_t *id, ad_err *err);
ad_code ad_store_list_find(ad_store *st, const char *name, int64_t *id, ad_err *err);
typedef int (*ad_list_fn)(void *ctx, const ad_list *l);
ad_code ad_store_list_list(ad_store *st, ad_list_fn fn, void *ctx, ad_err *err);
/* Adds media to a list (duplicates are ignored), one transaction and one audit row. */
ad_code ad_store_list_add(ad_store *st, int64_t list_id, const int64_t *media_ids, size_t n,
                          ad_err *err);
/* Lists a media belongs to (entries not counted: 0). */
ad_code ad_store_media_lists(ad_store *st, int64_t media_id, ad_list_fn fn, void *ctx, ad_err *err);
/* One list by id (entries counted). */
ad_code ad_store_list_get(ad_store *st, int64_t list_id, ad_list_fn fn, void *ctx, ad_err *err);

/* Grants: which lists a platform agency matches against (`ariadne list grant LIST AGENCY`).
 * Granting twice or revoking what was not granted is AD_ERR_EXISTS / AD_ERR_NOT_FOUND. One
 * audit row each (list.grant, list.revoke). */
ad_code ad_store_list_grant(ad_store *st, int64_t list_id, int64_t agency_id, ad_err *err);
ad_code ad_store_list_revoke(ad_store *st, int64_t list_id, int64_t agency_id, ad_err *err);
typedef struct ad_list_grant {
    int64_t list_id, agency_id;
    const char *list_name, *agency_name;
    int64_t granted;
    const char *granted_by;
} ad_list_grant;
typedef int (*ad_list_grant_fn)(void *ctx, const ad_list_grant *g);
/* The grants of a list (list_id > 0), of an agency (agency_id > 0), or all; by list, agency. */
ad_code ad_store_list_grants(ad_store *st, int64_t list_id, int64_t agency_id,
                             ad_list_grant_fn fn, void *ctx, ad_err *err);

/* ---- platform list entries: feedback and holds (schema 6) ------------------------------ */

/* Holds a list entry back from platform matches (the hold rule, docs/server.md); an entry
 * already held stays as it is (AD_OK). A released entry is held again. One audit row
 * (entry.hold). */
ad_code ad_store_entry_hold(ad_store *st, int64_t list_id, int64_t media_id, const char *reason,
                            ad_err *err);
/* Releases a held entry (its owner confirms it): AD_ERR_NOT_FOUND when it is not held. One
 * audit row (entry.release). */
ad_code ad_store_entry_release(ad_store *st, int64_t list_id, int64_t media_id, ad_err *err);
/* Whether (list, media) is an entry: AD_OK, else AD_ERR_NOT_FOUND. No audit row. */
ad_code ad_store_entry_exists(ad_store *st, int64_t list_id, int64_t media_id, ad_err *err);
/* Records a platform's verdict ("confirmed" or "false_positive") on an entry and gives the
 * entry's totals so far (either pointer may be NULL). One audit row (entry.feedback). */
ad_code ad_store_entry_feedback(ad_store *st, int64_t list_id, int64_t media_id,
                                const char *verdict, int64_t *false_positives,
                                int64_t *confirmations, ad_err *err);
typedef struct ad_entry_review {
    int64_t list_id, media_id;
    int has_sha256;
    uint8_t sha256[32];
    int64_t false_positives, confirmations;
    int held;           /* held back now */
    int64_t held_since; /* when it was (last) held; 0 never */
    int64_t released;   /* when it was last released; 0 never */
    const char *reason; /* the hold's reason, NULL none */
} ad_entry_review;
typedef int (*ad_entry_review_fn)(void *ctx, const ad_entry_review *r);
/* The entries of a list with feedback or a hold (now or before), by media id. Audited as a
 * read (list.review). */
ad_code ad_store_entry_review(ad_store *st, int64_t list_id, ad_entry_review_fn fn, void *ctx,
                              ad_err *err);

/* ---- the index log (schema 7): what a live index follows (src/live, live.h) ----------- */

/* The last seq of the index log (0 when empty). No audit row. */
ad_code ad_store_index_seq(ad_store *st, int64_t *seq, ad_err *err);
typedef enum ad_ixkind {
    AD_IX_MEDIA, /* a = media id: its digests and PDQ */
    AD_IX_FRAME, /* a = frame id: media_id, pdq */
    AD_IX_ENTRY, /* a = list, b = media */
    AD_IX_GRANT, /* a = list, b = agency */
    AD_IX_HOLD,  /* a = list, b = media: present = held back now */
    AD_IX_LIST,  /* a = list id: name, agency_id */
    AD_IX_EXTRA, /* a = media id, b = its frame's row id (0: the media's own): an extra hash
                    (schema 18; ariadne/media_hash.h), extra = its kind, pdq */
    AD_IX__UNKNOWN
} ad_ixkind;
/* One index log row with the state of what it names, read as the store stands. */
typedef struct ad_ixchange {
    int64_t seq;
    ad_ixkind kind;
    int64_t a, b;
    int present; /* the record exists (the entry, the grant, the hold in force, ...) */
    int has_sha256, has_md5, has_sha1, has_pdq;
    uint8_t sha256[32], md5[16], sha1[20];
    ad_h256 pdq;      /* media: its PDQ; frame: the frame's */
    int64_t media_id; /* frame: its video */
    const char *name; /* list */
    int64_t agency_id; /* list: the owner, 0 none */
    int extra;         /* extra: AD_MHASH_TRIM or AD_MHASH_AREA */
} ad_ixchange;
typedef int (*ad_ixchange_fn)(void *ctx, const ad_ixchange *c);
/* The index log rows with seq > after, in seq order, at most limit. No audit row (a server's
 * index following the store is no one's read). */
ad_code ad_store_index_changes(ad_store *st, int64_t after, int64_t limit, ad_ixchange_fn fn,
                               void *ctx, ad_err *err);
/* For loading a live index (no audit row; ad_store_pdq_load records the load): the digests of
 * every media (each NULL when unknown), in id order; the pairs of a kind (AD_IX_ENTRY: list
 * entries, AD_IX_GRANT: grants, AD_IX_HOLD: entries held now); every list's name and owner.
 * The callbacks must not call the store. */
ad_code ad_store_digests_all(ad_store *st, ad_digests_fn fn, void *ctx, ad_err *err);
typedef int (*ad_pair_fn)(void *ctx, int64_t a, int64_t b);
ad_code ad_store_index_pairs(ad_store *st, ad_ixkind kind, ad_pair_fn fn, void *ctx, ad_err *err);
typedef int (*ad_list_name_fn)(void *ctx, int64_t id, const char *name, int64_t agency_id);
ad_code ad_store_list_names(ad_store *st, ad_list_name_fn fn, void *ctx, ad_err *err);

/* ---- classification ----------------------------------------------------------------- */

typedef enum ad_class {
    AD_CLASS_NEW,                /* not in the database */
    AD_CLASS_KNOWN_UNIDENTIFIED, /* in a series with an unidentified victim */
    AD_CLASS_KNOWN_IDENTIFIED,   /* in a series whose victims are all identified */
    AD_CLASS_KNOWN_UNSERIESED,   /* known, in no series */
    AD_CLASS_IGNORABLE,          /* known non-pertinent */
} ad_class;
const char *ad_class_name(ad_class c);

typedef struct ad_classification {
    ad_class cls;
    int64_t media_id;
    int64_t series_id; /* the series that decided, 0 none */
    char series_name[256];
    int64_t owner_agency_id;
    char owner_agency[256];
    char contact[256];
    int victims, victims_unidentified;
    /* the series the media is linked into when that one was merged into another (series_id,
     * name, owner and contact are then the survivor's: docs/federation.md "Merging two
     * series"); 0 and "" otherwise. The class is decided by the linked series' victims. */
    int64_t merged_from_id;
    char merged_from[256];
} ad_classification;
/* What one series of a media says of it, by the rule of ad_store_classify: known-unidentified
 * when the series has an unidentified victim, or no victim on record and the media is not
 * flagged victim-identified (media_flags); known-identified otherwise. No store access. */
ad_class ad_series_class(const ad_series *s, unsigned media_flags);
/* Classifies a media id (0 or unknown id = new). Rules in docs/store.md. One audit row. */
ad_code ad_store_classify(ad_store *st, int64_t media_id, ad_classification *out, ad_err *err);

/* ---- ingest jobs (triage) ------------------------------------------------------------- */

/* A job ingests the roots of one seizure into a case. Every row the walker gives (file, archive
 * member, unreadable path) becomes one item, keyed by the row's stable key, so a job killed at
 * any point is resumed by skipping the keys it already has. Items carry the match that decided
 * the file's class and the failure of files that could not be read. */
typedef struct ad_job {
    const char *id;
    int64_t case_id, agency_id;
    const char *exhibit, *roots, *options;
    const char *status; /* running | done */
    int64_t started, finished;
    const char *who;
} ad_job;

/* Creates job j->id, or (same id, same case) marks it running again: *resumed = 1. The same id
 * for another case is AD_ERR_EXISTS. */
ad_code ad_store_job_open(ad_store *st, const ad_job *j, int *resumed, ad_err *err);
ad_code ad_store_job_finish(ad_store *st, const char *job_id, ad_err *err);
typedef int (*ad_job_fn)(void *ctx, const ad_job *j);
/* Jobs of a case (case_id > 0) or all, oldest first. */
ad_code ad_store_job_list(ad_store *st, int64_t case_id, ad_job_fn fn, void *ctx, ad_err *err);

typedef struct ad_job_item {
    const char *job_id;
    const char *key; /* hex of the row's stable key */
    int64_t ordinal;
    const char *path;
    int64_t sighting_id, media_id; /* 0 for failures */
    const char *error_code, *error_message;
    int64_t match_media_id; /* 0: no match (new) */
    const char *match_kind; /* sha256 | md5 | sha1 | pdq | vpdq */
    int match_distance, match_variant;
    const char *match_ranges; /* videos: matched time ranges */
} ad_job_item;

/* Adds n items (one transaction, one audit row). */
ad_code ad_store_job_items_add(ad_store *st, const ad_job_item *it, size_t n, ad_err *err);
typedef int (*ad_job_key_fn)(void *ctx, const char *key);
/* Keys already recorded for a job (to resume it). */
ad_code ad_store_job_keys(ad_store *st, const char *job_id, ad_job_key_fn fn, void *ctx,
                          ad_err *err);
/* The items of a case's current jobs, with their sightings (NULL for failures), in job then
 * walk order: what a report is made of. Jobs with the same roots (the same lines of `roots`, in
 * any order) count once: the latest finished one, or the latest one when none has finished
 * (a job on roots already ingested, `ingest --new-job`, replaces the earlier one in the report
 * once it has finished; the earlier items stay in the store). */
typedef int (*ad_job_item_fn)(void *ctx, const ad_job_item *it, const ad_sighting *s);
ad_code ad_store_case_items(ad_store *st, int64_t case_id, ad_job_item_fn fn, void *ctx,
                            ad_err *err);
/* The largest walk ordinal of a job's items, -1 when it has none (index on job and ordinal). */
ad_code ad_store_job_last_ordinal(ad_store *st, const char *job_id, int64_t *ordinal,
                                  ad_err *err);
/* Where a page of a case's items ends: the last item given (its job, walk ordinal and key). */
typedef struct ad_item_cursor {
    const char *job_id;
    int64_t ordinal;
    const char *key;
} ad_item_cursor;
/* The items of ad_store_case_items after `after` (NULL: from the first), at most limit, in the
 * same order (job, then walk order, then key): keyset pagination, a page costs the same
 * anywhere in the case (index on job and ordinal). AD_ERR_NOT_FOUND when after's job is no
 * current job of the case. */
ad_code ad_store_case_items_page(ad_store *st, int64_t case_id, const ad_item_cursor *after,
                                 size_t limit, ad_job_item_fn fn, void *ctx, ad_err *err);
/* A case at a glance (src/store/case_summary.c): the files of its current jobs counted by
 * class (decided now, by ad_store_classify's rule, from the media each file's match decided by;
 * a file with no match is new; a failure counts in errors only), and the series its known
 * material belongs to: known-unidentified first, then by files, then by name. A series' class
 * is known-unidentified when one of its files is. A few grouped, indexed queries: no per-file
 * work, no audit row (the caller records the read). */
typedef struct ad_case_series {
    int64_t series_id; /* the survivor of a merged series (its name, owner, contact) */
    char name[128], owner[128], contact[256];
    char merged_from[256]; /* the merged series it stands for, comma-separated; "" none */
    ad_class cls;
    int64_t files;
} ad_case_series;
typedef struct ad_case_summary {
    int64_t files, errors;
    int64_t counts[5]; /* by ad_class */
    ad_case_series *series;
    size_t nseries;
} ad_case_summary;
ad_code ad_store_case_summary(ad_store *st, int64_t case_id, ad_case_summary *out, ad_err *err);
void ad_case_summary_free(ad_case_summary *s);
/* The new files of a case's current jobs (no match recorded, not failed), in job and walk
 * order, with their media's SHA-256 and PDQ (NULL when absent; quality -1), given to file; then
 * the clues of their media (ordered by media, then as recorded) given to clue. For the candidate
 * groups of the case page (ad_report_build_groups). A callback returning non-zero stops the
 * read with AD_ERR_NOMEM. Not audited (the caller records the read). */
typedef int (*ad_new_file_fn)(void *ctx, int64_t media_id, const char *path,
                              const uint8_t *sha256, const uint8_t *pdq, int quality);
typedef int (*ad_new_clue_fn)(void *ctx, int64_t media_id, const char *kind, const char *value);
ad_code ad_store_case_new_files(ad_store *st, int64_t case_id, ad_new_file_fn file,
                                ad_new_clue_fn clue, void *ctx, ad_err *err);
/* The candidate groups of a case kept as computed (schema 14, `case_groups`, one per case, and
 * since schema 24 `case_group`, a row a group; docs/store.md): key names what they were
 * computed from (each current job's id, finished time and last walk ordinal, and the last clue
 * id); *key is NULL while a current job is running (no keeping then). get: the groups numbered
 * after `after` (groups are numbered 1, 2, ... in order), at most limit of them (0: all the
 * rest), kept under that key, as one JSON array of their texts (malloc'd), with the case's
 * count of new files and of groups; it reads those groups alone (a late page costs what it
 * holds). AD_ERR_NOT_FOUND when none are kept or under another key. put: keeps the n groups
 * (each one's JSON text, in order) under key with the count of new files, replacing what was
 * kept, in one transaction; no audit row (derived). */
ad_code ad_store_case_groups_key(ad_store *st, int64_t case_id, char **key, ad_err *err);
ad_code ad_store_case_groups_get(ad_store *st, int64_t case_id, const char *key, int64_t after,
                                 int64_t limit, char **groups, int64_t *new_files,
                                 int64_t *total, ad_err *err);
ad_code ad_store_case_groups_put(ad_store *st, int64_t case_id, const char *key,
                                 int64_t new_files, char *const *groups, size_t n, ad_err *err);
/* A match recorded by an ingest job: the file's media matched another media. */
typedef struct ad_media_match {
    int64_t media_id, match_media_id;
    const char *kind; /* sha256 | md5 | sha1 | pdq | frame | vpdq */
    int distance, variant;
    const char *ranges; /* videos: matched time ranges */
    const char *job_id;
} ad_media_match;
typedef int (*ad_media_match_fn)(void *ctx, const ad_media_match *m);
/* The matches recorded between media_id and other media, both ways (its files that matched
 * another media, other files that matched it), by job and walk order. For lookups (ad_lookup);
 * indexed (migration 4). */
ad_code ad_store_media_matches(ad_store *st, int64_t media_id, ad_media_match_fn fn, void *ctx,
                               ad_err *err);
/* Every item of one job, in walk order (to resume it). */
ad_code ad_store_job_items(ad_store *st, const char *job_id, ad_job_item_fn fn, void *ctx,
                           ad_err *err);

/* ---- audit --------------------------------------------------------------------------- */

typedef struct ad_audit_row {
    int64_t seq;
    int64_t time;
    const char *who;
    int64_t agency_id;
    const char *action; /* e.g. "series.create", "media.find" */
    const char *object; /* e.g. "series:3" */
    const char *detail;
    uint8_t prev[32]; /* SHA-256 of the previous row (zero for the first) */
    uint8_t hash[32]; /* SHA-256 of this row (prev + fields) */
} ad_audit_row;
typedef int (*ad_audit_fn)(void *ctx, const ad_audit_row *r);
/* Rows with seq > after, in order, at most limit (0 = all). */
ad_code ad_store_audit_list(ad_store *st, int64_t after, int64_t limit, ad_audit_fn fn, void *ctx,
                            ad_err *err);
/* Rows with seq < before (0: from the newest), newest first, at most limit (0 = all). */
ad_code ad_store_audit_list_desc(ad_store *st, int64_t before, int64_t limit, ad_audit_fn fn,
                                 void *ctx, ad_err *err);
/* Walks the whole chain. AD_OK with *rows and head (may be NULL) if intact; AD_ERR_CHECKSUM
 * with *broken = seq of the first bad row and a message saying why otherwise. */
ad_code ad_store_audit_verify(ad_store *st, int64_t *rows, int64_t *broken, uint8_t head[32],
                              ad_err *err);
/* The head of the chain as it stands: the last row's seq and hash (0 and zeros when empty),
 * read without walking. Written outside the database (reports carry it as "SEQ:HASH"), it is
 * an anchor: */
ad_code ad_store_audit_head(ad_store *st, int64_t *seq, uint8_t hash[32], ad_err *err);
/* AD_OK when row seq is still in the chain with that hash; AD_ERR_CHECKSUM saying how it is not
 * (gone: the chain was cut back; another hash: rows up to it were rewritten). With an intact
 * chain (ad_store_audit_verify) this proves nothing up to the anchor was changed since. */
ad_code ad_store_audit_anchor(ad_store *st, int64_t seq, const uint8_t hash[32], ad_err *err);

/* Checks the database file itself: SQLite's PRAGMA integrity_check (full: every page, every
 * index against its table) or quick_check (pages and records, not index contents), which
 * `audit verify` and `db init` run; AD_ERR_CORRUPT naming the first problem of a damaged file.
 * PostgreSQL keeps its own files: AD_OK. */
ad_code ad_store_check(ad_store *st, int full, ad_err *err);
/* Appends an audit row for something done outside the store (e.g. an export written). */
ad_code ad_store_audit(ad_store *st, const char *action, const char *object, const char *detail,
                       ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
