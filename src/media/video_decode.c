/* video_decode.c: pulling decoded frames of the video stream in output order, and converting the
 * current frame to packed RGB24 with swscale (SWS_AREA), as the vPDQ reference does. */
#include <string.h>

#include <libavutil/imgutils.h>

#include "video_internal.h"

/* A decoder that keeps failing on every packet is not making progress: give up. */
#define MAX_CONSECUTIVE_ERRORS 1000

/* A decode error: fatal in strict mode, else counted and skipped. */
static ad_code damaged(ad_video *v, int ret, const char *what, ad_err *err)
{
    if (v->skip.on) { /* frame numbers could differ from a full decode: start over */
        v->skip.failed = 1;
        return AD_OK;
    }
    if (v->lim.strict || ++v->consecutive_errors > MAX_CONSECUTIVE_ERRORS ||
        ret == AVERROR(ENOMEM) || ret == AVERROR_EXIT)
        return ad_video_fail(v, err, ret, what);
    v->damaged++;
    return AD_OK;
}

/* Reads packets until one of the video stream has been sent to the decoder, or starts flushing
 * the decoder at the end of the input. */
static ad_code feed(ad_video *v, ad_err *err)
{
    for (;;) {
        if (ad_video_expired(v, err))
            return AD_ERR_TIMEOUT;
        int ret = av_read_frame(v->fmt, v->pkt);
        if (ret < 0) {
            if (ret == AVERROR_EXIT || ret == AVERROR(ENOMEM))
                return ad_video_fail(v, err, ret, "cannot read");
            if (ret != AVERROR_EOF) {
                /* a demuxer error mid-file: the rest is unreadable; keep what came before */
                v->short_read = 1;
                ad_code rc = damaged(v, ret, "cannot read", err);
                if (rc != AD_OK)
                    return rc;
            }
            v->flushing = 1;
            ret = avcodec_send_packet(v->dec, NULL);
            return ret < 0 && ret != AVERROR_EOF ? ad_video_fail(v, err, ret, "decoder flush")
                                                 : AD_OK;
        }
        if (v->pkt->stream_index != v->info.stream_index) {
            av_packet_unref(v->pkt);
            continue;
        }
        if (v->skip.on && ad_video_skip_packet(v, v->pkt) != 0)
            v->skip.failed = 1;
        if (v->pkt->flags & AV_PKT_FLAG_CORRUPT) { /* a packet cut short by the end of data */
            v->damaged++;
            v->short_read = 1;
        }
        ret = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN))
            return damaged(v, ret, "cannot decode", err);
        return AD_OK;
    }
}

void ad_video_set_sampling(ad_video *v, int mod)
{
    v->sample_mod = mod;
}

/* Numbers an output frame on the fast path: the rank of its pts; 0, or -1 if in doubt. */
static int skip_number(ad_video *v, int64_t *index)
{
    int64_t pts = v->frame->pts;
    int64_t r = pts == AV_NOPTS_VALUE ? -1 : ad_video_skip_rank(v, pts);
    if (r < 0 || (v->skip.outputs > 0 && pts <= v->skip.last_pts))
        return -1;
    v->skip.last_pts = pts;
    v->skip.outputs++;
    v->skip.wanted_out += r % v->sample_mod == 0;
    *index = r;
    return 0;
}

