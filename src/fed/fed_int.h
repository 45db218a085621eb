/* fed_int.h: what the federation files share (internal): the store's internals, the change
 * set and bundle forms, and the policy's body builder and applier. */
#ifndef AD_FED_INT_H
#define AD_FED_INT_H

#include <jansson.h>

#include "ariadne/fed.h"
#include "store/store_int.h"

#define AD_FED_SET_FORMAT "ariadne-changes/1"
#define AD_FED_BUNDLE_FORMAT "ariadne-bundle/1"
/* domain separation of the two things an instance signs */
#define AD_FED_SET_CONTEXT "ariadne-changes-v1"
#define AD_FED_BUNDLE_CONTEXT "ariadne-bundle-v1"

/* A growing byte buffer (changeset.c): ad_fed_put appends, 0 or -1 when out of memory. */
typedef struct ad_fed_buf {
    char *p;
    size_t n, cap;
} ad_fed_buf;
int ad_fed_put(ad_fed_buf *b, const void *s, size_t n);

/* Canonical JSON of a value: keys sorted, no spaces (malloc'd; NULL when out of memory). */
char *ad_fed_canon(const json_t *v);
/* The strict reader of canonical lines (canon_scan.c). A member of an object: key and value
 * spans in the line; type 's' string (val: its content, no escapes), 'i' integer, 'o' object,
 * 'a' array, 't' true, 'f' false, 'n' null. */
typedef struct ad_fed_member {
    const char *key;
    size_t klen;
    const char *val;
    size_t vlen;
    char type;
} ad_fed_member;
/* p[0..n) as one canonical object of the reader's subset: its top-level members into mem (at
 * most max) and their number; -1 when the reader cannot vouch for the line (the general parser
 * then decides: it may still be canonical). */
int ad_fed_canon_scan(const char *p, size_t n, ad_fed_member *mem, int max);
const ad_fed_member *ad_fed_member_get(const ad_fed_member *mem, int n, const char *key);
int ad_fed_member_int(const ad_fed_member *m, int64_t *out);
/* Signs/verifies ctx || msg with Ed25519 (detached, 64 bytes). */
void ad_fed_sign(const ad_fed_key *key, const char *ctx, const uint8_t *msg, size_t n,
                 uint8_t sig[64]);
int ad_fed_verify(const uint8_t pk[32], const char *ctx, const uint8_t *msg, size_t n,
                  const uint8_t sig[64]);

/* A verified change set (points into the bytes it was read from). */
typedef struct ad_fed_set {
    const uint8_t *bytes;
    size_t len;
    char id[65];
    char origin[AD_UUID_LEN + 1];
    char origin_key[AD_FED_PUBKEY_HEX + 1];
    char prev[65]; /* empty: the origin's first */
    int64_t first, last;
    int64_t head_seq; /* the origin's audit head */
    char head_hash[65];
    size_t body_at, body_end; /* the change lines */
    unsigned kinds;           /* the kinds of its changes (mask, AD_FED_KINDS_ALL) */
    char sig_line[160];       /* the signature line's bytes (len - body_end of them) */
} ad_fed_set;
/* Reads one change set from bytes[0..len): its header, its hash (the id), the signature by the
 * key its header names (whether that key is trusted is the caller's question), and every
 * change line (canonical JSON, a known kind, seq from first to last in turn). */
ad_code ad_fed_set_read(const uint8_t *bytes, size_t len, ad_fed_set *set, ad_err *err);
/* 1 if bytes[0..len) are the very bytes `set` was read from (the same id, signature line and
 * length): a set read again after ad_fed_set_read verified it needs no other check. */
int ad_fed_set_same(const ad_fed_set *set, const uint8_t *bytes, size_t len);
/* The change lines of a verified set in turn: fn(ctx, line, length without its newline, seq)
 * for each (a non-OK code stops). */
typedef ad_code (*ad_fed_change_fn)(void *ctx, const char *line, size_t n, int64_t seq,
                                    ad_err *err);
ad_code ad_fed_set_each(const ad_fed_set *set, ad_fed_change_fn fn, void *ctx, ad_err *err);
/* Encodes a change set of origin with the changes (canonical lines, in seq order from first):
 * header + lines + signature (malloc'd *out, *len), its id into id. */
ad_code ad_fed_set_encode(const ad_fed_key *key, const char *origin, int64_t first,
                          const char *const *lines, size_t n, const char *prev, int64_t head_seq,
                          const char *head_hash, uint8_t **out, size_t *len, char id[65],
                          ad_err *err);
/* The same in place: b holds AD_FED_HEADER_ROOM bytes of room, then the n change lines (each
 * with its newline); the header goes at the end of the room, the signature line after the
 * lines: the set is b->p[*at .. b->n). No copy of the lines (a set is ~50 MB). */
