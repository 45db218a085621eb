/* vpdq_text.c: the reference's vPDQ text format, "frameNumber,quality,pdqHex,timestamp" per line
 * (vpdq/cpp/vpdq/cpp/io/vpdqio.cpp), read and written. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/vpdq.h"

#define MAX_TEXT_BYTES (1LL << 30) /* 1 GiB of text is about 9 million frames */

void ad_vpdq_format_line(const ad_vpdq_frame *f, char *buf)
{
    char hex[AD_H256_HEX_LEN + 1];
    snprintf(buf, AD_VPDQ_LINE_MAX, "%" PRId64 ",%d,%s,%.3f", f->frame_number, f->quality,
             ad_h256_format(&f->hash, hex), f->timestamp);
}

ad_code ad_vpdq_write(FILE *out, const ad_vpdq_video *v, ad_err *err)
{
    char line[AD_VPDQ_LINE_MAX];
    for (size_t i = 0; i < v->n; i++) {
        ad_vpdq_format_line(&v->frames[i], line);
        if (fprintf(out, "%s\n", line) < 0)
            return ad_err_set(err, AD_ERR_IO, "write failed: %s", strerror(errno));
    }
    return AD_OK;
}

/* Copies the field [s, e) into buf (cap bytes) as a C string; -1 if empty or too long. */
static int field(const char *s, const char *e, char *buf, size_t cap)
{
    if (s == e || (size_t)(e - s) >= cap)
        return -1;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = 0;
    errno = 0;
    return 0;
}

/* Parses a whole decimal field [s, e) as a long long in [lo, hi]. */
static int parse_int(const char *s, const char *e, long long lo, long long hi, long long *out)
{
    char buf[24], *end;
    if (field(s, e, buf, sizeof buf) != 0)
        return -1;
    long long x = strtoll(buf, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_double(const char *s, const char *e, double *out)
{
    char buf[48], *end;
    if (field(s, e, buf, sizeof buf) != 0)
        return -1;
    double x = strtod(buf, &end);
    if (errno || *end || !(x >= 0) || x > 1e12)
        return -1;
    *out = x;
    return 0;
}

static ad_code parse_line(const char *s, const char *e, ad_vpdq_frame *f, size_t lineno,
                          ad_err *err)
{
    const char *field[5];
    const char *fend[4];
    int n = 0;
    field[0] = s;
    for (const char *p = s; p < e && n < 4; p++)
        if (*p == ',') {
            fend[n] = p;
            field[++n] = p + 1;
        }
    if (n != 3 || memchr(field[3], ',', (size_t)(e - field[3])))
        return ad_err_set(err, AD_ERR_PARSE, "line %zu: expected 4 comma-separated fields", lineno);
    fend[3] = e;
    long long num, q;
    if (parse_int(field[0], fend[0], 0, INT64_MAX, &num) != 0)
        return ad_err_set(err, AD_ERR_PARSE, "line %zu: bad frame number", lineno);
    if (parse_int(field[1], fend[1], 0, 100, &q) != 0)
        return ad_err_set(err, AD_ERR_PARSE, "line %zu: bad quality", lineno);
    if (ad_h256_parse(&f->hash, field[2], (size_t)(fend[2] - field[2]), NULL) != AD_OK)
        return ad_err_set(err, AD_ERR_PARSE, "line %zu: bad PDQ hash", lineno);
    if (parse_double(field[3], fend[3], &f->timestamp) != 0)
        return ad_err_set(err, AD_ERR_PARSE, "line %zu: bad timestamp", lineno);
    f->frame_number = num;
    f->quality = (int)q;
    return AD_OK;
}

ad_code ad_vpdq_parse(const char *text, size_t len, ad_vpdq_video *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = text, *end = text + len;
    size_t lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        lineno++;
        while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > p && *p != '#') {
            ad_vpdq_frame f;
            ad_code rc = parse_line(p, e, &f, lineno, err);
            if (rc == AD_OK)
                rc = ad_vpdq_video_push(out, &f, NULL, err);
            if (rc != AD_OK) {
                ad_vpdq_video_free(out);
                return rc;
            }
        }
        p = next;
    }
    return AD_OK;
}

ad_code ad_vpdq_read_file(const char *path, ad_vpdq_video *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ad_err_set(err, errno == ENOENT ? AD_ERR_NOT_FOUND : AD_ERR_IO, "%s: %s", path,
                          strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ad_code rc = AD_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= (size_t)MAX_TEXT_BYTES) {
                rc = ad_err_set(err, AD_ERR_LIMIT, "%s: frame list over 1 GiB", path);
                break;
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp))
                rc = ad_err_set(err, AD_ERR_IO, "%s: read failed", path);
            break;
        }
    }
    fclose(fp);
    if (rc == AD_OK)
        rc = ad_vpdq_parse(buf ? buf : "", len, out, err);
    free(buf);
    return rc;
}
