/* body_text.c: the bodies of media and link changes written straight as canonical text from a
 * row, the bulk of a cut (a million media and their links): the exact bytes policy.c's general
 * path gives (a jansson tree printed by ad_fed_canon: keys sorted, no spaces, ASCII) for the
 * same row, without building and printing a tree per change. A row with a text the writer does
 * not vouch for (a byte outside printable ASCII, a quote or a backslash, which jansson escapes
 * or drops) is left to the general path. tests/test_fed_direct.c compares both on every field. */
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

typedef struct {
    ad_fed_buf *b;
    int bad;   /* out of memory */
    int first; /* no member written yet */
} wr;

static void raw(wr *w, const char *s, size_t n)
{
    if (!w->bad && ad_fed_put(w->b, s, n))
        w->bad = 1;
}

/* `"key":` with the comma before every member but the first. */
static void key(wr *w, const char *k)
{
    char t[32];
    size_t n = strlen(k);
    size_t at = 0;
    if (!w->first)
        t[at++] = ',';
    t[at++] = '"';
    memcpy(t + at, k, n);
    at += n;
    t[at++] = '"';
    t[at++] = ':';
    w->first = 0;
    raw(w, t, at);
}

static void integer(wr *w, const char *k, int64_t v)
{
    char t[24], *e = t + sizeof t, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    key(w, k);
    raw(w, p, (size_t)(e - p));
}

static void string(wr *w, const char *k, const char *s, size_t n)
{
    key(w, k);
    raw(w, "\"", 1);
    raw(w, s, n);
    raw(w, "\"", 1);
}

/* A text the writer can copy as it is: printable ASCII without '"' or '\\'. */
static int plain(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

/* A blob column as policy.c's put_hex has it: 1..64 bytes, else absent (NULL). */
static const uint8_t *blob(ad_stmt *s, int col, size_t *n)
{
    *n = 0;
    const uint8_t *b = ad_col_null(s, col) ? NULL : ad_col_blob(s, col, n);
    return b && *n > 0 && *n <= 64 ? b : NULL;
}

static void hex(wr *w, const char *k, const uint8_t *b, size_t n)
{
    char h[129];
    string(w, k, ad_hex_encode(b, n, h), 2 * n);
}

int ad_fed_media_text(ad_fed_buf *out, ad_stmt *s, int col, int64_t seq, const char *vpdq)
{
    size_t n[4];
    const uint8_t *d[4]; /* sha256, md5, sha1, pdq */
    for (int i = 0; i < 4; i++)
        d[i] = blob(s, col + i, &n[i]);
    if (!d[0] && !d[1] && !d[2] && !d[3])
        return 0; /* nothing to find it by: not shared */
    const char *mime = ad_col_null(s, col + 6) ? NULL : ad_col_text(s, col + 6);
    if (mime && !plain(mime))
        return -1;
    size_t start = out->n;
    wr w = {out, 0, 1};
    raw(&w, "{", 1);
    if (!ad_col_null(s, col + 9))
        integer(&w, "duration_ms", ad_col_int(s, col + 9));
    if (!ad_col_null(s, col + 8))
        integer(&w, "height", ad_col_int(s, col + 8));
    string(&w, "kind", "media", 5);
    if (d[1])
        hex(&w, "md5", d[1], n[1]);
    if (mime)
        string(&w, "mime", mime, strlen(mime));
    if (d[3])
        hex(&w, "pdq", d[3], n[3]);
    if (!ad_col_null(s, col + 3) && !ad_col_null(s, col + 4))
        integer(&w, "pdq_quality", ad_col_int(s, col + 4));
    integer(&w, "seq", seq);
    if (d[2])
        hex(&w, "sha1", d[2], n[2]);
    if (d[0])
        hex(&w, "sha256", d[0], n[0]);
    if (!ad_col_null(s, col + 5))
        integer(&w, "size", ad_col_int(s, col + 5));
    if (vpdq)
        string(&w, "vpdq", vpdq, strlen(vpdq)); /* base64: plain */
    if (!ad_col_null(s, col + 7))
        integer(&w, "width", ad_col_int(s, col + 7));
    raw(&w, "}\n", 2);
    if (w.bad)
        out->n = start;
    return w.bad ? -2 : 1;
}

int ad_fed_link_text(ad_fed_buf *out, ad_stmt *s, int col, int64_t seq)
{
    if (ad_col_null(s, col))
        return 0; /* a series without gid: no body */
    const char *gid = ad_col_text(s, col);
    if (!plain(gid))
        return -1;
    size_t n[4];
    const uint8_t *d[4]; /* the media's sha256, md5, sha1, pdq */
    for (int i = 0; i < 4; i++)
        d[i] = blob(s, col + 1 + i, &n[i]);
    if (!d[0] && !d[1] && !d[2] && !d[3])
        return 0; /* a media with nothing to name it by */
    size_t start = out->n;
    wr w = {out, 0, 1};
    raw(&w, "{", 1);
    if (!ad_col_null(s, col + 5) && ad_col_int(s, col + 5) > 1)
        integer(&w, "gen", ad_col_int(s, col + 5)); /* made again after an unlink */
    string(&w, "kind", "link", 4);
    key(&w, "media");
    wr m = {out, 0, 1};
    raw(&m, "{", 1);
    if (d[1])
        hex(&m, "md5", d[1], n[1]);
    if (!d[0] && !d[1] && !d[2])
        hex(&m, "pdq", d[3], n[3]); /* PDQ names a media with no digest only */
    if (d[2])
        hex(&m, "sha1", d[2], n[2]);
    if (d[0])
        hex(&m, "sha256", d[0], n[0]);
    raw(&m, "}", 1);
    integer(&w, "seq", seq);
    string(&w, "series", gid, strlen(gid));
    raw(&w, "}\n", 2);
    if (w.bad || m.bad)
        out->n = start;
    return w.bad || m.bad ? -2 : 1;
}
