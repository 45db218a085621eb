/* lookup.h: what is known about one hash, classified by the same rule as triage.
 *
 * A lookup takes a hash of any kind (MD5, SHA-1, SHA-256, PDQ, or the 8 dihedral PDQ forms of a
 * file) or a media id and returns the media found exactly, its own classification, its PDQ
 * neighbours within a radius (with distance, the dihedral form that matched and their own
 * classification) and the class that results, decided by ad_lookup's rule (docs/store.md,
 * "Lookups and triage decide alike"). `ariadne media show` and triage (ad_ingest) use it, so a
 * file's class in a report and in a lookup agree; a server keeps an ad_lookup_index in memory
 * and calls ad_lookup per request.
 *
 * Nothing here prints or exits; errors are values. */
#ifndef ARIADNE_LOOKUP_H
#define ARIADNE_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"
#include "ariadne/h256.h"
#include "ariadne/index.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the PDQ index of a store -------------------------------------------------------- */

/* Index entry ids: a media's own PDQ has its media id; a video frame's PDQ has its frame id
 * with this bit set (ad_lookup_index_media gives the video). */
#define AD_LOOKUP_FRAME_BIT (1ull << 63)

typedef struct ad_lookup_index ad_lookup_index;

/* Every PDQ of the store (media and video frames, and the trimmed and area PDQs kept beside
 * them) in a match index, and which video each frame belongs to. One audit row (index.load).
 * A tap (below) sees the plain PDQs only: the others have the same entry ids. */
ad_code ad_lookup_index_load(ad_store *st, ad_lookup_index **out, ad_err *err);
/* The same, calling tap (may be NULL) with each PDQ as it is read (a live index notes which
 * media and frames it holds); tap returning non-zero fails the load as out of memory. */
ad_code ad_lookup_index_load_tap(ad_store *st, ad_pdq_fn tap, void *ctx, ad_lookup_index **out,
                                 ad_err *err);
/* An empty index (then ad_lookup_index_add). */
ad_code ad_lookup_index_new(ad_lookup_index **out, ad_err *err);
/* An index around ix (taken over, freed with it, also on failure) whose frame entries are
 * frame_ids[i] of video frame_media[i] and of whose entries nmore are trimmed or area PDQs (a
 * snapshot's: src/live/live_snapshot.c). */
ad_code ad_lookup_index_adopt(ad_index *ix, const int64_t *frame_ids, const int64_t *frame_media,
                              size_t nframes, size_t nmore, ad_lookup_index **out, ad_err *err);
/* Adds one PDQ: a media's own (is_frame 0, id = media id) or a video frame's (is_frame 1,
 * id = frame id, media_id its video). Needs exclusive access (the caller's lock). */
ad_code ad_lookup_index_add(ad_lookup_index *lx, const ad_h256 *pdq, int64_t id, int64_t media_id,
                            int is_frame, ad_err *err);
/* Adds one more PDQ of a media or frame already added (a trimmed or area PDQ,
 * ariadne/media_hash.h): the same entry id, not counted as another frame. */
ad_code ad_lookup_index_add_more(ad_lookup_index *lx, const ad_h256 *pdq, int64_t id,
                                 int is_frame, ad_err *err);
void ad_lookup_index_free(ad_lookup_index *lx);
/* The match index itself (searches may run on many threads at once). */
const ad_index *ad_lookup_index_get(const ad_lookup_index *lx);
/* The media an index entry belongs to (a frame's video), 0 if unknown. */
int64_t ad_lookup_index_media(const ad_lookup_index *lx, uint64_t entry);
/* Number of frame hashes of a video in the index. */
int64_t ad_lookup_index_video_frames(const ad_lookup_index *lx, int64_t media_id);
/* Entries (media PDQs and frame PDQs; the trimmed and area PDQs beside them not counted). */
size_t ad_lookup_index_size(const ad_lookup_index *lx);
/* The trimmed and area PDQs beside them (entries of the match index too). */
size_t ad_lookup_index_more(const ad_lookup_index *lx);

/* ---- the query --------------------------------------------------------------------- */

typedef struct ad_lookup_query {
    int has_sha256, has_md5, has_sha1;
    uint8_t sha256[32], md5[16], sha1[20];
    /* a 64-hex text that may be a SHA-256 or a PDQ: SHA-256 first, else the PDQ in pdq[0] */
    int sha256_or_pdq;
    /* PDQ: 0 none, 1 (pdq[0] as it is) or 8 (the dihedral forms, orig first, in the order of
     * ad_pdq_variant_names). A file's 8 forms find rotated and mirrored copies; one hash finds
     * copies in its own orientation. */
    int npdq;
    ad_h256 pdq[8];
    int pdq_quality; /* 0..100; -1 unknown (then not gated) */
    /* Beside those forms, a file's other PDQs (ariadne/border.h): its trimmed PDQ and the area
     * PDQ of its content (a border was found) and its area PDQ, 8 dihedral forms each, searched
     * like pdq[] when their quality passes the gate. ad_lookup_query_file fills them. */
#define AD_LOOKUP_MORE 3 /* trimmed, area, content's area */
    int nmore;
    ad_h256 more[AD_LOOKUP_MORE][8];
    int more_quality[AD_LOOKUP_MORE];
    /* The exact media when the caller knows it (0: found by the digests above). media_by names
     * how the caller found it ("sha256", "md5", "sha1", "pdq", "id"; NULL = "id"). With
     * exact_known set, the caller has looked the file's digests up already (triage's batch
     * lookups): media_id is the exact media, or 0 for none, and nothing is looked up again. */
    int64_t media_id;
    const char *media_by;
    int exact_known;
} ad_lookup_query;

