/* service.h: the actions of ../shared/docs/sharing.md for every program: the CLI, the server
 * (`ariadne serve`), later the web interface and federation. One function per action: it checks
 * who may do it once (ad_authz_check: roles against actions, and the scope of an agency's
 * evidence), calls the store and the live index, and returns a JSON document (jansson) or an
 * error: an ad_code and an ad_err whose message is for a person and whose `field` names the input
 * at fault. A route of the server parses a request, builds an ad_call and calls one of these;
 * the CLI calls the same with a local identity (ad_identity_local). Design: docs/server.md.
 *
 * Every function reads and writes through c->st, the calling thread's connection (ad_pool_get),
 * and records its audit rows as the caller's identity. Writes are one transaction each, with
 * their audit row; reads go to the store's read sink when one is set (ad_readlog), else one
 * audit row each. Nothing here prints or exits. */
#ifndef ARIADNE_SERVICE_H
#define ARIADNE_SERVICE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"
#include "ariadne/hash.h"
#include "ariadne/live.h"
#include "ariadne/store.h"
#include "ariadne/transfer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- authorisation ------------------------------------------------------------------- */

/* The actions of sharing.md's table (roles against actions). */
typedef enum ad_action {
    AD_ACT_MATCH,         /* match hashes against the lists granted to the agency: platform */
    AD_ACT_HASH,          /* hash an upload in memory: admin, investigator, analyst, platform */
    AD_ACT_FEEDBACK,      /* confirm a matched list entry or call it a false positive: platform */
    AD_ACT_READ_SHARED,   /* media, series, victims, offenders, votes, shared notes: A, I, N */
    AD_ACT_READ_EVIDENCE, /* an agency's cases, sightings, private notes: A, I, N of it */
    AD_ACT_READ_PIXELS,   /* an agency's thumbnails: A, I of it (analysts: no pixels) */
    AD_ACT_UPLOAD,        /* ingest, upload triage results into the agency's cases: I of it */
    AD_ACT_SERIES_WRITE,  /* create and link series, add victims and offenders: I */
    AD_ACT_VOTE,          /* category votes: I, N */
    AD_ACT_NOTE,          /* notes and clues: I, N */
    AD_ACT_IDENTIFY,      /* identify a victim or offender of a series the agency owns: I */
    AD_ACT_TRANSFER,      /* VICS and hash-list import and export: A, I */
    AD_ACT_ADMIN,         /* the agency's users, keys, lists, grants, list entries' holds: A */
    AD_ACT_AUDIT,         /* read and verify the audit: auditor */
    AD_ACT_SERIES_MERGE,  /* merge two series, as the owner of one of them: I of the owner */
    AD_ACT_SERIES_UNLINK, /* unlink a series' media: I of the series' owner */
    AD_ACT__COUNT
} ad_action;

/* "match", "hash", "feedback", "read_shared", "read_evidence", "read_pixels", "upload",
 * "series_write", "vote", "note", "identify", "transfer", "admin", "audit", "series_merge". */
const char *ad_action_name(ad_action a);
ad_code ad_action_parse(const char *name, ad_action *out);
/* The table alone: whether role may do a at all. */
int ad_authz_allowed(ad_role role, ad_action a);
/* Whether a is bound to an agency: its object must be the caller's agency's. */
int ad_authz_agency_bound(ad_action a);
/* AD_OK when id may do a on an object held by agency_id, AD_ERR_PERM with a message saying why
 * not otherwise. agency_id: the agency holding the object (its evidence, its list, the owner of
 * the series a victim belongs to); 0 = the caller's own (or nothing agency-bound); < 0 = no
 * agency holds it (only the local operator may then do an agency-bound action). A local identity
 * (the CLI on its own store) may do everything. */
ad_code ad_authz_check(const ad_identity *id, ad_action a, int64_t agency_id, ad_err *err);

/* ---- the call ------------------------------------------------------------------------ */

