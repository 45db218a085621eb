/* thumbs.c: the pipeline's thumbnails (ingest --thumbnails): made in the hashing stage from the
 * very bytes that were hashed (an image's rows from the decode that makes its PDQ, from the
 * bytes read for its digests; for a video, a frame of the decode that makes its vPDQ), written
 * with the batch, one per media and agency. Files that
 * are not decoded (exact copies of known media) get none: their media shows the agency's
 * thumbnail if an earlier ingest made one. */
#include <stdlib.h>

#include "pipeline_internal.h"

const ad_image_sink *ad_ingest_thumb_sink(const struct run *r)
{
    /* fast mode decodes scaled luma for its PDQ: its rows would make a grey thumbnail */
    return r->o->thumbnails && !r->o->fast ? &ad_thumb_sink : NULL;
}

void ad_ingest_thumb_image(const struct run *r, struct task *t, const uint8_t *bytes, size_t len,
                           ad_thumb_acc *acc)
{
    ad_thumb_free(&t->thumb);
    t->thumb_ms = -1;
    const int orientation = t->has_exif ? t->exif.orientation : 0;
    if (!r->o->thumbnails || !bytes || !ad_media_is_image(t->fh.type)) {
        ad_thumb_acc_free(acc);
        return;
    }
    ad_code rc = acc->row > 0 ? ad_thumb_acc_finish(acc, orientation, &t->thumb, NULL)
                              /* fast mode, or too small for PDQ: a decode of its own */
                              : ad_thumb_image(t->fh.type, bytes, len, orientation, &r->o->limits,
                                               &t->thumb, NULL);
    ad_thumb_acc_free(acc);
    if (rc) /* no thumbnail; the file's class is not affected */
        ad_thumb_free(&t->thumb);
}

void ad_ingest_thumb_video_opts(const struct run *r, ad_vpdq_opts *vo, ad_thumb_picker *pick)
{
    if (!r->o->thumbnails)
        return;
    vo->on_frame = ad_thumb_pick_frame;
    vo->on_frame_ctx = pick;
}

void ad_ingest_thumb_video(struct task *t, ad_thumb_picker *pick)
{
    ad_thumb_free(&t->thumb);
    if (t->has_video && pick->thumb.jpeg) {
        t->thumb = pick->thumb;
        t->thumb_ms = (int64_t)(pick->timestamp * 1000 + 0.5);
        pick->thumb = (ad_thumb){0};
    }
    ad_thumb_free(&pick->thumb);
}

ad_code ad_ingest_write_thumbs(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                               ad_err *err)
{
    if (!r->o->thumbnails || !nm)
        return AD_OK;
    ad_media_thumb *v = calloc(nm, sizeof *v);
    if (!v)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t k = 0; k < nm; k++) {
        const struct task *t = &r->write->t[of[k]];
        if (!t->thumb.jpeg || t->code)
            continue;
        v[n++] = (ad_media_thumb){.media_id = mids[k],
                                  .agency_id = r->agency_id,
                                  .jpeg = t->thumb.jpeg,
                                  .len = t->thumb.len,
                                  .width = t->thumb.width,
                                  .height = t->thumb.height,
                                  .frame_ms = t->thumb_ms,
                                  .job_id = r->job};
    }
    ad_code rc = ad_store_thumb_add_batch(r->st, v, n, NULL, err);
    free(v);
    return rc;
}
