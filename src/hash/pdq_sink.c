/* pdq_sink.c: turns decoded rows into PDQ the way the reference sees them.
 *
 * - ImageMagick, which decodes for the reference, writes an RGB image whose every pixel is
 *   grey as a grey image, and the reference then takes the grey value as luma instead of
 *   0.299 R + 0.587 G + 0.114 B (which differs in the last float bit for 35 of 256 values).
 *   So while all rows are grey a second hasher runs on the grey values; the first colour row
 *   drops it.
 * - The CLI convention resizes images over 512 px on a side to 512x512 by nearest neighbour
 *   (CImg's resize: source index = floor(i * old / 512)); done here as rows stream. */
#include <stdlib.h>
#include <string.h>

#include "pdq_sink.h"

static ad_code sink_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    ad_pdq_sink *s = ctx;
    s->in_w = w;
    s->in_h = h;
    s->channels = channels;
    s->out_w = w;
    s->out_h = h;
    if (s->compat == AD_PDQ_COMPAT_CLI && (w > 512 || h > 512)) {
        s->out_w = s->out_h = 512;
        s->xmap = malloc(512 * sizeof(int));
        s->ymap = malloc(512 * sizeof(int));
        s->tmp = malloc(512 * 3);
        if (!s->xmap || !s->ymap || !s->tmp)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        for (int i = 0; i < 512; i++) {
            s->xmap[i] = (int)((double)i * w / 512);
            s->ymap[i] = (int)((double)i * h / 512);
        }
    }
    if (s->out_w < AD_PDQ_MIN_DIM || s->out_h < AD_PDQ_MIN_DIM) {
        s->too_small = 1;
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "image %dx%d is too small for PDQ (minimum %dx%d)",
                          w, h, AD_PDQ_MIN_DIM, AD_PDQ_MIN_DIM);
    }
    ad_code rc = ad_pdq_hasher_new(&s->main, s->out_w, s->out_h, err);
    if (!rc && s->want_more)
        rc = ad_pdq_more_new(&s->more, w, h, err);
    if (!rc && channels == 3) {
        rc = ad_pdq_hasher_new(&s->grey, s->out_w, s->out_h, err);
        s->greyrow = malloc((size_t)s->out_w);
        if (!rc && !s->greyrow)
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    return rc;
}

static int row_is_grey(const uint8_t *row, int w)
{
    for (int x = 0; x < w; x++) {
        const uint8_t *p = row + 3 * x;
        if (p[0] != p[1] || p[1] != p[2])
            return 0;
    }
    return 1;
}

static void push_row(ad_pdq_sink *s, const uint8_t *row)
{
    if (s->grey) {
        for (int x = 0; x < s->out_w; x++)
            s->greyrow[x] = row[3 * x];
        ad_pdq_hasher_push_u8(s->grey, s->greyrow, 1);
    }
    ad_pdq_hasher_push_u8(s->main, row, s->channels);
}

static void sink_row(void *ctx, const uint8_t *row)
{
    ad_pdq_sink *s = ctx;
    if (!s->main)
        return;
    if (s->more)
        ad_pdq_more_push_u8(s->more, row, s->channels);
    /* greyness is judged on the source rows, as ImageMagick judges the whole image */
    if (s->grey && !row_is_grey(row, s->in_w)) {
        ad_pdq_hasher_free(s->grey);
        s->grey = NULL;
    }
    if (!s->ymap) {
        push_row(s, row);
        return;
    }
    const int r = s->src_row++;
    while (s->out_row < 512 && s->ymap[s->out_row] == r) {
        if (s->channels == 1) {
            for (int x = 0; x < 512; x++)
                s->tmp[x] = row[s->xmap[x]];
        } else {
            for (int x = 0; x < 512; x++)
                memcpy(s->tmp + 3 * x, row + 3 * s->xmap[x], 3);
        }
        push_row(s, s->tmp);
        s->out_row++;
    }
}

const ad_image_sink ad_pdq_sink_fns = {sink_begin, sink_row};

void ad_pdq_sink_init(ad_pdq_sink *s, int want_dihedral, ad_pdq_compat compat)
{
    memset(s, 0, sizeof *s);
    s->want_dihedral = want_dihedral;
    s->compat = compat;
}

ad_code ad_pdq_sink_finish(ad_pdq_sink *s, ad_pdq_result *out, ad_err *err)
{
    if (!s->main)
        return ad_err_set(err, AD_ERR_INTERNAL, "PDQ sink was never started");
    return ad_pdq_hasher_finish(s->grey ? s->grey : s->main, s->want_dihedral, out, err);
}

ad_code ad_pdq_sink_more(ad_pdq_sink *s, ad_pdq_more *out, ad_err *err)
{
    if (!s->more)
        return ad_err_set(err, AD_ERR_INTERNAL, "PDQ sink has no extra hashes");
    return ad_pdq_more_finish(s->more, out, err);
}

void ad_pdq_sink_free(ad_pdq_sink *s)
{
    ad_pdq_more_free(s->more);
    ad_pdq_hasher_free(s->main);
    ad_pdq_hasher_free(s->grey);
    free(s->xmap);
    free(s->ymap);
    free(s->tmp);
    free(s->greyrow);
    memset(s, 0, sizeof *s);
}
