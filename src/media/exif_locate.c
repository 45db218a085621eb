/* exif_locate.c: where the EXIF block (a TIFF structure) sits in a picture: a JPEG APP1
 * "Exif" segment, a whole TIFF file, a PNG eXIf chunk, a WebP EXIF chunk or a HEIF Exif item.
 * Every length is checked against the bytes at hand. */
#include <libheif/heif.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/exif.h"

#define EXIF_MAX_ITEM (16u << 20)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Skips an "Exif\0\0" prefix if there is one. */
static void found(const uint8_t *p, size_t n, const uint8_t **tiff, size_t *tiff_len)
{
    if (n >= 6 && !memcmp(p, "Exif\0", 5)) {
        p += 6;
        n -= 6;
    }
    *tiff = p;
    *tiff_len = n;
}

static int jpeg(const uint8_t *d, size_t len, const uint8_t **tiff, size_t *tiff_len)
{
    size_t p = 2;
    while (p + 4 <= len) {
        if (d[p] != 0xff)
            return 0;
        uint8_t m = d[p + 1];
        if (m == 0xff) {
            p++;
            continue;
        }
        if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
            p += 2;
            continue;
        }
        if (m == 0xda || m == 0xd9) /* image data or end: no EXIF after this */
            return 0;
        size_t seg = (size_t)d[p + 2] << 8 | d[p + 3];
        if (seg < 2 || seg > len - p - 2)
            return 0;
        if (m == 0xe1 && seg >= 8 && !memcmp(d + p + 4, "Exif\0", 5)) {
            found(d + p + 4, seg - 2, tiff, tiff_len);
            return 1;
        }
        p += 2 + seg;
    }
    return 0;
}

static int png(const uint8_t *d, size_t len, const uint8_t **tiff, size_t *tiff_len)
{
    size_t p = 8;
    while (p + 12 <= len) {
        uint32_t n = be32(d + p);
        if (n > len - p - 12)
            return 0;
        if (!memcmp(d + p + 4, "eXIf", 4)) {
            found(d + p + 8, n, tiff, tiff_len);
            return 1;
        }
        if (!memcmp(d + p + 4, "IDAT", 4) || !memcmp(d + p + 4, "IEND", 4))
            return 0;
        p += 12 + (size_t)n;
    }
    return 0;
}

static int webp(const uint8_t *d, size_t len, const uint8_t **tiff, size_t *tiff_len)
{
    size_t p = 12;
    while (p + 8 <= len) {
        uint32_t n = le32(d + p + 4);
        if (n > len - p - 8)
            return 0;
        if (!memcmp(d + p, "EXIF", 4)) {
            found(d + p + 8, n, tiff, tiff_len);
            return 1;
        }
        p += 8 + (size_t)n + (n & 1);
    }
    return 0;
}

/* HEIF: the primary image's first Exif item: a 4-byte offset, then the TIFF block. */
static int heif(const uint8_t *d, size_t len, const uint8_t **tiff, size_t *tiff_len,
                uint8_t **owned)
{
    struct heif_context *hc = heif_context_alloc();
    struct heif_image_handle *h = NULL;
    int ok = 0;
    if (!hc)
        return 0;
    if (heif_context_read_from_memory_without_copy(hc, d, len, NULL).code != heif_error_Ok ||
        heif_context_get_primary_image_handle(hc, &h).code != heif_error_Ok)
        goto out;
    heif_item_id id;
    if (heif_image_handle_get_list_of_metadata_block_IDs(h, "Exif", &id, 1) < 1)
        goto out;
    size_t n = heif_image_handle_get_metadata_size(h, id);
    if (n < 8 || n > EXIF_MAX_ITEM)
        goto out;
    uint8_t *buf = malloc(n);
    if (!buf)
        goto out;
    if (heif_image_handle_get_metadata(h, id, buf).code != heif_error_Ok) {
        free(buf);
        goto out;
    }
    uint32_t off = be32(buf);
    if (off > n - 4) {
        free(buf);
        goto out;
    }
    found(buf + 4 + off, n - 4 - off, tiff, tiff_len);
    *owned = buf;
    ok = 1;
out:
    if (h)
        heif_image_handle_release(h);
    heif_context_free(hc);
    return ok;
}

ad_code ad_exif_locate(const uint8_t *data, size_t len, const uint8_t **tiff, size_t *tiff_len,
                       uint8_t **owned, ad_err *err)
{
    *tiff = NULL;
    *tiff_len = 0;
    *owned = NULL;
    int ok = 0;
    if (len >= 4 && data[0] == 0xff && data[1] == 0xd8)
        ok = jpeg(data, len, tiff, tiff_len);
    else if (len >= 8 && (!memcmp(data, "II*\0", 4) || !memcmp(data, "MM\0*", 4)))
        ok = (found(data, len, tiff, tiff_len), 1);
    else if (len >= 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8))
        ok = png(data, len, tiff, tiff_len);
    else if (len >= 12 && !memcmp(data, "RIFF", 4) && !memcmp(data + 8, "WEBP", 4))
        ok = webp(data, len, tiff, tiff_len);
    else if (len >= 12 && !memcmp(data + 4, "ftyp", 4))
        ok = heif(data, len, tiff, tiff_len, owned);
    if (!ok)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no EXIF");
    return AD_OK;
}
