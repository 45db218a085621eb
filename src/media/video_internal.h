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

#endif
