/* pdq_sink.h: an image sink that computes PDQ from decoded rows (internal). */
#ifndef AD_HASH_PDQ_SINK_H
#define AD_HASH_PDQ_SINK_H

#include "ariadne/border.h"
#include "ariadne/hash.h"

typedef struct ad_pdq_sink {
    int want_dihedral;
    ad_pdq_compat compat;
    int in_w, in_h, channels, out_w, out_h;
    int too_small;
    ad_pdq_hasher *main; /* luma by the RGB formula (or grey) */
    ad_pdq_hasher *grey; /* while every RGB row so far is grey: luma = the grey value */
    int *xmap, *ymap;    /* CLI convention: nearest-neighbour source column/row per output */
    int src_row, out_row;
    uint8_t *tmp, *greyrow;
    int want_more;          /* also the trimmed and area PDQs (ariadne/border.h) */
    ad_pdq_more_acc *more; /* fed with the source rows */
} ad_pdq_sink;

extern const ad_image_sink ad_pdq_sink_fns;

void ad_pdq_sink_init(ad_pdq_sink *s, int want_dihedral, ad_pdq_compat compat);
/* After a successful finish, with want_more set: the hashes beside the plain one. */
ad_code ad_pdq_sink_more(ad_pdq_sink *s, ad_pdq_more *out, ad_err *err);
/* After decoding: the result (AD_OK), or why there is none. */
ad_code ad_pdq_sink_finish(ad_pdq_sink *s, ad_pdq_result *out, ad_err *err);
void ad_pdq_sink_free(ad_pdq_sink *s);

#endif