#define AD_FED_HEADER_ROOM 1024
ad_code ad_fed_set_encode_room(const ad_fed_key *key, const char *origin, int64_t first,
                               ad_fed_buf *b, size_t n, const char *prev, int64_t head_seq,
                               const char *head_hash, size_t *at, char id[65], ad_err *err);
/* How change sets are kept (setstore.c): set id's canonical bytes[0..len) are compressed on a
 * thread of its own (ad_fed_zjob_start: they must stay as they are until the job is put or
 * freed) while the caller goes on, then stored (ad_fed_zjob_put, waiting for the thread; the
 * job is freed either way) into change_set (bytes, len, codec) with its origin, seq range and
 * kinds (NULL: mixed); replay 1: a set held already is left as it is (an import), 0: it is an
 * error (a cut). And read back: the canonical bytes into *buf (grown to *cap), *len of them;
 * AD_ERR_CHECKSUM when the stored form is damaged (does not decompress, or not to its length:
 * the frame's checksum). */
typedef struct ad_fed_zjob ad_fed_zjob;
ad_code ad_fed_zjob_start(const uint8_t *bytes, size_t len, ad_fed_zjob **out, ad_err *err);
ad_code ad_fed_zjob_put(ad_fed_zjob *j, ad_store *st, const char *id, const char *origin,
                        int64_t first, int64_t last, const char *kinds, int replay,
                        ad_err *err);
void ad_fed_zjob_free(ad_fed_zjob *j); /* waits for it; NULL is allowed */
ad_code ad_fed_set_get(ad_store *st, const char *id, uint8_t **buf, size_t *cap, size_t *len,
                       ad_err *err);
/* The kinds a change may be (the policy's table): its index + 1, 0 if none. */
int ad_fed_kind_known(const char *kind);

/* The policy (policy.c): the shared body of change log row (kind, a, b) as the record stands,
 * NULL with *skip set when the policy does not share it (a private note, a record gone). */
ad_code ad_fed_body(ad_store *st, const char *origin, const char *kind, int64_t a, int64_t b,
                    json_t **body, ad_err *err);
/* Media and link bodies written straight as canonical text (body_text.c), the same bytes as
 * ad_fed_body then ad_fed_canon with "seq" added, and a newline: from the row's columns at col
 * (media: sha256, md5, sha1, pdq, pdq_quality, size, mime, width, height, duration_ms; link:
 * the series' gid, the media's sha256, md5, sha1, pdq, the link's generation: written past 1),
 * vpdq the frames' field or NULL.
 * 1 written, 0 no body (not shared), -1 a row for the general path, -2 out of memory. */
int ad_fed_media_text(ad_fed_buf *out, ad_stmt *s, int col, int64_t seq, const char *vpdq);
int ad_fed_link_text(ad_fed_buf *out, ad_stmt *s, int col, int64_t seq);
/* 1 (the default): the cut writes media and link bodies straight (body_text.c); 0: every body
 * through ad_fed_body (the general path; tests compare the two). */
extern int ad_fed_cut_direct;
/* vPDQ frames in a media change (frames.c): the media's frames as the "vpdq" field (NULL
 * *out when it has none, or one the form cannot say); decoding a received field (AD_ERR_PARSE
 * when malformed, not canonical or beyond AD_FED_VPDQ_MAX frames; free(*out)); and writing
 * frames to a media that has none (media_id set in each). */
#define AD_FED_VPDQ_MAX 4096
ad_code ad_fed_frames_body(ad_store *st, int64_t media_id, json_t **out, ad_err *err);
ad_code ad_fed_frames_decode(const char *b64, ad_frame **out, size_t *n, ad_err *err);
ad_code ad_fed_frames_put(ad_store *st, int64_t media_id, ad_frame *f, size_t n, ad_err *err);
/* Applies one change of `origin` (apply.c), inside the caller's transaction. */
ad_code ad_fed_apply_change(ad_store *st, const char *origin, const json_t *ch, ad_err *err);

/* The most changes a change set is cut with (cut.c; 100,000: ~50 MB of media changes): a set
 * is held whole when it is made, sent and received, so this bounds the memory of each. */
extern size_t ad_fed_cut_run;
/* A bundle pushed in requests of bounded size (push.c): the bundle file f (this instance's,
 * as ad_fed_bundle_export_file wrote it) cut into chunks, each a bundle of consecutive
 * entries signed again with key, read out by ad_fed_chunk_read (a libcurl read callback).
 * ad_fed_chunk_make prepares the next chunk of at most budget bytes (one entry whatever its
 * size): its length and number of entries; ad_fed_chunk_sent moves past it once the peer took
 * it (else make it again, smaller); done when every entry went (an empty bundle goes once). */
extern size_t ad_fed_push_max; /* the first budget of a push: the server's default --max-body */
typedef struct ad_fed_chunker ad_fed_chunker;
ad_code ad_fed_chunker_open(FILE *f, const ad_fed_key *key, ad_fed_chunker **out, ad_err *err);
int ad_fed_chunker_done(const ad_fed_chunker *c);
ad_code ad_fed_chunk_make(ad_fed_chunker *c, size_t budget, int64_t *len, size_t *nsets,
                          ad_err *err);
