/* live_int.h: the inside of the live index (src/live/, live.h): its tables and lock, shared
 * by live.c (load, apply, readers, stats), live_follow.c (the follower), live_match.c
 * (platform matching and the hold rule) and live_snapshot.c (the snapshot file). */
#ifndef AD_LIVE_INT_H
#define AD_LIVE_INT_H

#include <pthread.h>

#include "ariadne/live.h"
#include "util/idset.h"

/* A table keyed by a pair of ids (a > 0), values int64 (open addressing). */
typedef struct ad_ptab {
    struct ad_pslot {
        int64_t a, b, v;
    } *s;
    size_t cap, n;
} ad_ptab;
int ad_ptab_put(ad_ptab *t, int64_t a, int64_t b, int64_t v); /* 0, or -1 out of memory */
int64_t *ad_ptab_find(const ad_ptab *t, int64_t a, int64_t b);  /* NULL when absent */
void ad_ptab_free(ad_ptab *t);

/* Media ids by the first 64 bits of a digest; a key may have several ids. */
typedef struct ad_dmap {
    struct ad_dslot {
        uint64_t key;
        int64_t id; /* 0: empty */
    } *s;
    size_t cap, n;
} ad_dmap;
int ad_dmap_add(ad_dmap *m, uint64_t key, int64_t id); /* idempotent; -1 out of memory */
size_t ad_dmap_get(const ad_dmap *m, uint64_t key, int64_t *ids, size_t max);
void ad_dmap_free(ad_dmap *m);
uint64_t ad_dmap_key(const uint8_t *digest); /* the first 8 bytes, big-endian */

/* A list entry, with its rate for the hold rule. */
typedef struct ad_lentry {
    int64_t list, media;
    int present;        /* in the list now */
    int held;           /* held back (atomic: readers set it when the rule holds it) */
    size_t next;        /* the next entry of the same media, index + 1; 0: none */
    int64_t window;     /* the window count belongs to (guarded by rate_mu) */
    int64_t count;      /* matches in that window */
    double baseline;    /* exponential average of matches per window */
} ad_lentry;

typedef struct ad_llist {
    int64_t id, agency;
    char name[128];
} ad_llist;

struct ad_live {
    ad_live_opts o;
    pthread_rwlock_t lock;
    ad_lookup_index *lx;
    ad_idset media_pdq, frames; /* media whose PDQ and frames already in lx */
    ad_dmap dig[3];             /* by ad_hash_kind MD5, SHA1, SHA256 */
    size_t ndig;
    ad_lentry *ent;
    size_t nent, cap_ent, present;
    size_t nheld; /* entries held back (atomic: readers hold entries too) */
    ad_ptab ent_ix;        /* (list, media) -> index + 1 */
    ad_idmap media_first;  /* media -> first entry index + 1 */
    ad_ptab grants;        /* (list, agency) -> 1 granted, 0 revoked */
    ad_llist *lists;
    size_t nlists;
    int64_t seq;
    pthread_mutex_t rate_mu;
    /* the follower */
    pthread_mutex_t st_mu; /* guards the stats below and the thread's state */
    size_t follows;
    double last_follow;
    ad_code follow_error;
    char follow_msg[256];
    pthread_t thread;
    int running, stop;
    char *url;
    int interval_ms;
};

/* An empty live index with its locks (no PDQ index yet); NULL out of memory. */
ad_live *ad_live_new(const ad_live_opts *opts);
/* Applies one change (the write lock held, or the index not yet shared). */
ad_code ad_live_apply(ad_live *lv, const ad_ixchange *c, ad_err *err);
/* The entry (list, media), created absent when missing; NULL out of memory. */
ad_lentry *ad_live_entry_slot(ad_live *lv, int64_t list, int64_t media);
/* The hold rule's clock. */
int64_t ad_live_clock(const ad_live *lv);

#endif
