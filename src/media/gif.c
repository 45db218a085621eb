/* gif.c: GIF decoding with giflib: the first image only, at its own size (as ImageMagick
 * reads it), palette mapped to RGB, transparency ignored. Later frames are never decoded, so an
 * animated GIF costs one frame of memory. */
#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

#include "decoders.h"

struct gifsrc {
    const uint8_t *data;
    size_t len, pos;
};

static int on_read(GifFileType *gif, GifByteType *out, int n)
{
    struct gifsrc *s = gif->UserData;
    size_t avail = s->len - s->pos;
    size_t take = (size_t)n < avail ? (size_t)n : avail;
    memcpy(out, s->data + s->pos, take);
    s->pos += take;
    return (int)take;
}

static ad_code gif_fail(GifFileType *gif, int code, const char *what, ad_err *err)
{
    const char *m = GifErrorString(code);
    ad_code c = code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON
                    ? AD_ERR_TRUNCATED
                    : AD_ERR_CORRUPT;
    if (gif) {
        int e2;
        DGifCloseFile(gif, &e2);
    }
    return ad_err_set(err, c, "GIF: %s: %s", what, m ? m : "error");
}

ad_code ad_decode_gif(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                      const ad_image_sink *sink, void *ctx, ad_image_info *info, ad_err *err)
{
    struct gifsrc src = {data, len, 0};
    int code = 0;
    GifFileType *gif = DGifOpen(&src, on_read, &code);
    if (!gif)
        return gif_fail(NULL, code, "cannot open", err);
    snprintf(info->color, sizeof info->color, "palette");
    info->bit_depth = 8;
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif, &type) == GIF_ERROR)
            return gif_fail(gif, gif->Error, "reading records", err);
        if (type == TERMINATE_RECORD_TYPE) {
            int e2;
            DGifCloseFile(gif, &e2);
            return ad_err_set(err, AD_ERR_CORRUPT, "GIF: no image in the file");
        }
        if (type == EXTENSION_RECORD_TYPE) {
            int ext;
            GifByteType *block;
            if (DGifGetExtension(gif, &ext, &block) == GIF_ERROR)
                return gif_fail(gif, gif->Error, "reading an extension", err);
            while (block)
                if (DGifGetExtensionNext(gif, &block) == GIF_ERROR)
                    return gif_fail(gif, gif->Error, "reading an extension", err);
            continue;
        }
        if (type != IMAGE_DESC_RECORD_TYPE)
            continue;
        if (DGifGetImageDesc(gif) == GIF_ERROR)
            return gif_fail(gif, gif->Error, "reading the image descriptor", err);
        break;
    }
    const int w = gif->Image.Width, h = gif->Image.Height;
    info->width = w;
    info->height = h;
    ad_code rc = ad_media_check_dims("GIF", (uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0),
                                     (uint64_t)w * (uint64_t)h * 4u, &opts->limits, err);
    if (rc) {
        DGifCloseFile(gif, &code);
        return rc;
    }
    ColorMapObject *map = gif->Image.ColorMap ? gif->Image.ColorMap : gif->SColorMap;
    if (!map) {
        DGifCloseFile(gif, &code);
        return ad_err_set(err, AD_ERR_CORRUPT, "GIF: image has no colour map");
    }
    uint8_t *idx = malloc((size_t)w * (size_t)h);
    uint8_t *rgb = malloc((size_t)w * 3);
    if (!idx || !rgb) {
        free(idx);
        free(rgb);
        DGifCloseFile(gif, &code);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a %dx%d GIF", w, h);
    }
    static const int offs[] = {0, 4, 2, 1}, steps[] = {8, 8, 4, 2};
    int ok = 1;
    if (gif->Image.Interlace) {
        for (int p = 0; p < 4 && ok; p++)
            for (int y = offs[p]; y < h && ok; y += steps[p])
                ok = DGifGetLine(gif, idx + (size_t)y * w, w) != GIF_ERROR;
    } else {
        for (int y = 0; y < h && ok; y++)
            ok = DGifGetLine(gif, idx + (size_t)y * w, w) != GIF_ERROR;
    }
    if (!ok) {
        free(idx);
        free(rgb);
        return gif_fail(gif, gif->Error, "reading pixels", err);
    }
    rc = sink->begin(ctx, w, h, 3, err);
    if (!rc) {
        info->out_width = w;
        info->out_height = h;
        info->channels = 3;
        for (int y = 0; y < h; y++) {
            const uint8_t *p = idx + (size_t)y * w;
            for (int x = 0; x < w; x++) {
                int c = p[x] < map->ColorCount ? p[x] : 0;
                rgb[3 * x] = map->Colors[c].Red;
                rgb[3 * x + 1] = map->Colors[c].Green;
                rgb[3 * x + 2] = map->Colors[c].Blue;
            }
            sink->row(ctx, rgb);
        }
    }
    free(idx);
    free(rgb);
    DGifCloseFile(gif, &code);
    return rc;
}
