/* heif.c: HEIC/HEIF/AVIF decoding with libheif (the primary image, interleaved RGB, alpha
 * dropped). libheif applies the container's rotation and mirroring (irot/imir), as ImageMagick
 * and phones' viewers do; EXIF orientation is not applied. */
#include <libheif/heif.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "decoders.h"

ad_code ad_decode_heif(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                       const ad_image_sink *sink, void *ctx, ad_image_info *info, ad_err *err)
{
    struct heif_context *hc = heif_context_alloc();
    struct heif_image_handle *handle = NULL;
    struct heif_image *img = NULL;
    ad_code rc = AD_OK;
    if (!hc)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    /* libheif checks every image of the file (grid tiles, overlay canvases, thumbnails) against
     * this side length before allocating: the square root of the pixel limit, so that no image
     * it makes on the way (a hostile overlay declares any canvas) exceeds the limit in area. */
    uint64_t side = (uint64_t)sqrt((double)opts->limits.max_pixels);
    while (side > 1 && side * side > opts->limits.max_pixels)
        side--;
    heif_context_set_maximum_image_size_limit(hc, side < 1 ? 1 : side > INT_MAX ? INT_MAX : (int)side);
    struct heif_error he = heif_context_read_from_memory_without_copy(hc, data, len, NULL);
    if (he.code != heif_error_Ok) {
        rc = ad_err_set(err, he.code == heif_error_Invalid_input ? AD_ERR_CORRUPT : AD_ERR_UNSUPPORTED,
                        "HEIF: %s", he.message);
        goto out;
    }
    he = heif_context_get_primary_image_handle(hc, &handle);
    if (he.code != heif_error_Ok) {
        rc = ad_err_set(err, AD_ERR_CORRUPT, "HEIF: %s", he.message);
        goto out;
    }
    int w = heif_image_handle_get_width(handle), h = heif_image_handle_get_height(handle);
    info->width = w;
    info->height = h;
    info->bit_depth = heif_image_handle_get_luma_bits_per_pixel(handle);
    snprintf(info->color, sizeof info->color, "rgb");
    rc = ad_media_check_dims("HEIF", (uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0),
                             (uint64_t)w * (uint64_t)h * 6u, &opts->limits, err);
    if (rc)
        goto out;
    he = heif_decode_image(handle, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, NULL);
    if (he.code != heif_error_Ok) {
        rc = ad_err_set(err, he.code == heif_error_Unsupported_feature ? AD_ERR_UNSUPPORTED
                                                                       : AD_ERR_CORRUPT,
                        "HEIF: %s", he.message);
        goto out;
    }
    int stride = 0;
    const uint8_t *px = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
    int iw = heif_image_get_width(img, heif_channel_interleaved);
    int ih = heif_image_get_height(img, heif_channel_interleaved);
    if (!px || iw <= 0 || ih <= 0) {
        rc = ad_err_set(err, AD_ERR_CORRUPT, "HEIF: decoded image has no pixels");
        goto out;
    }
    rc = ad_media_emit(sink, ctx, px, iw, ih, (size_t)stride, 3, info, err);
out:
    if (img)
        heif_image_release(img);
    if (handle)
        heif_image_handle_release(handle);
    heif_context_free(hc);
    return rc;
}