typedef struct ad_call {
    ad_store *st;            /* the calling thread's connection */
    ad_live *live;           /* the live index (a server's); NULL: the store is searched */
    const ad_identity *id;   /* who calls */
    ad_hasher *hasher;       /* the calling thread's hasher for uploads; NULL: one per call */
} ad_call;

/* ---- media, series, people, votes, notes (investigators and analysts) ---------------- */

typedef struct ad_svc_lookup_opts {
    int radius;      /* PDQ neighbours within this distance, 0..64 (default 31) */
    int min_quality; /* a query PDQ of lower quality is not searched (default 50) */
} ad_svc_lookup_opts;
void ad_svc_lookup_opts_default(ad_svc_lookup_opts *o);

/* Everything known about the media of a hash of any kind (ad_lookup_query_parse's forms, and a
 * media gid): the document of `ariadne media show --json` (docs/schemas/media-show.schema.json):
 * the media, its classification as triage decides it, PDQ matches, series with owner and
 * contact, votes, trusted categories, lists, notes, clues and sightings. Scope: sightings and
 * private notes and clues of the caller's agency in full; other agencies' sightings only as
 * counts per agency with the first and last time seen ("sightings_elsewhere"), their private
 * notes and clues not at all. AD_ERR_NOT_FOUND when nothing is known (no media has the hash and
 * no PDQ is near it); AD_ERR_PARSE (field "hash") for text that is no hash. */
ad_code ad_svc_media_view(const ad_call *c, const char *hash, const ad_svc_lookup_opts *o,
                          json_t **out, ad_err *err);

/* The thumbnail (a small JPEG, malloc'd into *jpeg) the caller's agency holds of the media of
 * hash (read_pixels, the caller's own agency's only; audited as a view, thumb.read);
 * AD_ERR_NOT_FOUND when it holds none. */
ad_code ad_svc_media_thumb(const ad_call *c, const char *hash, uint8_t **jpeg, size_t *len,
                           ad_err *err);
/* A series' reach for the web interface: {series, agencies: [{agency_id, agency, sightings,
 * media, first, last}] (counts only, latest first), media: [{sha256, gid}] (at most limit),
 * notes, clues: [{author, time, kind, text, private}] (private ones of the caller's agency),
 * places: [{lat, lon, on: "series"|"media", sha256 (a media's, else null), by}]: the GPS clues
 * of the series and of those media (from EXIF at ingest, or added), those the caller sees}. */
ad_code ad_svc_series_reach(const ad_call *c, const char *series, int64_t limit, json_t **out,
                            ad_err *err);
/* A case at a glance (agency evidence): {case, files, classes: {new, known-unidentified, ...},
 * errors, series: [{name, owner, contact, class, files}]} (known-unidentified first); a failed
 * file counts in errors only, so classes and errors add up to files. */
ad_code ad_svc_case_summary(const ad_call *c, int64_t case_id, json_t **out, ad_err *err);
/* The candidate series of a case's new material (the report's grouping, agency evidence):
 * {case, new, total, groups: [{id, reasons, items: [{path, sha256, media_id}]}]}: the first
 * limit groups (0: all) of total. Kept in the store per case as computed for its current jobs
 * and clues (ad_store_case_groups_key), a row a group, computed again when they change; not
 * kept while a job of the case runs. A page reads the groups it holds alone. */
ad_code ad_svc_case_groups(const ad_call *c, int64_t case_id, int64_t limit, json_t **out,
                           ad_err *err);
/* A page of them: the groups numbered after `after` (0: from the first), at most limit (0: all
 * the rest), and "next", the number to ask after for the following page (null at the end):
 * keyset pages for the review queue (docs/web.md). */
ad_code ad_svc_case_groups_page(const ad_call *c, int64_t case_id, int64_t after, int64_t limit,
                                json_t **out, ad_err *err);
