/* video_open.c: opening a video (path, memory or read callback), probing its first video stream
 * and opening the decoder under the limits; closing; mapping FFmpeg errors to ad_code. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/error.h>

#include "ariadne/util.h"
#include "video_internal.h"

#define AVIO_BUF_SIZE 65536

void ad_video_limits_default(ad_video_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    lim->time_limit = AD_VIDEO_DEFAULT_TIME_LIMIT;
    lim->max_pixels = AD_VIDEO_DEFAULT_MAX_PIXELS;
    lim->max_streams = AD_VIDEO_DEFAULT_MAX_STREAMS;
    lim->threads = 1;
}

int ad_video_expired(ad_video *v, ad_err *err)
{
    if (!v->timed_out && v->deadline > 0 && ad_now() > v->deadline)
        v->timed_out = 1;
    if (v->timed_out)
        ad_err_set(err, AD_ERR_TIMEOUT, "time limit of %g s exceeded", v->lim.time_limit);
    return v->timed_out;
}

static ad_code code_of(int averr)
{
    switch (averr) {
    case AVERROR(ENOMEM):
        return AD_ERR_NOMEM;
    case AVERROR(ENOENT):
        return AD_ERR_NOT_FOUND;
    case AVERROR(EACCES):
    case AVERROR(EPERM):
        return AD_ERR_PERM;
    case AVERROR(EIO):
        return AD_ERR_IO;
    case AVERROR_EOF:
        return AD_ERR_TRUNCATED;
    case AVERROR_EXIT:
        return AD_ERR_TIMEOUT;
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_PATCHWELCOME:
    case AVERROR(ENOSYS):
        return AD_ERR_UNSUPPORTED;
    default:
        return AD_ERR_CORRUPT;
    }
}

ad_code ad_video_fail(ad_video *v, ad_err *err, int averr, const char *what)
{
    if (ad_video_expired(v, err))
        return AD_ERR_TIMEOUT;
    const char *last = ad_video_log_last();
    ad_code code = code_of(averr);
    if (strstr(last, "max_streams") || strstr(last, "Picture size")) /* FFmpeg's own limits */
        return ad_err_set(err, AD_ERR_LIMIT, "%s: over a limit (ffmpeg: %s)", what, last);
    char text[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(averr, text, sizeof text);
    if (*last)
        return ad_err_set(err, code, "%s: %s (ffmpeg: %s)", what, text, last);
    return ad_err_set(err, code, "%s: %s", what, text);
}

static int interrupt_cb(void *opaque)
{
    return ad_video_expired(opaque, NULL);
}

/* Custom I/O: FFmpeg's callbacks over the caller's (or the memory source's) functions. */
static int avio_read_cb(void *opaque, uint8_t *buf, int size)
{
    ad_video *v = opaque;
    if (ad_video_expired(v, NULL))
        return AVERROR_EXIT;
    int n = v->io.read(v->io.opaque, buf, size);
    if (n < 0) {
        v->io_failed = 1;
        return AVERROR(EIO);
    }
    if (n == 0)
        return AVERROR_EOF;
    v->io_bytes += n;
    return n;
}

static int64_t avio_seek_cb(void *opaque, int64_t offset, int whence)
{
    ad_video *v = opaque;
    if (whence & AVSEEK_SIZE)
        return v->io.seek(v->io.opaque, 0, AD_VIDEO_SEEK_SIZE);
    whence &= ~AVSEEK_FORCE;
    int64_t r = v->io.seek(v->io.opaque, offset, whence);
    return r < 0 ? AVERROR(EIO) : r;
}

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    struct ad_video_mem *m = opaque;
    size_t n = m->len - m->pos;
    if (n > (size_t)size)
        n = (size_t)size;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t offset, int whence)
{
    struct ad_video_mem *m = opaque;
    int64_t base;
    switch (whence) {
    case AD_VIDEO_SEEK_SIZE:
        return (int64_t)m->len;
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)m->pos;
        break;
    case SEEK_END:
        base = (int64_t)m->len;
        break;
    default:
        return -1;
    }
    if (offset < -base || base + offset > (int64_t)m->len)
        return -1;
    m->pos = (size_t)(base + offset);
    return (int64_t)m->pos;
}