ad_code ad_video_next(ad_video *v, int64_t *index, int *end, ad_err *err)
{
    *end = 0;
    v->has_frame = 0;
    if (!v->skip_prepared) {
        ad_code rc = ad_video_skip_prepare(v, err);
        if (rc != AD_OK)
            return rc;
    }
    for (;;) {
        if (ad_video_expired(v, err))
            return AD_ERR_TIMEOUT;
        if (v->skip.on && v->skip.failed) {
            ad_code rc = ad_video_skip_abandon(v, err);
            *end = 2;
            return rc;
        }
        int ret = avcodec_receive_frame(v->dec, v->frame);
        if (ret == 0 && v->skip.on && skip_number(v, index) != 0) {
            v->skip.failed = 1;
            continue;
        }
        if (ret == 0) {
            AVFrame *f = v->frame;
            if (v->lim.max_pixels > 0 && (int64_t)f->width * f->height > v->lim.max_pixels)
                return ad_err_set(
                    err, AD_ERR_LIMIT, "frame %lld is %dx%d, over the limit of %lld pixels",
                    (long long)v->decoded, f->width, f->height, (long long)v->lim.max_pixels);
            v->consecutive_errors = 0;
            v->has_frame = 1;
            if (!v->skip.on)
                *index = v->decoded;
            v->decoded++;
            return AD_OK;
        }
        if (ret == AVERROR_EOF) {
            if (v->skip.on && (v->skip.wanted_out != v->skip.wanted || v->skip.next != v->skip.n)) {
                v->skip.failed = 1;
                continue;
            }
            if (v->skip.on)
                v->decoded = (int64_t)v->skip.n; /* the frames a full decode gives */
            *end = 1;
            return AD_OK;
        }
        if (ret != AVERROR(EAGAIN)) {
            ad_code rc = damaged(v, ret, "cannot decode", err);
            if (rc != AD_OK)
                return rc;
            continue;
        }
        if (v->flushing) { /* EAGAIN while flushing: nothing more will come */
            if (v->skip.on) {
                v->skip.failed = 1;
                continue;
            }
            *end = 1;
            return AD_OK;
        }
        ad_code rc = feed(v, err);
        if (rc != AD_OK)
            return rc;
    }
}

ad_code ad_video_rgb(ad_video *v, int out_w, int out_h, const uint8_t **rgb, size_t *stride,
                     ad_err *err)
{
    if (!v->has_frame)
        return ad_err_set(err, AD_ERR_ARG, "no current frame");
    AVFrame *f = v->frame;
    if (out_w <= 0 || out_h <= 0) {
        out_w = v->info.width;
        out_h = v->info.height;
    }
    if (v->lim.max_pixels > 0 && (int64_t)out_w * out_h > v->lim.max_pixels)
        return ad_err_set(err, AD_ERR_LIMIT, "output size %dx%d is over the pixel limit", out_w,
                          out_h);
    v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, out_w, out_h,
                                  AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL, NULL);
    if (!v->sws)
        return ad_err_set(err, AD_ERR_UNSUPPORTED,
                          "cannot convert frames of pixel format '%s' and size %dx%d",
                          av_get_pix_fmt_name(f->format) ? av_get_pix_fmt_name(f->format) : "?",
                          f->width, f->height);
    /* Each row has room for the width rounded up to 64 pixels (so 64-byte aligned too).
     * swscale's vector YUV to RGB code (x86 yuv2rgb, used unscaled as vPDQ hashes) converts 8
     * pixels at a time, and when a row's stride cannot hold the rounded-up width it converts one
     * step less and leaves the last width % 8 columns unwritten: the old bytes of the buffer.
     * With the room every column is written, by the same code and with the same values (the
     * extra pixels land in the padding). The reference (an av_frame_get_buffer of alignment 1)
     * has no room: its last columns are whatever the memory held (docs/video.md). */
    size_t line = (((size_t)out_w + 63) & ~(size_t)63) * 3;
    size_t need = line * (size_t)out_h + 64;
    if (need > v->rgb_cap) {
        av_free(v->rgb);
        v->rgb = av_malloc(need);
        v->rgb_cap = v->rgb ? need : 0;
        if (!v->rgb)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory (RGB frame)");
    }
    uint8_t *dst[4] = {v->rgb, NULL, NULL, NULL};
    int dst_stride[4] = {(int)line, 0, 0, 0};
    int h = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
                      dst_stride);
    if (h <= 0)
        return ad_err_set(err, AD_ERR_CORRUPT, "frame conversion failed");
    *rgb = v->rgb;
    *stride = line;
    return AD_OK;
}
