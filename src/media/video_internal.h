/* video_internal.h: the ad_video decoder state shared by video_open.c, video_decode.c and
 * video_log.c (not public). */
#ifndef AD_VIDEO_INTERNAL_H
#define AD_VIDEO_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "ariadne/video.h"

struct ad_video_mem {
    const uint8_t *data;
    size_t len, pos;
};

/* The fast path for sampled decoding (video_skip.c). */
struct ad_video_skip {
    int on, failed;
    int64_t *pts;              /* every video packet's pts, in decode order */
    int64_t *sorted;           /* the same, sorted: a frame's rank is its index in a full decode */
    size_t n, next;            /* packets; next packet expected */
    size_t wanted, wanted_out; /* frames with rank % mod == 0, and those output so far */
    int64_t first_dts, last_pts, outputs;
};

struct ad_video {
    AVFormatContext *fmt;
    AVIOContext *avio;       /* custom I/O (memory or caller callbacks), else NULL */
    ad_video_io io;          /* the caller's callbacks, or ours over mem */
    struct ad_video_mem mem; /* for ad_video_open_memory */
    int64_t io_bytes;        /* bytes delivered through custom I/O */
    int io_failed;           /* the caller's read callback reported an error */
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    uint8_t *rgb;
    size_t rgb_cap;
    ad_video_limits lim;
    double deadline; /* ad_now() value after which everything stops; 0 = none */
    int timed_out;
    ad_video_info info;
    int64_t decoded, damaged;
    int flushing, has_frame, consecutive_errors;
    int short_read; /* the demuxer met the end of the data too early */
    int sample_mod, skip_prepared;
    struct ad_video_skip skip;
};

/* Installs (once) the FFmpeg log callback that keeps the last error line of this thread
 * instead of printing it. */
void ad_video_log_init(void);
/* The last FFmpeg error line logged on this thread ("" if none); clear before an operation. */
const char *ad_video_log_last(void);
void ad_video_log_clear(void);

/* Fills err from an FFmpeg error number: the code it maps to (or AD_ERR_TIMEOUT after the time
 * limit, AD_ERR_LIMIT when FFmpeg hit the stream cap), "what: FFmpeg's text (last log line)".
 * Returns the code. */
ad_code ad_video_fail(ad_video *v, ad_err *err, int averr, const char *what);
/* 1 (and err set to AD_ERR_TIMEOUT) when the deadline has passed. */
int ad_video_expired(ad_video *v, ad_err *err);

/* video_skip.c: scans packet timestamps and rewinds when the fast path applies (else no-op). */
ad_code ad_video_skip_prepare(ad_video *v, ad_err *err);
/* Rank of a pts among all packets, or -1. */
int64_t ad_video_skip_rank(const ad_video *v, int64_t pts);
/* Sets the decoder's skip level for the next packet; -1 if it is not the packet expected. */
int ad_video_skip_packet(ad_video *v, const AVPacket *pkt);
/* Leaves the fast path: rewinds and resets for a full decode. */
ad_code ad_video_skip_abandon(ad_video *v, ad_err *err);
void ad_video_skip_free(ad_video *v);

#endif