void ad_video_close(ad_video *v)
{
    if (!v)
        return;
    ad_video_skip_free(v);
    sws_freeContext(v->sws);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    if (v->avio) {
        av_freep(&v->avio->buffer);
        avio_context_free(&v->avio);
    }
    av_free(v->rgb);
    av_free(v);
}

static void copy_name(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Finds the first video stream, checks its size against the limits and opens its decoder. */
static ad_code open_stream(ad_video *v, ad_err *err)
{
    AVFormatContext *fmt = v->fmt;
    ad_video_info *in = &v->info;
    in->nb_streams = (int)fmt->nb_streams;
    if (v->lim.max_streams > 0 && fmt->nb_streams > (unsigned)v->lim.max_streams)
        return ad_err_set(err, AD_ERR_LIMIT, "%u streams, more than the limit of %d",
                          fmt->nb_streams, v->lim.max_streams);
    in->stream_index = -1;
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            in->stream_index = (int)i;
            break;
        }
    if (in->stream_index < 0)
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "no video stream");
    AVStream *st = fmt->streams[in->stream_index];
    const AVCodecParameters *par = st->codecpar;
    in->width = par->width;
    in->height = par->height;
    if (in->width <= 0 || in->height <= 0)
        return ad_err_set(err, AD_ERR_CORRUPT, "video stream has no frame size");
    if (v->lim.max_pixels > 0 && (int64_t)in->width * in->height > v->lim.max_pixels)
        return ad_err_set(err, AD_ERR_LIMIT, "frame size %dx%d is over the limit of %lld pixels",
                          in->width, in->height, (long long)v->lim.max_pixels);
    copy_name(in->format, sizeof in->format, fmt->iformat ? fmt->iformat->name : "");

    AVRational r = st->avg_frame_rate;
    if (r.num == 0 || r.den == 0)
        r = st->r_frame_rate;
    if (r.num <= 0 || r.den <= 0)
        return ad_err_set(err, AD_ERR_CORRUPT, "video frame rate is unknown or zero");
    in->rate_num = r.num;
    in->rate_den = r.den;
    in->frame_rate = (double)r.num / (double)r.den;
    if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
        in->duration = (double)fmt->duration / AV_TIME_BASE;
    else if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        in->duration = (double)st->duration * av_q2d(st->time_base);
    in->frames_hint = st->nb_frames > 0 ? st->nb_frames : 0;

    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "no decoder for video codec '%s'",
                          avcodec_get_name(par->codec_id));
    copy_name(in->codec, sizeof in->codec, codec->name);
    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory (decoder)");
    int ret = avcodec_parameters_to_context(v->dec, par);
    if (ret < 0)
        return ad_video_fail(v, err, ret, "decoder parameters");
    v->dec->thread_count = v->lim.threads;
    if (v->lim.threads != 1 && (codec->capabilities & AV_CODEC_CAP_SLICE_THREADS))
        v->dec->thread_type = FF_THREAD_SLICE;
    if (v->lim.max_pixels > 0)
        v->dec->max_pixels = v->lim.max_pixels;
    ret = avcodec_open2(v->dec, codec, NULL);
    if (ret < 0)
        return ad_video_fail(v, err, ret, "cannot open the video decoder");
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    if (!v->pkt || !v->frame)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory (frame)");
    return AD_OK;
}

