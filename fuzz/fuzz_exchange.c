/* fuzz_exchange.c: libFuzzer target: any bytes through the exchange readers (VICS JSON, ICSE
 * CSV, hash list; the first byte picks the reader and skip_bad), every record touched and
 * written again with the VICS, ICSE and hash-list writers. Build and run (see fuzz/README.md):
 *   fuzz/build.sh && ./build-fuzz/fuzz_exchange -max_total_time=60 tests/data/exchange */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/exchange.h"

static size_t touch(const char *s)
{
    return s ? strlen(s) : 0;
}

struct writers {
    ad_vics_writer *vics;
    ad_icse_writer *icse;
    ad_hashlist_writer *list;
};

static ad_code on_media(void *ctx, const ad_xmedia *m, ad_err *err)
{
    size_t n = touch(m->photodna) + touch(m->series) + touch(m->tags) + touch(m->comments) +
               touch(m->name) + touch(m->relative_path) + touch(m->mime_type) +
               touch(m->date_updated) + touch(m->image_id) + touch(m->media_type) +
               touch(m->precategorization_source) + touch(m->case_id);
    for (size_t i = 0; i < m->n_files; i++)
        n += touch(m->files[i].file_name) + touch(m->files[i].file_path) +
             touch(m->files[i].parent_md5) + touch(m->files[i].written);
    for (size_t i = 0; i < m->n_meta; i++)
        n += touch(m->meta[i].name) + touch(m->meta[i].value);
    (void)n;
    struct writers *w = ctx;
    /* refusals (no hash, foreign category, bad UTF-8) are fine */
    ad_vics_writer_add_media(w->vics, m, err);
    ad_icse_writer_add_media(w->icse, m, err);
    ad_hashlist_writer_add_media(w->list, m, err);
    return AD_OK;
}

static ad_code on_case(void *ctx, const ad_xcase *c, ad_err *err)
{
    (void)ctx;
    (void)err;
    return touch(c->case_id) + touch(c->case_number) > (size_t)-2 ? AD_ERR_INTERNAL : AD_OK;
}

static ad_code on_bad(void *ctx, const ad_xbad *b, ad_err *err)
{
    (void)ctx;
    (void)err;
    return touch(b->message) + touch(b->field) > (size_t)-2 ? AD_ERR_INTERNAL : AD_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    FILE *in = fmemopen((void *)(data + 1), size - 1, "r");
    char *out = NULL;
    size_t out_len = 0;
    FILE *of = open_memstream(&out, &out_len);
    struct writers w;
    if (!in || !of ||
        ad_vics_writer_open(&w.vics, of, AD_VICS_V1_3, AD_VICS_PNONE, AD_VICS_MEDIA, NULL) !=
            AD_OK ||
        ad_icse_writer_open(&w.icse, of, NULL) != AD_OK ||
        ad_hashlist_writer_open(&w.list, of, (ad_xhash_kind)(data[0] >> 4 & 3),
                                AD_HASHLIST_CATEGORY, AD_CAT_UK, NULL) != AD_OK)
        abort();
    ad_exchange_sink sink = {0};
    sink.media = on_media;
    sink.begin_case = on_case;
    sink.end_case = on_case;
    sink.bad = on_bad;
    sink.skip_bad = data[0] & 4;
    sink.hash64 = (data[0] & 8) ? AD_XHASH_PDQ : AD_XHASH_SHA256;
    sink.max_record_bytes = 1 << 16;
    ad_err err;
    switch (data[0] & 3) {
    case 0:
        ad_icse_read(in, &sink, &w, &err);
        break;
    case 1:
        ad_hashlist_read(in, &sink, &w, &err);
        break;
    default:
        ad_vics_read(in, &sink, &w, &err);
    }
    ad_vics_writer_close(w.vics, NULL);
    ad_icse_writer_close(w.icse, NULL);
    ad_hashlist_writer_close(w.list, NULL);
    fclose(of);
    fclose(in);
    free(out);
    return 0;
}