void ad_fed_chunk_sent(ad_fed_chunker *c);
void ad_fed_chunk_rewind(ad_fed_chunker *c); /* read the chunk again from its start */
size_t ad_fed_chunk_read(char *buf, size_t size, size_t nmemb, void *ctx);
void ad_fed_chunker_free(ad_fed_chunker *c);

/* Owners merging two series (merge.c): the body of change log row ('merge', id), NULL when it
 * holds no consent of this origin's own; applying one (inside the caller's transaction). */
ad_code ad_fed_merge_body(ad_store *st, const char *origin, int64_t id, json_t **body,
                          ad_err *err);
ad_code ad_fed_apply_merge(ad_store *st, const char *origin, const json_t *ch, ad_err *err);
/* apply.c's rules for merge.c: a series by gid (a placeholder until its owner's change comes);
 * an agency {name, country, kind} by name, created when missing (0 for null). */
ad_code ad_fed_series_by_gid(ad_store *st, const char *gid, int64_t *id, ad_err *err);
ad_code ad_fed_agency(ad_store *st, const json_t *a, int64_t *id, ad_err *err);

/* The last sequence of origin's change sets held here and the id of the set ending there (0 and
 * "" when none). */
ad_code ad_fed_last_set(ad_store *st, const char *origin, int64_t *last, char prev[65],
                        ad_err *err);
/* A peer's row, as the bundle code needs it. */
typedef struct ad_fed_peer_row {
    int64_t peer_id;
    char scope[16];
    char origin[AD_UUID_LEN + 1];
    unsigned send, accept; /* its policy: kinds sent to it, accepted from it (masks) */
} ad_fed_peer_row;
/* A kinds column (NULL: every kind) as a mask. */
unsigned ad_fed_kinds_col(ad_stmt *s, int col);
/* A peer by name (by_key 0) or public key; *found 0 if none (peer.c). */
ad_code ad_fed_peer_find(ad_store *st, const char *what, int by_key, ad_fed_peer_row *p, int *found,
                         ad_err *err);
/* This store's audit head (seq 0 and zeros when empty). */
ad_code ad_fed_audit_head(ad_store *st, int64_t *seq, char hash[65], ad_err *err);
/* Applies a run of changes of one origin, media and links in store batches (apply.c): add
 * each change in seq order, flush at the end (and before anything else reads the store). */
/* 1 (the default): a bundle's import on SQLite drops the change log's triggers for its
 * transaction (bundle_in.c); tests set 0 to compare with the import that keeps them. */
extern int ad_fed_drop_triggers;
/* A bundle bringing at least this many media changes, and at least as many as the store holds
 * media, is a bulk load (bundle_in.c): on SQLite the media indexes no insert looks up by are
 * dropped inside its transaction and made again before it commits (ad_store_media_ix_off);
 * 0: never (tests compare with the import that keeps them). */
extern int64_t ad_fed_bulk_min;
/* How many imports took the bulk path (tests check that one did). */
extern int64_t ad_fed_bulk_loads;
typedef struct ad_fed_batch {
    ad_store *st;
    const char *origin;
    ad_media *m, *lm; /* pending media changes; the media of pending links */
    char (*mime)[64];
    ad_frame **fr; /* the pending media's received vPDQ frames (NULL: none), and how many */
    size_t *nfr;
    char (*lgid)[AD_GID_MAX];
    int64_t *ids, *sids;
    uint8_t *dig; /* SHA-256 digests of a lookup */
    size_t nm, nl;
    int64_t *mids; /* the ids of the pending media, once upserted */
    /* SHA-256 -> id of the media this batch upserted (links to them need no lookup) */
    struct ad_fed_known {
        uint8_t d[32];
        int64_t id;
    } *known;
    size_t nknown, kcap;
} ad_fed_batch;
void ad_fed_batch_init(ad_fed_batch *b, ad_store *st, const char *origin);
ad_code ad_fed_batch_add(ad_fed_batch *b, const json_t *ch, ad_err *err);
/* The same from a verified change line: media and links read by the canonical reader, anything
 * else parsed and given to ad_fed_batch_add. */
ad_code ad_fed_batch_add_line(ad_fed_batch *b, const char *line, size_t n, ad_err *err);
ad_code ad_fed_batch_flush(ad_fed_batch *b, ad_err *err);
void ad_fed_batch_free(ad_fed_batch *b);
/* Reads "SELECT uuid ..." etc.: small helpers (key.c). */
ad_code ad_fed_own(ad_store *st, char uuid[AD_UUID_LEN + 1], char pubkey[AD_FED_PUBKEY_HEX + 1],
                   ad_err *err);

#endif