/* Computes a case's groups now and keeps them (after an ingest or upload finished a job, so
 * that the first view of the case costs no more than the next). */
ad_code ad_svc_case_groups_refresh(const ad_call *c, int64_t case_id, ad_err *err);
/* The series that need action first: those with an unidentified victim, {since, days, series:
 * [{name, owner, contact, victims_unidentified, sightings_recent (since days ago), last_seen}]},
 * new sightings first. */
ad_code ad_svc_series_attention(const ad_call *c, int64_t days, json_t **out, ad_err *err);
/* Series `from` merged into series `into` (each by id, name or gid; docs/federation.md
 * "Merging two series"): records the consent of the caller's agency for each side it owns here
 * (investigators of an owner; the local operator for every side owned by this instance); done
 * when both owners have consented. {"from": {id, name, gid}, "into": {...}, "merged": bool,
 * "survivor": {id, name, gid}}. 403 when the caller owns neither side, 409 when its consent is
 * recorded already. */
ad_code ad_svc_series_merge(const ad_call *c, const char *from, const char *into, json_t **out,
                            ad_err *err);
/* Federation status for admins (GET /v1/fed/status): {"sync": the schedule's state
 * (ad_fed_syncer_status) or null when the server does not sync on a schedule, "instance":
 * ad_fed_cursors' document}. */
struct ad_fed_syncer;
ad_code ad_svc_fed_status(const ad_call *c, struct ad_fed_syncer *syncer, json_t **out,
                          ad_err *err);
/* A series by id, name or gid, with its victims and offenders (series-show.schema.json);
 * "merged_into" (the series it is an alias of, or null), "merges" (requested or agreed), and
 * the people and media of the series merged into it. */
ad_code ad_svc_series_get(const ad_call *c, const char *series, json_t **out, ad_err *err);
/* Every series: {"series": [ ... as series-list.schema.json's lines ... ]}. */
ad_code ad_svc_series_list(const ad_call *c, json_t **out, ad_err *err);
/* A new series owned by the caller's agency (owner_agency_id: another one, local only; 0 =
 * the caller's): {"id", "name"}. */
ad_code ad_svc_series_create(const ad_call *c, const char *name, int64_t owner_agency_id,
                             const char *contact, json_t **out, ad_err *err);
/* Attaches the media of n hashes (MD5, SHA-1, SHA-256, pdq:HEX) to a series, all or nothing,
 * in one transaction: {"series", "linked", "new"} ("new": the hashes given that were not in
 * the series before, the links an undo withdraws). With create, a hash the store does not hold is
 * recorded as a new media first; without, it is AD_ERR_NOT_FOUND naming it (field
 * "hashes[i]"). */
ad_code ad_svc_series_link(const ad_call *c, const char *series, const char *const *hashes,
                           size_t n, int create, json_t **out, ad_err *err);
/* Unlinks the media of a hash from a series (docs/store.md "Unlinking a series' media"): an
 * audited unlink row, shared with peers; nothing is deleted. Only an investigator of the
 * agency owning the series (any investigator when it has no owner), and only on the instance
 * where the series was made. {"series", "gid", "media", "unlink"} (unlink: the row's gid);
 * AD_ERR_NOT_FOUND when the media is not in the series. */
ad_code ad_svc_series_unlink(const ad_call *c, const char *series, const char *hash, json_t **out,
                             ad_err *err);
/* A victim or offender (pseudonymous code) of a series: {"id", "kind", "code", "series"}. */
ad_code ad_svc_person_add(const ad_call *c, ad_person_kind kind, const char *code,
                          const char *series, json_t **out, ad_err *err);
/* Records that a victim or offender is identified, by agency_id (0: the caller's; another
 * agency: local only), with a country. Monotonic: identifying twice is AD_ERR_EXISTS. Only the
 * agency owning the series may (a series without an owner: any investigator). {"kind", "code",
 * "status"}. */
