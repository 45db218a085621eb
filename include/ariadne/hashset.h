/* hashset.h: many files hashed at once, as `ariadne hash` and the server's callers need it:
 * digests, type and PDQ of every file (vPDQ for videos), on a pool of threads with one hasher
 * each, each result handed to the caller in input order, one at a time, as soon as it and
 * every one before it are done (so a caller can print or store a stream in order while the
 * pool works ahead). And hash lists as text: one PDQ (or its 8 dihedral forms) a line. */
#ifndef ARIADNE_HASHSET_H
#define ARIADNE_HASHSET_H

#include <stddef.h>

#include "ariadne/error.h"
#include "ariadne/h256.h"
#include "ariadne/hash.h"
#include "ariadne/util.h"
#include "ariadne/vpdq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One input: a path, or a failure found before hashing (a special file, an unreadable folder:
 * pre != AD_OK, pre_msg saying why), which becomes that item's result as it is. */
typedef struct ad_hashset_item {
    const char *path;
    ad_code pre;
    const char *pre_msg;
} ad_hashset_item;

typedef struct ad_hashset_result {
    size_t index; /* in the input */
    const ad_hashset_item *item;
    ad_code code; /* AD_OK, or why this file could not be hashed (err) */
    ad_err err;
    ad_file_hash fh;
    int has_vid; /* a video hashed with vPDQ (opts.video) */
    ad_vpdq_video vid;
} ad_hashset_result;

/* Called in input order, one call at a time (never two at once), from the pool's threads. */
typedef void (*ad_hashset_fn)(void *ctx, const ad_hashset_result *r);

typedef struct ad_hashset_opts {
    ad_hash_opts hash;     /* ad_hash_opts_default */
    int video;             /* videos also get vPDQ (one frame hash a second) */
    int threads;           /* 0: one per core */
    ad_progress *progress; /* one step a file, may be NULL */
} ad_hashset_opts;
void ad_hashset_opts_default(ad_hashset_opts *o);

/* Hashes the n items; *failed (may be NULL) gets how many results were not AD_OK. AD_OK unless
 * the pool itself could not run (out of memory, no thread): a file that fails is a result. */
ad_code ad_hashset_run(const ad_hashset_item *items, size_t n, const ad_hashset_opts *o,
                       ad_hashset_fn fn, void *ctx, size_t *failed, ad_err *err);

/* A hash list as text: one PDQ (64 hex) a line, or with per = 8 the 8 dihedral forms of a file
 * comma-separated (a line of one is taken for all 8); CR-LF ends lines too. *out (malloc'd)
 * gets lines * per hashes, *lines the number of lines. AD_ERR_PARSE naming the line ("line 3:
 * ...") otherwise. */
ad_code ad_h256_list_parse(const char *text, size_t len, int per, ad_h256 **out, size_t *lines,
                           ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
