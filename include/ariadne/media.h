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

/* A small JPEG thumbnail (longest side <= max_side) of an image, for reports that ask for
 * thumbnails. *out is malloc'd; the caller frees it. */
ad_code ad_thumbnail_jpeg(ad_media_type type, const uint8_t *data, size_t len, int max_side,
                          const ad_limits *limits, uint8_t **out, size_t *out_len, ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
