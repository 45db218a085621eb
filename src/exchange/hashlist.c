/* hashlist.c: plain hash lists: one MD5, SHA-1, SHA-256 or PDQ hex per line, optionally
 * "hash,category", or the output of md5sum/sha1sum/sha256sum (also their '\'-escaped and --tag
 * forms; the file names are ignored). Reader: BOM, CRLF, blank lines, '#' comments, either hex
 * case; the kind comes from the length (32 MD5, 40 SHA-1, 64 SHA-256 by default or PDQ when the
 * sink says so), from a "md5:", "sha1:", "sha256:", "pdq:" prefix or from a --tag name, which
 * always win. Writer: lower-case hex, PDQ with its "pdq:" prefix unless AD_HASHLIST_BARE_PDQ. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xinternal.h"

static const struct {
    const char *prefix;
    ad_xhash_kind kind;
    size_t hex;
} prefixes[] = {{"md5:", AD_XHASH_MD5, 32},
                {"sha1:", AD_XHASH_SHA1, 40},
                {"sha256:", AD_XHASH_SHA256, 64},
                {"pdq:", AD_XHASH_PDQ, 64}};

static size_t hex_run(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len &&
           ((s[n] >= '0' && s[n] <= '9') || ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'f')))
        n++;
    return n;
}

/* The --tag names of md5sum/sha1sum/sha256sum and of the digests Ariadne does not keep. */
static const struct {
    const char *name;
    int kind; /* -1: a digest that is not kept */
} tags[] = {{"MD5", AD_XHASH_MD5},
            {"SHA1", AD_XHASH_SHA1},
            {"SHA256", AD_XHASH_SHA256},
            {"SHA224", -1},
            {"SHA384", -1},
            {"SHA512", -1},
            {"BLAKE2b", -1},
            {"SM3", -1}};

/* A line written by md5sum, sha1sum or sha256sum (GNU coreutils): "HASH  NAME" (text mode) or
 * "HASH *NAME" (binary mode), or the --tag form "MD5 (NAME) = HASH" (SHA1, SHA256), each with a
 * leading '\' when NAME holds escaped characters (\\, \n, \r). Returns 1 with (*h, *hl) the
 * hash and *tag the --tag entry (-1 none), 0 when the line has none of these forms (it is then
 * read as a plain line). NAME is not kept (docs/formats.md). */
static int coreutils_line(const char *s, size_t len, const char **h, size_t *hl, int *tag)
{
    *tag = -1;
    if (len && s[0] == '\\') {
        s++;
        len--;
    }
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        size_t tl = strlen(tags[i].name);
        if (len <= tl + 2 || strncmp(s, tags[i].name, tl) != 0 ||
            (s[tl] != ' ' && s[tl] != '-')) /* "BLAKE2b-256 (" */
            continue;
        const char *eq = NULL; /* the last ") = ": a name may hold one too */
        for (size_t k = tl; k + 4 <= len; k++)
            if (memcmp(s + k, ") = ", 4) == 0)
                eq = s + k;
        if (!eq || !memchr(s + tl, '(', (size_t)(eq - s - (ptrdiff_t)tl)))
            return 0;
        *h = eq + 4;
        *hl = (size_t)(s + len - *h);
        *tag = (int)i;
        return 1;
    }
    size_t n = hex_run(s, len);
    if (n < 32 || n + 2 >= len || s[n] != ' ' || (s[n + 1] != ' ' && s[n + 1] != '*'))
        return 0;
    *h = s;
    *hl = n;
    return 1;
}

int ad_x_hashlist_line(const char *s, size_t len)
{
    const char *h;
    size_t hl;
    int tag;
    if (coreutils_line(s, len, &h, &hl, &tag))
        return 1;
    size_t n = hex_run(s, len);
    return (n == 32 || n == 40 || n == 64) &&
           (n == len || s[n] == ',' || s[n] == ' ' || s[n] == '\t' || s[n] == '\r');
}

/* The hash (h, hl) into m: of `kind`, or (kind < 0) of the kind its length says. */
static ad_code parse_hash(const ad_exchange_sink *sink, const char *h, size_t hl, int kind,
                          ad_xmedia *m, ad_err *err)
{
    if (kind < 0) {
        if (hl == 32)
            kind = AD_XHASH_MD5;
        else if (hl == 40)
            kind = AD_XHASH_SHA1;
        else if (hl == 64)
            kind = sink->hash64 == AD_XHASH_PDQ ? AD_XHASH_PDQ : AD_XHASH_SHA256;
        else
            return ad_err_set(err, AD_ERR_PARSE,
                              "%zu characters: not an MD5 (32 hex), SHA-1 (40) or SHA-256/PDQ "
                              "(64)",
                              hl);
    }
    if (ad_x_parse_hash(m, (ad_xhash_kind)kind, h, hl, err) != AD_OK)
        return AD_ERR_PARSE;
    return AD_OK;
}

