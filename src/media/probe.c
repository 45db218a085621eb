/* probe.c: content type by libmagic, never by file name. */
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/media.h"

struct ad_magic {
    magic_t cookie;
};

ad_code ad_magic_open(ad_magic **out, ad_err *err)
{
    *out = NULL;
    ad_magic *m = calloc(1, sizeof *m);
    if (!m)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    m->cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                           MAGIC_NO_CHECK_ENCODING | MAGIC_ERROR);
    if (!m->cookie || magic_load(m->cookie, NULL) != 0) {
        ad_err_set(err, AD_ERR_INTERNAL, "cannot load the libmagic database: %s",
                   m->cookie ? magic_error(m->cookie) : "magic_open failed");
        if (m->cookie)
            magic_close(m->cookie);
        free(m);
        return AD_ERR_INTERNAL;
    }
    *out = m;
    return AD_OK;
}

void ad_magic_close(ad_magic *m)
{
    if (!m)
        return;
    magic_close(m->cookie);
    free(m);
}

static const struct {
    const char *mime;
    ad_media_type type;
} known[] = {
    {"image/jpeg", AD_MEDIA_JPEG},      {"image/png", AD_MEDIA_PNG},
    {"image/gif", AD_MEDIA_GIF},        {"image/webp", AD_MEDIA_WEBP},
    {"image/bmp", AD_MEDIA_BMP},        {"image/x-ms-bmp", AD_MEDIA_BMP},
    {"image/tiff", AD_MEDIA_TIFF},      {"image/heic", AD_MEDIA_HEIF},
    {"image/heif", AD_MEDIA_HEIF},      {"image/heic-sequence", AD_MEDIA_HEIF},
    {"image/heif-sequence", AD_MEDIA_HEIF}, {"image/avif", AD_MEDIA_HEIF},
};

ad_media_type ad_media_probe(ad_magic *m, const uint8_t *buf, size_t len, char *mime,
                             size_t mime_len)
{
    if (mime && mime_len)
        mime[0] = '\0';
    if (len == 0) {
        if (mime && mime_len)
            snprintf(mime, mime_len, "application/x-empty");
        return AD_MEDIA_EMPTY;
    }
    const char *t = magic_buffer(m->cookie, buf, len);
    if (!t)
        t = "application/octet-stream";
    if (mime && mime_len)
        snprintf(mime, mime_len, "%s", t);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(t, known[i].mime))
            return known[i].type;
    if (!strncmp(t, "video/", 6) || !strcmp(t, "application/x-matroska") ||
        !strcmp(t, "application/vnd.rn-realmedia"))
        return AD_MEDIA_VIDEO;
    return AD_MEDIA_OTHER;
}
