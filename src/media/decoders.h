/* decoders.h: the per-format image decoders behind ad_image_decode (internal). */
#ifndef AD_MEDIA_DECODERS_H
#define AD_MEDIA_DECODERS_H

#include <stdio.h>

#include "ariadne/media.h"

typedef ad_code (*ad_decoder_fn)(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                                 const ad_image_sink *sink, void *ctx, ad_image_info *info,
                                 ad_err *err);

ad_code ad_decode_jpeg(const uint8_t *, size_t, const ad_decode_opts *, const ad_image_sink *,
                       void *, ad_image_info *, ad_err *);
ad_code ad_decode_png(const uint8_t *, size_t, const ad_decode_opts *, const ad_image_sink *,
                      void *, ad_image_info *, ad_err *);
ad_code ad_decode_gif(const uint8_t *, size_t, const ad_decode_opts *, const ad_image_sink *,
                      void *, ad_image_info *, ad_err *);
ad_code ad_decode_webp(const uint8_t *, size_t, const ad_decode_opts *, const ad_image_sink *,
                       void *, ad_image_info *, ad_err *);
ad_code ad_decode_bmp(const uint8_t *, size_t, const ad_decode_opts *, const ad_image_sink *,
                      void *, ad_image_info *, ad_err *);
ad_code ad_decode_tiff(const uint8_t *, size_t, const ad_decode_opts *, const ad_image_sink *,
                       void *, ad_image_info *, ad_err *);
ad_code ad_decode_heif(const uint8_t *, size_t, const ad_decode_opts *, const ad_image_sink *,
                       void *, ad_image_info *, ad_err *);

/* Checks width x height against the pixel limit and `bytes` against the memory limit. */
ad_code ad_media_check_dims(const char *fmt, uint64_t width, uint64_t height, uint64_t bytes,
                            const ad_limits *limits, ad_err *err);

/* ImageMagick's 16-bit to 8-bit scaling (Q16 ScaleQuantumToChar). */
static inline uint8_t ad_scale16(unsigned v)
{
    return (uint8_t)(((v + 128u) - ((v + 128u) >> 8)) >> 8);
}

/* ImageMagick's CMYK to RGB for 8-bit stored samples (as read from a JPEG: inverted ink). */
void ad_cmyk_row_to_rgb(const uint8_t *cmyk, int width, uint8_t *rgb);

/* Feeds a whole in-memory RGB or grey image to a sink. */
ad_code ad_media_emit(const ad_image_sink *sink, void *ctx, const uint8_t *pixels, int width,
                      int height, size_t stride, int channels, ad_image_info *info, ad_err *err);

#endif