void ad_lookup_query_init(ad_lookup_query *q);
/* Parses what a user types: 32 hex (MD5), 40 (SHA-1), 64 (SHA-256, else PDQ), "md5:", "sha1:",
 * "sha256:", "pdq:" followed by the hex, "pdq:H1,H2,...,H8" (the 8 dihedral forms of a file, as
 * `ariadne hash --dihedral` prints them) or "id:N" (a media id). AD_ERR_PARSE says what is
 * wrong. */
ad_code ad_lookup_query_parse(ad_lookup_query *q, const char *text, ad_err *err);
/* The PDQ part of a query from a hashed file: its 8 forms (or 1 without dihedral variants), its
 * quality, and its trimmed and area PDQs when computed (ad_hash_opts.more). */
struct ad_file_hash;
void ad_lookup_query_file(ad_lookup_query *q, const struct ad_file_hash *fh);

/* ---- a run's classifications --------------------------------------------------------- */

/* The classifications one run makes (a triage job, a report): each media is classified by the
 * store, with its media.classify audit row, once, however many files find it as a neighbour. A
 * change to the store during the run (a series linked meanwhile) is not seen by the media
 * already classified. One thread at a time. */
typedef struct ad_lookup_cache ad_lookup_cache;
ad_code ad_lookup_cache_new(ad_lookup_cache **out, ad_err *err);
void ad_lookup_cache_free(ad_lookup_cache *c);
/* ad_store_classify through the cache (c NULL: the store alone). */
ad_code ad_lookup_classify(ad_store *st, ad_lookup_cache *c, int64_t media_id,
                           ad_classification *out, ad_err *err);

/* ---- options ------------------------------------------------------------------------ */

typedef struct ad_lookup_opts {
    int radius;      /* PDQ Hamming radius 0..64 (default 31, as triage) */
    int min_quality; /* a query PDQ of lower quality is not searched (default 50, as triage) */
    /* Neighbours listed in the result, nearest first (default 50). 0 lists none: only the
     * neighbours the decision needs are classified, and none is searched when the exact media
     * decides alone (triage). n_total counts all that were gathered. */
    size_t max_neighbours;
    int recorded; /* also the matches ingest recorded for the exact media (default 1) */
    int audit;    /* one media.lookup audit row (default 1) */
    /* Media to leave out, as exact match and as neighbour (triage: the media the running job
     * created, so that a later copy in the same seizure is new, not known). NULL: none. */
    int (*skip)(void *ctx, int64_t media_id);
    void *skip_ctx;
    ad_lookup_cache *cache; /* a run's classifications (NULL: each asks the store) */
} ad_lookup_opts;

void ad_lookup_opts_default(ad_lookup_opts *o);

/* ---- the result --------------------------------------------------------------------- */

typedef enum ad_lookup_source {
    AD_LOOKUP_SEARCH,   /* found now in the PDQ index (or a scan of the store) */
    AD_LOOKUP_RECORDED, /* a match an ingest job recorded for this media, or for a copy of it */
} ad_lookup_source;

typedef struct ad_lookup_neighbour {
    int64_t media_id;
    int64_t frame_id; /* the video frame whose PDQ matched; 0: the media's own PDQ */
    int distance;     /* Hamming distance (vPDQ: the best frame's) */
    int variant;      /* 0..7: the form of the query that matched (ad_pdq_variant_names) */
    char kind[8];     /* "pdq", "frame" or "vpdq" (recorded video matches), or a digest kind */
    ad_lookup_source source;
    char *ranges;   /* recorded video matches: matched time ranges (owned), else NULL */
    int classified; /* cls is filled */
    ad_classification cls;
} ad_lookup_neighbour;

typedef enum ad_lookup_decider {
    AD_LOOKUP_NONE,      /* nothing known: new */
    AD_LOOKUP_EXACT,     /* the exact media's own class */
    AD_LOOKUP_NEIGHBOUR, /* a neighbour's class (the neighbour is in `by`) */
} ad_lookup_decider;

typedef struct ad_lookup_result {
    /* the media with the query's digest (or PDQ, or id); 0: none */
    int64_t media_id;
    char media_by[8];      /* sha256 | md5 | sha1 | pdq | id */
    ad_classification own; /* its own classification (AD_CLASS_NEW when there is none) */
    /* the PDQ search: forms searched (0 none, 1, 8), the quality, why it was not done */
    int pdq_forms;
    ad_h256 pdq;
    int pdq_quality;
    char pdq_skipped[96];
    /* neighbours, nearest first (distance, then a media's own PDQ before a video frame, then
     * id), classified; at most max_neighbours listed, n_total found */
    ad_lookup_neighbour *v;
    size_t n, n_total;
    /* the decision */
    ad_class cls;
    ad_lookup_decider how;
    ad_classification decided; /* the deciding media's classification (series, owner, contact) */
    ad_lookup_neighbour by;    /* the deciding neighbour (how == NEIGHBOUR; its ranges NULL) */
} ad_lookup_result;

void ad_lookup_result_free(ad_lookup_result *r);

/* Looks q up. lx: a loaded index (a server's, triage's), or NULL to scan the store's PDQs for
 * this one query (what a single command does: cheaper than building an index). opts NULL =
 * defaults. AD_OK even when nothing is known (cls = new, media_id 0, no neighbours). */
ad_code ad_lookup(ad_store *st, const ad_lookup_index *lx, const ad_lookup_query *q,
                  const ad_lookup_opts *opts, ad_lookup_result *out, ad_err *err);

/* Name of a media flag bit (AD_MEDIA_*) in words ("file held"); NULL for an unknown bit. */
const char *ad_lookup_flag_name(unsigned flag);
/* "search" or "recorded". */
const char *ad_lookup_source_name(ad_lookup_source s);

#ifdef __cplusplus
}
#endif
#endif
