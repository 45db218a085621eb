/* media.h: what a file is (by content, never by name) and decoding images to 8-bit rows.
 *
 * Decoders stream rows of 8-bit grey (1 channel) or RGB (3 channels) pixels, top to bottom,
 * to a sink, so a consumer such as the PDQ hasher never needs the whole image. Conventions
 * follow the PDQ reference (which decodes through ImageMagick): alpha is dropped, not
 * composited; EXIF orientation is ignored; 16-bit samples are scaled to 8 bits as ImageMagick
 * does ((v + 128 - ((v + 128) >> 8)) >> 8); CMYK is converted as ImageMagick converts it.
 * Limits (pixels, memory) are checked before any large allocation. */
#ifndef ARIADNE_MEDIA_H
#define ARIADNE_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ad_media_type {
    AD_MEDIA_UNKNOWN = 0, /* not probed */
    AD_MEDIA_JPEG,
    AD_MEDIA_PNG,
    AD_MEDIA_GIF,
    AD_MEDIA_WEBP,
    AD_MEDIA_BMP,
    AD_MEDIA_TIFF,
    AD_MEDIA_HEIF,
    AD_MEDIA_VIDEO, /* any container with video that FFmpeg may read */
    AD_MEDIA_EMPTY, /* zero bytes */
    AD_MEDIA_OTHER, /* anything else: documents, archives, unsupported images */
} ad_media_type;

/* Short name of a type: "jpeg", "png", ..., "video", "empty", "other". */
const char *ad_media_type_name(ad_media_type t);
/* 1 for the still-image types we decode. */
int ad_media_is_image(ad_media_type t);

typedef struct ad_limits {
    uint64_t max_pixels;     /* width * height of one image (default 200 Mpx) */
    uint64_t max_file_bytes; /* bytes read into memory for one image file (default 1 GiB) */
    uint64_t max_memory;     /* decoder memory for one image (default 2 GiB) */
} ad_limits;

void ad_limits_default(ad_limits *l);

/* Content type detection (libmagic). One ad_magic per thread. */
typedef struct ad_magic ad_magic;
ad_code ad_magic_open(ad_magic **out, ad_err *err);
void ad_magic_close(ad_magic *m);
/* Classifies the first bytes of a file (a few KiB are enough); mime gets libmagic's MIME type. */
ad_media_type ad_media_probe(ad_magic *m, const uint8_t *buf, size_t len, char *mime,
                             size_t mime_len);

/* Where decoded rows go. begin() is called once with the decoded size (which may be smaller
 * than the image when scaled decoding is asked for) and may refuse with an error. */
typedef struct ad_image_sink {
    ad_code (*begin)(void *ctx, int width, int height, int channels, ad_err *err);
    void (*row)(void *ctx, const uint8_t *pixels);
} ad_image_sink;

typedef struct ad_decode_opts {
    ad_limits limits;
    /* Fast mode: when > 0, decoders that can scale while decoding (JPEG DCT scaling) may deliver
     * an image whose smaller side is at least min_side, and skip chroma when only luma is needed. */
    int min_side;
    int luma_only; /* the sink only needs luma: grey output allowed */
} ad_decode_opts;

typedef struct ad_image_info {
    int width, height;         /* full size as stored */
    int out_width, out_height; /* size delivered to the sink */
    int channels;              /* 1 or 3, as delivered */
    int bit_depth;             /* bits per sample in the file */
    int frames;                /* >1 for animated GIF/WebP (first frame decoded) */
    char color[16];            /* "rgb", "grey", "palette", "cmyk", "ycck" ... */
} ad_image_info;

/* Decodes the first image in data[0..len) of a known type. */
ad_code ad_image_decode(ad_media_type type, const uint8_t *data, size_t len,
                        const ad_decode_opts *opts, const ad_image_sink *sink, void *ctx,
                        ad_image_info *info, ad_err *err);

/* Thumbnails: small colour JPEGs made at ingest from the very bytes that were hashed, kept in
 * the store (docs/ingest.md "Thumbnails"). Viewers show them blurred and greyscale until asked. */
#define AD_THUMB_MAX_SIDE 160 /* pixels on the longest side (never enlarged) */
#define AD_THUMB_QUALITY 70   /* JPEG quality */

typedef struct ad_thumb {
    uint8_t *jpeg; /* malloc'd JPEG */
    size_t len;
    int width, height; /* of the thumbnail */
} ad_thumb;

/* The thumbnail of an image from its bytes, turned upright by its EXIF orientation (1..8; 0 when
 * unknown: as stored). Decoded under limits (NULL: the defaults), scaled in the DCT domain when
 * the format allows. Free out with ad_thumb_free. */
ad_code ad_thumb_image(ad_media_type type, const uint8_t *data, size_t len, int orientation,
                       const ad_limits *limits, ad_thumb *out, ad_err *err);
/* A thumbnail from rows as they are decoded, for a caller that decodes anyway (ingest's PDQ
 * decode): ad_thumb_sink with a zeroed ad_thumb_acc as its ctx, then ad_thumb_acc_finish (which
 * frees the accumulator in every case; ad_thumb_acc_free when the decode failed). */
typedef struct ad_thumb_acc {
    int w, h, channels, tw, th, row; /* the rest is private */
    int sx, sy;
    uint64_t *sum;
    uint32_t *colcount, *rowcount;
    int *xend;
} ad_thumb_acc;
extern const ad_image_sink ad_thumb_sink;
ad_code ad_thumb_acc_finish(ad_thumb_acc *acc, int orientation, ad_thumb *out, ad_err *err);
void ad_thumb_acc_free(ad_thumb_acc *acc);
/* The same from packed RGB24 rows (a decoded video frame; stride bytes between rows). */
ad_code ad_thumb_rgb(const uint8_t *rgb, size_t stride, int width, int height, ad_thumb *out,
                     ad_err *err);
void ad_thumb_free(ad_thumb *t);

/* Picks the frame of a video that its thumbnail is made of, as the decoded frames stream by
 * (called as ad_vpdq_opts.on_frame with ctx an ad_thumb_picker, zeroed first): the first frame
 * at or after half the duration; when the duration is unknown (0) or overstated, the last of the
 * 1st, 2nd, 4th, 8th... frames seen (between a quarter and half of the way). rgb NULL starts
 * over. Only the picked frames are made into thumbnails (a few per video). */
typedef struct ad_thumb_picker {
    ad_thumb thumb;   /* the picked frame's (jpeg NULL: none yet); free with ad_thumb_free */
    double timestamp; /* of the picked frame, seconds */
    int64_t seen;     /* frames seen */
    int at_middle;    /* the frame at half the duration is picked: later ones are not looked at */
    ad_code rc;       /* why the last thumbnail could not be made (AD_OK: no failure) */
} ad_thumb_picker;
void ad_thumb_pick_frame(void *picker, int64_t index, double timestamp, double duration,
                         const uint8_t *rgb, size_t stride, int width, int height);

#ifdef __cplusplus
}
#endif
#endif
