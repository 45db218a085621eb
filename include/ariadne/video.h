/* video.h: decoding the first video stream of a file, a memory buffer or a caller's read
 * callback with FFmpeg (libavformat/libavcodec/libswscale), under limits: a per-file time limit,
 * a per-frame pixel limit and a cap on the number of streams. Frames come out in decode order
 * and can be converted to packed RGB24 the way the vPDQ reference does it (sws_scale, SWS_AREA).
 *
 * FFmpeg's own logging is silenced; its last error line, if any, ends up in the ad_err message. */
#ifndef ARIADNE_VIDEO_H
#define ARIADNE_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AD_VIDEO_DEFAULT_TIME_LIMIT 120.0       /* seconds per file */
#define AD_VIDEO_DEFAULT_MAX_PIXELS 100000000LL /* per frame (100 Mpx) */
#define AD_VIDEO_DEFAULT_MAX_STREAMS 100

typedef struct ad_video_limits {
    double time_limit;  /* seconds for open + decode of one file; 0 = none */
    int64_t max_pixels; /* per frame (width x height); 0 = none */
    int max_streams;    /* streams a container may declare; 0 = FFmpeg's default (1000) */
    int threads;        /* decoder threads: 1 (default), 0 = FFmpeg picks */
    int strict;         /* 1: the first decode error fails the file (AD_ERR_CORRUPT);
                           0: damaged packets are skipped and counted (ad_video_damaged) */
} ad_video_limits;

void ad_video_limits_default(ad_video_limits *lim);

/* A caller-supplied byte source (an archive member, a network stream...). read returns the
 * number of bytes stored in buf (at most size), 0 at the end, or -1 on error. seek may be NULL
 * (not seekable); else it behaves like lseek (whence SEEK_SET, SEEK_CUR, SEEK_END) and, with
 * whence == AD_VIDEO_SEEK_SIZE, returns the total size or -1 if unknown. */
#define AD_VIDEO_SEEK_SIZE 0x10000
typedef struct ad_video_io {
    void *opaque;
    int (*read)(void *opaque, uint8_t *buf, int size);
    int64_t (*seek)(void *opaque, int64_t offset, int whence);
} ad_video_io;

typedef struct ad_video_info {
    int width, height; /* of the stream (codec parameters), the size vPDQ hashes at */
    int rate_num, rate_den;
    double frame_rate;   /* avg_frame_rate, or r_frame_rate when that is 0/0 */
    double duration;     /* seconds, from the container; 0 if unknown */
    int64_t frames_hint; /* frame count the container declares; 0 if unknown */
    int stream_index;    /* of the first video stream */
    int nb_streams;
    char codec[32];  /* decoder name, e.g. "h264" */
    char format[32]; /* container, e.g. "mov,mp4,m4a,3gp,3g2,mj2" (cut to fit) */
} ad_video_info;

typedef struct ad_video ad_video;

/* Opens and probes; fails with AD_ERR_EMPTY (no bytes), AD_ERR_UNSUPPORTED (not a video or no
 * decoder), AD_ERR_CORRUPT, AD_ERR_LIMIT (pixels, streams), AD_ERR_TIMEOUT or AD_ERR_IO. */
ad_code ad_video_open_file(ad_video **out, const char *path, const ad_video_limits *lim,
                           ad_err *err);
/* data must outlive the ad_video. */
ad_code ad_video_open_memory(ad_video **out, const void *data, size_t len,
                             const ad_video_limits *lim, ad_err *err);
/* io (and what it points to) must outlive the ad_video. */
ad_code ad_video_open_io(ad_video **out, const ad_video_io *io, const ad_video_limits *lim,
                         ad_err *err);

const ad_video_info *ad_video_get_info(const ad_video *v);

/* Decodes the next frame of the video stream. On AD_OK either *end is 1 (no more frames), or 2
 * (restart, see ad_video_set_sampling), or 0 and *index is the frame's 0-based position in decode
 * output order (the reference's AVCodecContext::frame_number - 1). */
ad_code ad_video_next(ad_video *v, int64_t *index, int *end, ad_err *err);

/* Declares, before the first ad_video_next, that only frames with index % mod == 0 will be used.
 * The decoder may then skip work on the others (H.264 in MP4/MOV: non-reference frames, about a
 * third of the decoding with B-frames); indices stay those of a full decode. ad_video_next then
 * returns the wanted frames and possibly some others, and may set *end = 2 ("restart"): the fast
 * path's checks failed, the frames returned so far are void and decoding starts over from the
 * first frame, in full. */
void ad_video_set_sampling(ad_video *v, int mod);

/* Converts the current frame to packed RGB24 of out_w x out_h (0, 0 = the stream's size) with
 * SWS_AREA, as the vPDQ reference does. The buffer belongs to v and is valid until the next call.
 */
ad_code ad_video_rgb(ad_video *v, int out_w, int out_h, const uint8_t **rgb, size_t *stride,
                     ad_err *err);

/* Frames decoded so far; damaged packets skipped so far (non-strict mode). */
int64_t ad_video_frames(const ad_video *v);
int64_t ad_video_damaged(const ad_video *v);
/* 1 when the data ended in the middle of a packet or the demuxer failed before the end: the
 * file is cut short (a partial download, a carved file). */
int ad_video_truncated(const ad_video *v);
/* 1 when the sampled fast path (ad_video_set_sampling) decoded the video to the end. */
int ad_video_fast_path(const ad_video *v);

void ad_video_close(ad_video *v);

#ifdef __cplusplus
}
#endif
#endif