ad_code ad_svc_person_identify(const ad_call *c, ad_person_kind kind, const char *code,
                               int64_t agency_id, const char *country, json_t **out,
                               ad_err *err);
/* Retracts an identification this instance recorded (ad_store_person_retract: only the
 * identifying agency, never one a peer's change set brought; it travels to peers), as the
 * identify action is authorised. {"kind", "code", "identified": false}. */
ad_code ad_svc_person_retract(const ad_call *c, ad_person_kind kind, const char *code,
                              json_t **out, ad_err *err);
/* A category vote on the media of a hash, as voter (NULL: the caller): {"media", "scheme",
 * "code", "trusted"} (vote.schema.json). */
ad_code ad_svc_vote(const ad_call *c, const char *hash, const char *scheme, const char *code,
                    const char *voter, json_t **out, ad_err *err);
/* Withdraws a vote (its gid) of the caller (voter: only the store's operator names another):
 * ad_store_vote_withdraw. {"media", "media_gid", "scheme", "code", "trusted", "gid" (the
 * withdrawal's), "withdraws"}. The answer of ad_svc_vote also has the vote's "gid". */
ad_code ad_svc_vote_withdraw(const ad_call *c, const char *vote_gid, const char *voter,
                             json_t **out, ad_err *err);
/* A note (clue_kind NULL) or clue on a media (any hash), series, victim, offender or case;
 * private: seen by the caller's agency only: {"id", "object_type", "object_id", "kind"}. */
ad_code ad_svc_note_add(const ad_call *c, const char *object_type, const char *object,
                        const char *text, const char *clue_kind, int is_private, json_t **out,
                        ad_err *err);

/* ---- cases (agency evidence) --------------------------------------------------------- */

/* The cases of the caller's agency (local: of agency_id, 0 = all): {"cases": [...]}. */
ad_code ad_svc_case_list(const ad_call *c, int64_t agency_id, json_t **out, ad_err *err);
/* A page of a case's classified files, the data of its triage report (ad_store_case_items'
 * current jobs, in job then walk order): {"case", "files": [{path, media, sha256, class, match,
 * series, error}], "next": cursor or null}. cursor: NULL for the first page, else the "next" of
 * the page before. limit 1..1000 (0: 100). A page costs the same anywhere in the case (keyset
 * pagination on the job items). */
ad_code ad_svc_case_files(const ad_call *c, int64_t case_id, const char *cursor, int limit,
                          json_t **out, ad_err *err);

/* ---- uploads of triage results (investigators of the agency) ------------------------ */

/* One file of an agency that triages locally: where it was found (custody) and its hashes. */
typedef struct ad_upload_file {
    const char *path, *parent, *inner_path;
    int64_t mtime, ctime, atime, btime; /* Unix seconds, 0 unknown */
    ad_media media;                     /* digests (sha256 required), PDQ, size, mime, ... */
} ad_upload_file;

/* A batch of an upload: files of one job of one case of the caller's agency. */
typedef struct ad_upload {
    const char *case_number; /* opened when the agency has no such case */
    const char *job;         /* NULL: a new job (its id is in the answer) */
    const char *exhibit;
    int done;                /* the last batch: the job is finished */
    ad_upload_file *files;
    size_t n;
} ad_upload;

/* Parses an upload body: {"case", "job"?, "exhibit"?, "done"?, "files": [{"path", "parent"?,
 * "inner_path"?, "size"?, "mtime"?, "ctime"?, "atime"?, "btime"?, "sha256", "md5"?, "sha1"?,
 * "pdq"?, "pdq_quality"?, "mime"?, "width"?, "height"?, "duration_ms"?}]} (types already
 * checked by the route's schema); hex that is no hash is AD_ERR_ARG naming the field
 * ("files[3].md5"). The strings point into body. */
ad_code ad_upload_parse(const json_t *body, ad_upload *out, ad_err *err);
void ad_upload_free(ad_upload *u);