/* Opens url (a path, or "" with custom I/O already set up in v) and the video stream. */
static ad_code open_common(ad_video *v, const char *url, ad_err *err)
{
    v->fmt = avformat_alloc_context();
    if (!v->fmt)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory (format)");
    v->fmt->interrupt_callback.callback = interrupt_cb;
    v->fmt->interrupt_callback.opaque = v;
    if (v->lim.max_streams > 0)
        v->fmt->max_streams = v->lim.max_streams;
    if (v->avio) {
        v->fmt->pb = v->avio;
        v->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    int ret = avformat_open_input(&v->fmt, url, NULL, NULL);
    if (ret < 0) {
        if (v->io_failed)
            return ad_err_set(err, AD_ERR_IO, "cannot open: the read callback failed");
        if (v->avio && v->io_bytes == 0 && !v->timed_out)
            return ad_err_set(err, AD_ERR_EMPTY, "empty input");
        /* no demuxer recognised the data (none complained) */
        if (ret == AVERROR_INVALIDDATA && !*ad_video_log_last())
            return ad_err_set(err, AD_ERR_UNSUPPORTED, "not a recognised video format");
        return ad_video_fail(v, err, ret, "cannot open");
    }
    ret = avformat_find_stream_info(v->fmt, NULL);
    if (ret < 0)
        return ad_video_fail(v, err, ret, "cannot read stream information");
    if (ad_video_expired(v, err))
        return AD_ERR_TIMEOUT;
    return open_stream(v, err);
}

static ad_code start(ad_video **out, const ad_video_limits *lim, ad_video **vp, ad_err *err)
{
    *out = NULL;
    ad_video_log_init();
    ad_video_log_clear();
    ad_video *v = av_mallocz(sizeof *v);
    if (!v)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (lim)
        v->lim = *lim;
    else
        ad_video_limits_default(&v->lim);
    if (v->lim.time_limit > 0)
        v->deadline = ad_now() + v->lim.time_limit;
    *vp = v;
    return AD_OK;
}

static ad_code finish(ad_video **out, ad_video *v, ad_code rc)
{
    if (rc != AD_OK) {
        ad_video_close(v);
        return rc;
    }
    *out = v;
    return AD_OK;
}

ad_code ad_video_open_file(ad_video **out, const char *path, const ad_video_limits *lim,
                           ad_err *err)
{
    ad_video *v = NULL;
    ad_code rc = start(out, lim, &v, err);
    if (rc != AD_OK)
        return rc;
    struct stat st;
    if (stat(path, &st) != 0)
        rc = ad_err_set(err, errno == ENOENT ? AD_ERR_NOT_FOUND : AD_ERR_IO, "%s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = ad_err_set(err, AD_ERR_ARG, "not a regular file");
    else if (st.st_size == 0)
        rc = ad_err_set(err, AD_ERR_EMPTY, "empty file");
    else {
        /* "file:" keeps names with a colon from being read as a protocol */
        size_t n = strlen(path) + 6;
        char *url = av_malloc(n);
        if (!url)
            return finish(out, v, ad_err_set(err, AD_ERR_NOMEM, "out of memory"));
        snprintf(url, n, "file:%s", path);
        rc = open_common(v, url, err);
        av_free(url);
    }
    return finish(out, v, rc);
}

static ad_code open_custom(ad_video *v, ad_err *err)
{
    uint8_t *buf = av_malloc(AVIO_BUF_SIZE);
    if (!buf)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    v->avio = avio_alloc_context(buf, AVIO_BUF_SIZE, 0, v, avio_read_cb, NULL,
                                 v->io.seek ? avio_seek_cb : NULL);
    if (!v->avio) {
        av_free(buf);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    return open_common(v, "", err);
}

ad_code ad_video_open_memory(ad_video **out, const void *data, size_t len,
                             const ad_video_limits *lim, ad_err *err)
{
    ad_video *v = NULL;
    ad_code rc = start(out, lim, &v, err);
    if (rc != AD_OK)
        return rc;
    if (len == 0)
        return finish(out, v, ad_err_set(err, AD_ERR_EMPTY, "empty input"));
    v->mem = (struct ad_video_mem){data, len, 0};
    v->io = (ad_video_io){&v->mem, mem_read, mem_seek};
    return finish(out, v, open_custom(v, err));
}

ad_code ad_video_open_io(ad_video **out, const ad_video_io *io, const ad_video_limits *lim,
                         ad_err *err)
{
    if (!io || !io->read)
        return ad_err_set(err, AD_ERR_ARG, "no read callback");
    ad_video *v = NULL;
    ad_code rc = start(out, lim, &v, err);
    if (rc != AD_OK)
        return rc;
    v->io = *io;
    return finish(out, v, open_custom(v, err));
}

const ad_video_info *ad_video_get_info(const ad_video *v)
{
    return &v->info;
}

int64_t ad_video_frames(const ad_video *v)
{
    return v->decoded;
}

int64_t ad_video_damaged(const ad_video *v)
{
    return v->damaged;
}

int ad_video_truncated(const ad_video *v)
{
    return v->short_read;
}

int ad_video_fast_path(const ad_video *v)
{
    return v->skip.on;
}
