/* exif.c: EXIF clues with libexif: camera, serial, lens, capture time with its offset, GPS in
 * decimal degrees, software, orientation, unique id. libexif is told not to "fix" the data
 * (no default tags added) and to keep tags it does not know (CameraSerialNumber). */
#include <libexif/exif-data.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/exif.h"

#define EXIF_MAX_BLOCK (16u << 20)

enum {
    TAG_BODY_SERIAL = 0xa431,
    TAG_CAMERA_SERIAL = 0xc62f, /* DNG */
    TAG_OWNER = 0xa430,
    TAG_LENS_MAKE = 0xa433,
    TAG_LENS_MODEL = 0xa434,
    TAG_LENS_SERIAL = 0xa435,
    TAG_UNIQUE_ID = 0xa420,
    TAG_DTO = 0x9003,
    TAG_DTD = 0x9004,
    TAG_OFFSET_DTO = 0x9011,
    TAG_OFFSET_DTD = 0x9012,
    GPS_LAT_REF = 1,
    GPS_LAT = 2,
    GPS_LON_REF = 3,
    GPS_LON = 4,
    GPS_ALT_REF = 5,
    GPS_ALT = 6,
};

static ExifEntry *entry(ExifData *ed, ExifIfd ifd, unsigned tag)
{
    return ed->ifd[ifd] ? exif_content_get_entry(ed->ifd[ifd], (ExifTag)tag) : NULL;
}