/* One non-blank, non-comment line (trimmed) into m. */
static ad_code parse_line(const ad_exchange_sink *sink, char *s, size_t len, ad_xmedia *m,
                          const char **field, ad_err *err)
{
    *field = "hash";
    const char *h = s;
    size_t hl;
    int tag;
    if (coreutils_line(s, len, &h, &hl, &tag)) {
        if (tag >= 0 && tags[tag].kind < 0)
            return ad_err_set(err, AD_ERR_PARSE,
                              "%s digests are not kept (MD5, SHA1, SHA256 or PDQ are)",
                              tags[tag].name);
        return parse_hash(sink, h, hl, tag >= 0 ? tags[tag].kind : -1, m, err);
    }
    char *comma = memchr(s, ',', len);
    hl = comma ? (size_t)(comma - s) : len;
    ad_x_trim(&h, &hl);
    int kind = -1;
    int prefixed = memchr(h, ':', hl) != NULL;
    for (size_t i = 0; prefixed && i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t pl = strlen(prefixes[i].prefix);
        if (hl > pl && strncasecmp(h, prefixes[i].prefix, pl) == 0) {
            kind = (int)prefixes[i].kind;
            h += pl;
            hl -= pl;
            if (hl != prefixes[i].hex)
                return ad_err_set(err, AD_ERR_PARSE, "%s needs %zu hex digits, found %zu",
                                  ad_x_hash_name(prefixes[i].kind), prefixes[i].hex, hl);
        }
    }
    if (parse_hash(sink, h, hl, kind, m, err) != AD_OK)
        return AD_ERR_PARSE;
    if (comma) {
        *field = "category";
        const char *c = comma + 1;
        size_t cl = (size_t)(s + len - c);
        ad_x_trim(&c, &cl);
        ((char *)c)[cl] = 0;
        if (cl && ad_category_parse(c, sink->scheme ? sink->scheme : AD_CAT_VIC_US, &m->category,
                                    err) != AD_OK)
            return AD_ERR_PARSE;
    }
    return AD_OK;
}

ad_code ad_hashlist_read(FILE *f, const ad_exchange_sink *sink, void *ctx, ad_err *err)
{
    if (!f || !sink)
        return ad_err_set(err, AD_ERR_ARG, "ad_hashlist_read: no file or no sink");
    ad_xread r;
    ad_xlines l;
    ad_xread_init(&r, sink, ctx);
    ad_code rc = ad_xlines_open(&l, f, AD_X_HASHLIST_MAX_LINE, err);
    if (rc != AD_OK)
        return rc;
    ad_xinfo info = {.format = AD_XFMT_HASHLIST,
                     .scheme = sink->scheme ? sink->scheme : AD_CAT_VIC_US,
                     .declared_count = -1};
    if (sink->begin && (rc = sink->begin(ctx, &info, err)) != AD_OK)
        goto out;
    uint64_t rec = 0;
    char *s;
    size_t len;
    ad_err e;
    while ((rc = ad_xlines_next(&l, &s, &len, &e)) != AD_ERR_EMPTY) {
        if (rc == AD_ERR_IO) {
            rc = ad_xread_fatal(&r, l.line, rc, e.msg, err);
            break;
        }
        if (rc == AD_ERR_LIMIT) {
            if ((rc = ad_xread_bad(&r, ++rec, l.line, "hash", rc, e.msg, err)) != AD_OK)
                break;
            continue;
        }
        const char *t = s;
        size_t tl = len;
        ad_x_trim(&t, &tl);
        if (tl == 0 || t[0] == '#')
            continue;
        ad_xmedia m;
        ad_xmedia_init(&m);
        m.record = ++rec;
        m.line = l.line;
        const char *field;
        if (parse_line(sink, (char *)t, tl, &m, &field, &e) != AD_OK)
            rc = ad_xread_bad(&r, rec, l.line, field, AD_ERR_PARSE, e.msg, err);
        else
            rc = ad_xread_emit(&r, &m, err);
        if (rc != AD_OK)
            break;
    }
    if (rc == AD_ERR_EMPTY)
        rc = AD_OK;
out:
    r.st.lines = l.line;
    ad_xread_finish(&r);
    ad_xlines_close(&l);
    return rc;
}

struct ad_hashlist_writer {
    FILE *f;
    ad_xhash_kind kind;
    unsigned flags;
    ad_cat_scheme scheme;
};

ad_code ad_hashlist_writer_open(ad_hashlist_writer **out, FILE *f, ad_xhash_kind kind,
                                unsigned flags, ad_cat_scheme scheme, ad_err *err)
{
    *out = NULL;
    if ((unsigned)kind > AD_XHASH_PDQ)
        return ad_err_set(err, AD_ERR_ARG, "hash-list writer: unknown hash kind");
    if ((flags & AD_HASHLIST_CATEGORY) && (scheme == AD_CAT_NONE || scheme >= AD_CAT__COUNT))
        return ad_err_set(err, AD_ERR_ARG, "hash-list writer: categories need a scheme");
    ad_hashlist_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ad_err_set(err, AD_ERR_NOMEM, "no memory");
    *w = (ad_hashlist_writer){f, kind, flags, scheme};
    *out = w;
    return AD_OK;
}

ad_code ad_hashlist_writer_add_media(ad_hashlist_writer *w, const ad_xmedia *m, ad_err *err)
{
    char hex[65], code[16];
    if (!ad_x_hash_hex(m, w->kind, hex))
        return ad_err_set(err, AD_ERR_ARG, "hash-list writer: record has no %s",
                          ad_x_hash_name(w->kind));
    ad_category c = {AD_CAT_NONE, 0};
    if ((w->flags & AD_HASHLIST_CATEGORY) && m->category.scheme != AD_CAT_NONE &&
        ad_category_map(m->category, w->scheme, &c, err) != AD_OK)
        return AD_ERR_ARG;
    if (w->kind == AD_XHASH_PDQ && !(w->flags & AD_HASHLIST_BARE_PDQ))
        fputs("pdq:", w->f);
    fputs(hex, w->f);
    if (c.scheme != AD_CAT_NONE) {
        putc(',', w->f);
        fputs(ad_category_code_text(c, code), w->f);
    }
    putc('\n', w->f);
    return AD_OK;
}

ad_code ad_hashlist_writer_close(ad_hashlist_writer *w, ad_err *err)
{
    if (!w)
        return AD_OK;
    ad_code rc = ad_x_flush(w->f, "hash-list", err);
    free(w);
    return rc;
}
