/* webp.c: WebP decoding with libwebp (lossy, lossless, alpha dropped; the first frame of an
 * animation). */
#include <stdio.h>
#include <stdlib.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include "decoders.h"

static ad_code decode_still(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                            const ad_image_sink *sink, void *ctx, ad_image_info *info,
                            ad_err *err)
{
    WebPBitstreamFeatures f;
    VP8StatusCode st = WebPGetFeatures(data, len, &f);
    if (st != VP8_STATUS_OK)
        return ad_err_set(err, st == VP8_STATUS_NOT_ENOUGH_DATA ? AD_ERR_TRUNCATED : AD_ERR_CORRUPT,
                          "WebP: cannot read the header (status %d)", (int)st);
    info->width = f.width;
    info->height = f.height;
    info->bit_depth = 8;
    snprintf(info->color, sizeof info->color, "%s", f.has_alpha ? "rgba" : "rgb");
    const size_t stride = (size_t)f.width * 3;
    ad_code rc = ad_media_check_dims("WebP", (uint64_t)f.width, (uint64_t)f.height,
                                     stride * (uint64_t)f.height, &opts->limits, err);
    if (rc)
        return rc;
    uint8_t *px = malloc(stride * (size_t)f.height);
    if (!px)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a %dx%d WebP", f.width, f.height);
    if (!WebPDecodeRGBInto(data, len, px, stride * (size_t)f.height, (int)stride)) {
        free(px);
        return ad_err_set(err, AD_ERR_CORRUPT, "WebP: cannot decode the image data");
    }
    rc = ad_media_emit(sink, ctx, px, f.width, f.height, stride, 3, info, err);
    free(px);
    return rc;
}

ad_code ad_decode_webp(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                       const ad_image_sink *sink, void *ctx, ad_image_info *info, ad_err *err)
{
    WebPBitstreamFeatures f;
    if (WebPGetFeatures(data, len, &f) == VP8_STATUS_OK && f.has_animation) {
        WebPData wd = {data, len};
        WebPDemuxer *dmx = WebPDemux(&wd);
        if (!dmx)
            return ad_err_set(err, AD_ERR_CORRUPT, "WebP: cannot read the animation");
        WebPIterator it;
        ad_code rc;
        if (WebPDemuxGetFrame(dmx, 1, &it)) {
            int frames = (int)WebPDemuxGetI(dmx, WEBP_FF_FRAME_COUNT);
            rc = decode_still(it.fragment.bytes, it.fragment.size, opts, sink, ctx, info, err);
            info->frames = frames;
            WebPDemuxReleaseIterator(&it);
        } else {
            rc = ad_err_set(err, AD_ERR_CORRUPT, "WebP: animation has no frame");
        }
        WebPDemuxDelete(dmx);
        return rc;
    }
    return decode_still(data, len, opts, sink, ctx, info, err);
}