/* Records a batch of triage results of the caller's agency in one transaction (all or
 * nothing): each file's media (merged with what the store holds: two uploads of the same media
 * at once merge, writers taking turns), a sighting with its custody data, and the job's items
 * (the case's files, as an ingest records them; a media the store held before is its own exact
 * match). {"case", "job", "files", "new_media", "media": [{"sha256", "media_id", "gid",
 * "known"}]}. A file whose path the job has already (a batch sent twice) is AD_ERR_EXISTS. */
ad_code ad_svc_upload(const ad_call *c, const ad_upload *u, json_t **out, ad_err *err);

/* ---- platforms ---------------------------------------------------------------------- */

typedef struct ad_match_request {
    ad_match_hash *v;
    size_t n;
} ad_match_request;

/* Parses a match request body: {"hashes": [h, ...]} with each h one of
 *   {"type": "md5"|"sha1"|"sha256", "value": HEX}
 *   {"type": "pdq", "value": HEX, "radius": 0..31 (default 31)}
 *   {"type": "pdq", "dihedral": [8 HEX: a file's 8 forms, the original first], "radius"}
 *   {"type": "vpdq", "frames": [{"pdq": HEX, "quality": 0..100}, ...], "radius",
 *    "min_pct": 1..100 (default 80)}, or "text" instead of frames: a vPDQ file's lines
 *    ("frame,quality,HEX,timestamp", as the reference and `ariadne vpdq` write them)
 * Unknown members, wrong types, bad hex are AD_ERR_ARG, too many hashes or frames
 * AD_ERR_LIMIT, each naming the member at fault as a JSON Pointer ("/hashes/3/radius"). */
ad_code ad_match_request_parse(const json_t *body, ad_match_request *out, ad_err *err);
void ad_match_request_free(ad_match_request *r);

/* Matches a platform's hashes against the lists granted to its agency, in the live index:
 * {"results": [{"matches": [{"list", "entry", "distance", "variant"}]}, ...]} in request order;
 * vPDQ matches also say "frames" (query frames matched) and "pct". Only entries of granted
 * lists, never media records, series or anything else; entries held back (hold rule,
 * docs/server.md) are left out. Each request counts towards each matched entry's rate, which
 * may hold an entry back. Needs c->live. One read event. */
ad_code ad_svc_match(const ad_call *c, const ad_match_request *r, json_t **out, ad_err *err);
/* The same answer as JSON text (*out, *len bytes, to free), written straight from the matches
 * without a tree: the server's hot path. */
ad_code ad_svc_match_text(const ad_call *c, const ad_match_request *r, char **out, size_t *len,
                          ad_err *err);

/* Hashes an uploaded image or video in memory (never written, never stored): {"size", "type",
 * "mime", "md5", "sha1", "sha256", "pdq", "quality", "dihedral": [8], "vpdq": [frames]} and,
 * with match, "matches" (platform: as ad_svc_match of these hashes) or "lookup" (investigators:
 * class, series, owner, contact). */
ad_code ad_svc_hash_buffer(const ad_call *c, const uint8_t *data, size_t len, int match,
                           json_t **out, ad_err *err);

/* Feedback on a matched list entry ("LIST:MEDIA", as ad_svc_match gives it): verdict "confirmed" or
 * "false_positive": {"entry", "verdict", "false_positives", "confirmations", "flagged"}. Only
 * on entries of lists granted to the caller's agency. An entry is flagged when false positives
 * outnumber confirmations and number at least AD_ENTRY_FLAG_MIN. */
#define AD_ENTRY_FLAG_MIN 3
ad_code ad_svc_feedback(const ad_call *c, const char *entry, const char *verdict, json_t **out,
                        ad_err *err);
/* The list's owner (an admin of its agency) confirms a held-back entry: it is matched again,
 * and its rate so far becomes its baseline. entry: "LIST:MEDIA" as matches name it, of the list
 * named by list (name or id). {"entry", "held": false}; AD_ERR_NOT_FOUND when it is not held. */
