/* media_hash.h: the PDQ hashes a store keeps beside a media's plain PDQ and its frames' (schema 9,
 * table media_hash, docs/store.md "Extra hashes"): the trimmed PDQ of a picture or frame whose
 * border was found, and a picture's area PDQ (ariadne/border.h). The plain PDQ stays in media.pdq,
 * bit-exact with the reference; it alone is exchanged with partners. Matching searches both: an
 * extra hash is an index entry with the id of the media (or frame) it belongs to. */
#ifndef ARIADNE_MEDIA_HASH_H
#define ARIADNE_MEDIA_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/border.h"
#include "ariadne/error.h"
#include "ariadne/h256.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ad_mhash_kind {
    AD_MHASH_TRIM = 1, /* "trim": the PDQ of the content inside a border */
    AD_MHASH_AREA = 2, /* "area": the PDQ of the 64x64 exact area mean */
} ad_mhash_kind;

/* "trim" / "area" (NULL for another value). */
const char *ad_mhash_kind_name(ad_mhash_kind k);

typedef struct ad_media_hash {
    int64_t media_id;
    int64_t frame; /* the video frame's number (media_frame.frame); -1: the media's own */
    ad_mhash_kind kind;
    ad_h256 pdq;
    int quality;
    ad_rect content; /* trim: the content inside the border (pixels); else zero */
} ad_media_hash;

/* Adds hashes; one that is there already (media, frame, kind) is kept as it was. One audit row
 * (media.hash) for the batch. */
ad_code ad_store_media_hash_add(ad_store *st, const ad_media_hash *h, size_t n, ad_err *err);

/* Every extra hash of the store (media_id 0) or of one media, as ad_store_pdq_load gives the
 * plain ones: a media's with id = media_id and is_frame 0, a frame's with id = its media_frame
 * id and is_frame 1 (a frame extra whose frame is not stored is skipped). No audit row: the
 * index load records itself. */
ad_code ad_store_media_hash_load(ad_store *st, int64_t media_id, ad_pdq_fn fn, void *ctx,
                                 ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