/* Text of an entry: printable ASCII, trimmed; 1 when not empty. */
static int text(ExifEntry *e, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    if (!e || !e->data ||
        (e->format != EXIF_FORMAT_ASCII && e->format != EXIF_FORMAT_UNDEFINED &&
         e->format != EXIF_FORMAT_BYTE))
        return 0;
    for (size_t i = 0; i < e->size && e->data[i] && o + 1 < cap; i++) {
        unsigned char c = e->data[i];
        if (o == 0 && c == ' ')
            continue;
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o > 0;
}

static int text_of(ExifData *ed, ExifIfd a, ExifIfd b, unsigned tag, char *out, size_t cap)
{
    return text(entry(ed, a, tag), out, cap) || text(entry(ed, b, tag), out, cap);
}

/* The k rationals of an entry as doubles; 0 when the entry is not that or a denominator is 0. */
static int rationals(ExifData *ed, ExifEntry *e, int k, double *v)
{
    if (!e || !e->data || e->format != EXIF_FORMAT_RATIONAL || e->components < (unsigned)k ||
        e->size < 8u * (unsigned)k)
        return 0;
    ExifByteOrder o = exif_data_get_byte_order(ed);
    for (int i = 0; i < k; i++) {
        ExifRational r = exif_get_rational(e->data + 8 * i, o);
        if (r.denominator == 0)
            return 0;
        v[i] = (double)r.numerator / (double)r.denominator;
    }
    return 1;
}

/* One GPS coordinate; ref is "N"/"S" or "E"/"W" (north and east when missing). */
static int coordinate(ExifData *ed, unsigned tag, unsigned ref_tag, char neg, double max,
                      double *out)
{
    double v[3];
    if (!rationals(ed, entry(ed, EXIF_IFD_GPS, tag), 3, v) || v[1] >= 60 || v[2] >= 60)
        return 0;
    double deg = v[0] + v[1] / 60.0 + v[2] / 3600.0;
    if (deg > max)
        return 0;
    char ref[8];
    if (text(entry(ed, EXIF_IFD_GPS, ref_tag), ref, sizeof ref) && ref[0] == neg)
        deg = -deg;
    *out = deg;
    return 1;
}

static int gps(ExifData *ed, ad_exif *x)
{
    if (!coordinate(ed, GPS_LAT, GPS_LAT_REF, 'S', 90, &x->latitude) ||
        !coordinate(ed, GPS_LON, GPS_LON_REF, 'W', 180, &x->longitude)) {
        x->latitude = x->longitude = 0;
        return 0;
    }
    x->has_gps = 1;
    double alt;
    if (rationals(ed, entry(ed, EXIF_IFD_GPS, GPS_ALT), 1, &alt)) {
        ExifEntry *ref = entry(ed, EXIF_IFD_GPS, GPS_ALT_REF);
        if (ref && ref->data && ref->size >= 1 && ref->data[0] == 1)
            alt = -alt;
        x->altitude = alt;
        x->has_altitude = 1;
    }
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* "YYYY:MM:DD HH:MM:SS" and an optional "+HH:MM" into the capture fields. */
static int capture(const char *t, const char *off, ad_exif *x)
{
    int Y, M, D, h, m, s;
    if (strlen(t) < 19 || t[4] != ':' || t[7] != ':' || t[10] != ' ' || t[13] != ':' ||
        t[16] != ':' || !digits(t, 4, &Y) || !digits(t + 5, 2, &M) || !digits(t + 8, 2, &D) ||
        !digits(t + 11, 2, &h) || !digits(t + 14, 2, &m) || !digits(t + 17, 2, &s) || Y < 1800 ||
        M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60)
        return 0;
    int oh = 0, om = 0,
        has_off = off && strlen(off) >= 6 && (off[0] == '+' || off[0] == '-') && off[3] == ':' &&
                  digits(off + 1, 2, &oh) && digits(off + 4, 2, &om) && oh <= 14 && om <= 59;
    x->capture_unix = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + s;
    snprintf(x->capture_time, sizeof x->capture_time, "%04d-%02d-%02dT%02d:%02d:%02d", Y, M, D, h,
             m, s);
    if (has_off) {
        int sign = off[0] == '-' ? -1 : 1;
        x->capture_unix -= sign * (oh * 3600 + om * 60);
        size_t n = strlen(x->capture_time);
        snprintf(x->capture_time + n, sizeof x->capture_time - n, "%c%02d:%02d", off[0], oh, om);
        x->capture_has_offset = 1;
    }
    x->has_capture = 1;
    return 1;
}

static int capture_of(ExifData *ed, ad_exif *x)
{
    static const unsigned tags[2][2] = {{TAG_DTO, TAG_OFFSET_DTO}, {TAG_DTD, TAG_OFFSET_DTD}};
    for (int i = 0; i < 2; i++) {
        char t[32], off[16];
        if (!text(entry(ed, EXIF_IFD_EXIF, tags[i][0]), t, sizeof t))
            continue;
        int has_off = text(entry(ed, EXIF_IFD_EXIF, tags[i][1]), off, sizeof off);
        if (capture(t, has_off ? off : NULL, x))
            return 1;
    }
    return 0;
}

static int orientation(ExifData *ed, ad_exif *x)
{
    ExifEntry *e = entry(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION);
    if (!e || !e->data || e->format != EXIF_FORMAT_SHORT || e->size < 2)
        return 0;
    unsigned v = exif_get_short(e->data, exif_data_get_byte_order(ed));
    if (v < 1 || v > 8)
        return 0;
    x->orientation = (int)v;
    return 1;
}

static void read_fields(ExifData *ed, ad_exif *x)
{
    const ExifIfd I0 = EXIF_IFD_0, EX = EXIF_IFD_EXIF;
    int n = 0;
    n += text_of(ed, I0, EX, EXIF_TAG_MAKE, x->make, sizeof x->make);
    n += text_of(ed, I0, EX, EXIF_TAG_MODEL, x->model, sizeof x->model);
    n += text_of(ed, EX, I0, TAG_BODY_SERIAL, x->serial, sizeof x->serial) ||
         text_of(ed, I0, EX, TAG_CAMERA_SERIAL, x->serial, sizeof x->serial);
    n += text_of(ed, EX, I0, TAG_LENS_MAKE, x->lens_make, sizeof x->lens_make);
    n += text_of(ed, EX, I0, TAG_LENS_MODEL, x->lens_model, sizeof x->lens_model);
    n += text_of(ed, EX, I0, TAG_LENS_SERIAL, x->lens_serial, sizeof x->lens_serial);
    n += text_of(ed, I0, EX, EXIF_TAG_SOFTWARE, x->software, sizeof x->software);
    n += text_of(ed, I0, EX, EXIF_TAG_ARTIST, x->artist, sizeof x->artist);
    n += text_of(ed, EX, I0, TAG_OWNER, x->owner, sizeof x->owner);
    n += text_of(ed, EX, I0, TAG_UNIQUE_ID, x->unique_id, sizeof x->unique_id);
    n += capture_of(ed, x);
    n += orientation(ed, x);
    n += gps(ed, x);
    n += x->has_altitude;
    x->fields = n;
}

static int entries(ExifData *ed)
{
    int n = 0;
    for (int i = 0; i < EXIF_IFD_COUNT; i++)
        n += ed->ifd[i] ? (int)ed->ifd[i]->count : 0;
    return n;
}

ad_code ad_exif_read(const uint8_t *data, size_t len, ad_exif *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    const uint8_t *tiff;
    size_t n;
    uint8_t *owned;
    ad_code rc = ad_exif_locate(data, len, &tiff, &n, &owned, err);
    if (rc != AD_OK)
        return rc;
    if (n < 8) {
        free(owned);
        return ad_err_set(err, AD_ERR_CORRUPT, "EXIF block of %zu bytes", n);
    }
    if (n > EXIF_MAX_BLOCK)
        n = EXIF_MAX_BLOCK; /* IFDs past this are not read */
    /* libexif wants the "Exif\0\0" header before the TIFF block */
    uint8_t *buf = malloc(n + 6);
    ExifData *ed = exif_data_new();
    if (!buf || !ed) {
        free(buf);
        free(owned);
        if (ed)
            exif_data_unref(ed);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    memcpy(buf, "Exif\0\0", 6);
    memcpy(buf + 6, tiff, n);
    free(owned);
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_unset_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
    exif_data_load_data(ed, buf, (unsigned)(n + 6));
    rc = AD_OK;
    if (entries(ed) == 0)
        rc = ad_err_set(err, AD_ERR_CORRUPT, "EXIF block cannot be read");
    else
        read_fields(ed, out);
    exif_data_unref(ed);
    free(buf);
    return rc;
}