ad_code ad_svc_entry_release(const ad_call *c, const char *list, const char *entry, json_t **out,
                             ad_err *err);
/* The owner's view of a list: entries with feedback or held back: {"list", "entries": [{entry,
 * media sha256, false_positives, confirmations, flagged, held, held_since, reason}]}. */
ad_code ad_svc_list_review(const ad_call *c, const char *list, json_t **out, ad_err *err);

/* ---- lists and grants (admins) ------------------------------------------------------- */

/* Grants a list to an agency (a platform then matches against it), or revokes the grant;
 * admins of the list's agency. {"list", "agency", "granted": bool}. */
ad_code ad_svc_list_grant(const ad_call *c, const char *list, const char *agency, int grant,
                          json_t **out, ad_err *err);
/* A list and the agencies it is granted to: {"list", "description", "source", "agency",
 * "entries", "grants": [{"agency", "granted", "granted_by"}]}. */
ad_code ad_svc_list_show(const ad_call *c, const char *list, json_t **out, ad_err *err);
/* The caller's agency's lists (a local operator: every list), each as ad_svc_list_show gives
 * it: {"lists": [{"id", "name", "description", "source", "agency_id", "entries", "created",
 * "grants": [{"agency_id", "agency", "granted", "granted_by"}]}]}. */
ad_code ad_svc_list_list(const ad_call *c, json_t **out, ad_err *err);
/* A new, empty list of the caller's agency (source "web"), audited list.create; AD_ERR_EXISTS
 * when a list of that name exists (list names are unique in a store). The list's record as
 * ad_svc_list_list gives it. */
ad_code ad_svc_list_create(const ad_call *c, const char *name, const char *description,
                           json_t **out, ad_err *err);

/* ---- users and keys (admins of their agency) ------------------------------------------ */

/* The users of the caller's agency (local: every user): {"users": [user-list.schema.json's
 * lines]}. */
ad_code ad_svc_user_list(const ad_call *c, json_t **out, ad_err *err);
/* A new user of agency (NULL: the caller's; another: local only) with role ("admin",
 * "investigator", "analyst", "platform", "auditor") and a key that stops working at expires
 * (Unix seconds, 0: never): user-add.schema.json's document, with the API key (given this once:
 * the store keeps a salted hash). */
ad_code ad_svc_user_add(const ad_call *c, const char *name, const char *agency, const char *role,
                        int64_t expires, json_t **out, ad_err *err);
/* Revokes the key of a user (id or name) of the caller's agency: {"id", "status": "revoked"}. */
ad_code ad_svc_user_revoke(const ad_call *c, const char *user, json_t **out, ad_err *err);
/* Sets when a user's key stops working (0: never): {"id", "expires"}. */
ad_code ad_svc_user_expires(const ad_call *c, const char *user, int64_t expires, json_t **out,
                            ad_err *err);

/* ---- exports (investigators, admins) ------------------------------------------------- */

/* What to export, as text (the API's query parameters): format "vics", "icse-csv" or
 * "hashlist"; a list, a series, or a scheme (with category codes "1,2", trusted); hash (hash
 * lists: md5, sha1, sha256, pdq); all (everything: admins only). NULL: not given. */
typedef struct ad_svc_export_query {
    const char *format, *list, *series, *scheme, *category, *hash;
    int trusted, all;
    const char *vics_version, *profile; /* VICS: 1.2, 1.3 or 2.0; default, us or uk (2.0) */
} ad_svc_export_query;
typedef struct ad_svc_export ad_svc_export;
/* Checks the caller may export and the choice (the list or series exists; a selection is
 * made): a prepared export, or an error naming the parameter at fault. */
ad_code ad_svc_export_prepare(const ad_call *c, const ad_svc_export_query *q, ad_svc_export **out,
                              ad_err *err);
