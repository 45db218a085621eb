/* vpdq_trim.h: a video's border found over its first hashed frames and the trimmed PDQ of every
 * hashed frame (internal; vpdq_trim.c). */
#ifndef AD_HASH_VPDQ_TRIM_H
#define AD_HASH_VPDQ_TRIM_H

#include "ariadne/vpdq.h"

typedef struct ad_vtrim ad_vtrim;
ad_code ad_vtrim_new(ad_vtrim **out, int width, int height, ad_err *err);
/* Hashed frame i (its position in the frame list) as RGB24, with its plain PDQ quality. */
ad_code ad_vtrim_frame(ad_vtrim *t, size_t i, const uint8_t *rgb, size_t stride, int quality,
                       ad_err *err);
/* Decides (if the first frames have not) and, when a border was found on every hashed frame,
 * gives out its content and the frames' trimmed PDQs. */
ad_code ad_vtrim_finish(ad_vtrim *t, ad_vpdq_video *out, ad_err *err);
/* Decoding starts over: every frame seen is void. */
void ad_vtrim_reset(ad_vtrim *t);
void ad_vtrim_free(ad_vtrim *t);

#endif
