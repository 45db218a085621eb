/* video_skip.c: the fast path for sampled decoding. When only every n-th frame is wanted from an
 * H.264 stream in MP4/MOV, a first pass reads the packets' timestamps (no decoding); the decode
 * pass then lets the decoder drop non-reference frames that are not wanted (AVDISCARD_NONREF)
 * and numbers each output frame by the rank of its timestamp, which is its position in a full
 * decode. Every step is checked (packet order, timestamps, all wanted frames out, no damage);
 * on any doubt the video is rewound and decoded in full, the reference's way. */
#include <stdlib.h>
#include <string.h>

#include "video_internal.h"

/* 4M packets (37 h at 30 fps) take 64 MiB of tables; longer videos are decoded in full */
#define MAX_SKIP_PACKETS (4 * 1024 * 1024)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void drop_tables(ad_video *v)
{
    free(v->skip.pts);
    free(v->skip.sorted);
    memset(&v->skip, 0, sizeof v->skip);
}

static int eligible(const ad_video *v)
{
    return v->sample_mod > 1 && v->dec->codec_id == AV_CODEC_ID_H264 && v->fmt->iformat &&
           !strncmp(v->fmt->iformat->name, "mov", 3) && v->fmt->pb &&
           (v->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL) && !v->lim.strict;
}

/* Back to the first packet, decoder reset. */
static ad_code rewind_input(ad_video *v, ad_err *err)
{
    int ret = av_seek_frame(v->fmt, v->info.stream_index, v->skip.first_dts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0)
        return ad_video_fail(v, err, ret, "cannot rewind");
    avcodec_flush_buffers(v->dec);
    v->dec->skip_frame = AVDISCARD_DEFAULT;
    v->decoded = v->damaged = 0;
    v->flushing = v->has_frame = v->consecutive_errors = v->short_read = 0;
    return AD_OK;
}

/* Reads every packet's timestamp; 1 if the fast path can be used. */
static int scan(ad_video *v, ad_err *err, ad_code *rc)
{
    size_t cap = 0;
    int ok = 1;
    v->skip.first_dts = AV_NOPTS_VALUE;
    for (;;) {
        if (ad_video_expired(v, err)) {
            *rc = AD_ERR_TIMEOUT;
            return 0;
        }
        int ret = av_read_frame(v->fmt, v->pkt);
        if (ret < 0) {
            ok &= ret == AVERROR_EOF;
            break;
        }
        if (v->pkt->stream_index != v->info.stream_index) {
            av_packet_unref(v->pkt);
            continue;
        }
        if (v->skip.first_dts == AV_NOPTS_VALUE)
            v->skip.first_dts = v->pkt->dts;
        ok &= v->pkt->pts != AV_NOPTS_VALUE &&
              !(v->pkt->flags & (AV_PKT_FLAG_DISCARD | AV_PKT_FLAG_CORRUPT));
        if (ok && v->skip.n == cap) {
            cap = cap ? cap * 2 : 4096;
            int64_t *np = cap <= MAX_SKIP_PACKETS ? realloc(v->skip.pts, cap * sizeof *np) : NULL;
            if (np)
                v->skip.pts = np;
            ok &= np != NULL;
        }
        if (ok)
            v->skip.pts[v->skip.n++] = v->pkt->pts;
        av_packet_unref(v->pkt);
    }
    if (!ok || v->skip.n == 0 || v->skip.first_dts == AV_NOPTS_VALUE)
        return 0;
    v->skip.sorted = malloc(v->skip.n * sizeof *v->skip.sorted);
    if (!v->skip.sorted)
        return 0;
    memcpy(v->skip.sorted, v->skip.pts, v->skip.n * sizeof *v->skip.sorted);
    qsort(v->skip.sorted, v->skip.n, sizeof *v->skip.sorted, cmp_i64);
    for (size_t i = 1; i < v->skip.n; i++)
        if (v->skip.sorted[i] == v->skip.sorted[i - 1])
            return 0; /* equal timestamps: ranks are ambiguous */
    for (size_t i = 0; i < v->skip.n; i += (size_t)v->sample_mod)
        v->skip.wanted++;
    return 1;
}

ad_code ad_video_skip_prepare(ad_video *v, ad_err *err)
{
    v->skip_prepared = 1;
    if (!eligible(v))
        return AD_OK;
    ad_code rc = AD_OK;
    int ok = scan(v, err, &rc);
    if (rc != AD_OK) {
        drop_tables(v);
        return rc;
    }
    if (v->skip.first_dts == AV_NOPTS_VALUE) { /* no packet at all: nothing to rewind */
        drop_tables(v);
        return AD_OK;
    }
    if (!ok)
        drop_tables(v);
    v->skip.on = ok;
    int64_t first = v->skip.first_dts;
    rc = rewind_input(v, err);
    v->skip.first_dts = first;
    return rc;
}

int64_t ad_video_skip_rank(const ad_video *v, int64_t pts)
{
    size_t lo = 0, hi = v->skip.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->skip.sorted[mid] < pts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->skip.n && v->skip.sorted[lo] == pts ? (int64_t)lo : -1;
}

int ad_video_skip_packet(ad_video *v, const AVPacket *pkt)
{
    size_t j = v->skip.next++;
    if (j >= v->skip.n || pkt->pts != v->skip.pts[j])
        return -1;
    int64_t rank = ad_video_skip_rank(v, pkt->pts);
    v->dec->skip_frame = rank % v->sample_mod == 0 ? AVDISCARD_DEFAULT : AVDISCARD_NONREF;
    return 0;
}

ad_code ad_video_skip_abandon(ad_video *v, ad_err *err)
{
    int64_t first = v->skip.first_dts;
    drop_tables(v);
    v->skip.first_dts = first;
    return rewind_input(v, err);
}

void ad_video_skip_free(ad_video *v)
{
    drop_tables(v);
}