/* Writes the prepared export to out (on any connection of the same caller: the server runs it
 * on a thread of its own while the answer streams). One audit row (the export's). */
ad_code ad_svc_export_run(const ad_call *c, const ad_svc_export *x, FILE *out, ad_err *err);
/* ad_svc_export_run without the final flush, with the export's statistics (`ariadne export`,
 * which writes through a file replaced when whole). */
ad_code ad_svc_export_write(const ad_call *c, const ad_svc_export *x, FILE *out,
                            ad_export_stats *stats, ad_err *err);
/* What the prepared export selects (for a summary). */
const ad_export_opts *ad_svc_export_opts(const ad_svc_export *x);
/* The media type of the export's body. */
const char *ad_svc_export_type(const ad_svc_export *x);
void ad_svc_export_free(ad_svc_export *x);

/* What an import is: format (NULL: guessed from the first bytes), the list its records join
 * (required: partners' exports choose by it; a new list is the caller's agency's), the list's
 * provenance text, skip_bad (bad records reported, the rest imported), pdq (a bare 64-hex line
 * of a hash list is PDQ). */
typedef struct ad_svc_import_query {
    const char *format, *list, *source;
    int skip_bad, pdq;
} ad_svc_import_query;
/* Imports a VICS JSON file, an ICSE CSV or a hash list held in memory, in one transaction (all
 * or nothing; with skip_bad the good records): the summary of `ariadne import --json` with the
 * first 100 bad records and notes. */
ad_code ad_svc_import(const ad_call *c, const ad_svc_import_query *q, const uint8_t *data,
                      size_t len, json_t **out, ad_err *err);
/* The import from a stream, which ad_svc_import and `ariadne import` share: io holds the
 * caller's callbacks for bad records and notes and the source's name (NULL: the list's); the
 * rest is filled from q (an error names the parameter at fault). *stats: all of ad_import's. */
ad_code ad_svc_import_file(const ad_call *c, const ad_svc_import_query *q, FILE *in,
                           ad_import_opts *io, ad_import_stats *stats, ad_err *err);

/* ---- the audit (auditors) ------------------------------------------------------------ */

/* A page of the audit chain: rows with seq > after, at most limit (1..10000, 0: 100):
 * {"rows": [...audit-show lines...], "next": last seq or null}. */
ad_code ad_svc_audit_page(const ad_call *c, int64_t after, int64_t limit, json_t **out,
                          ad_err *err);
/* A page newest first: rows with seq < before (0: from the newest), at most limit:
 * {"rows": [...], "next": the `before` of the older page or null, "newer": the `before` of the
 * newer page (0: the newest page) or null when this page is the newest}. */
ad_code ad_svc_audit_page_desc(const ad_call *c, int64_t before, int64_t limit, json_t **out,
                               ad_err *err);
/* One audit row as `audit show --json` prints it (audit-show.schema.json). */
json_t *ad_svc_audit_row_json(const ad_audit_row *r);
/* Verifies the chain (and the SQLite file): audit-verify.schema.json's document; a broken
 * chain is AD_OK with "ok": false (the document says where). */
ad_code ad_svc_audit_verify(const ad_call *c, json_t **out, ad_err *err);

/* ---- helpers the programs share ------------------------------------------------------ */

/* Unix seconds t as ISO 8601 UTC, or JSON null for t <= 0. */
json_t *ad_json_time(int64_t t);
/* Hex of n bytes, or JSON null when !has. */
json_t *ad_json_hex(const uint8_t *b, size_t n, int has);
/* o[key] = s as a JSON string (bytes that are not UTF-8 become U+FFFD), null for NULL; with
 * hex_key, the exact bytes in hex under that key when something was replaced. */
void ad_json_set_text(json_t *o, const char *key, const char *s, const char *hex_key);

#ifdef __cplusplus
}
#endif
#endif
