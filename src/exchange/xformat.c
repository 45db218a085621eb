/* xformat.c: the exchange formats by name (the --format values), guessing a file's format from
 * its first bytes (hash lists and md5sum output, ICSE CSV, VICS JSON), and reading a file with
 * the reader of a format. */
#include <string.h>
#include <strings.h>

#include "xinternal.h"

static int line_names(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++)
        if (strncasecmp(s + i, word, w) == 0)
            return 1;
    return 0;
}

ad_xformat ad_exchange_sniff(const void *head, size_t n)
{
    const char *s = head;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        n--;
    }
    if (!n)
        return 0;
    if (*s == '{')
        return AD_XFMT_VICS;
    if (*s == '#') /* a comment: only hash lists have them */
        return AD_XFMT_HASHLIST;
    const char *nl = memchr(s, '\n', n);
    size_t len = nl ? (size_t)(nl - s) : n;
    if (ad_x_hashlist_line(s, len)) /* before the CSV test: a file name may hold ';' and "MD5" */
        return AD_XFMT_HASHLIST;
    if (memchr(s, ';', len) &&
        (line_names(s, len, "MD5") || line_names(s, len, "SHA1") || line_names(s, len, "PhotoDNA")))
        return AD_XFMT_ICSE_CSV;
    return AD_XFMT_HASHLIST;
}

static const char *const format_names[] = {
    [AD_XFMT_VICS] = "vics", [AD_XFMT_ICSE_CSV] = "icse-csv", [AD_XFMT_HASHLIST] = "hashlist"};

const char *ad_xformat_name(ad_xformat f)
{
    return f >= AD_XFMT_VICS && f <= AD_XFMT_HASHLIST ? format_names[f] : "unknown";
}

ad_code ad_xformat_parse(const char *name, ad_xformat *out, ad_err *err)
{
    for (int f = AD_XFMT_VICS; f <= AD_XFMT_HASHLIST; f++)
        if (strcasecmp(name, format_names[f]) == 0) {
            *out = (ad_xformat)f;
            return AD_OK;
        }
    return ad_err_set(err, AD_ERR_PARSE, "unknown format '%s' (vics, icse-csv, hashlist)", name);
}

ad_code ad_exchange_read(FILE *f, ad_xformat format, const ad_exchange_sink *sink, void *ctx,
                         ad_err *err)
{
    switch (format) {
    case AD_XFMT_VICS:
        return ad_vics_read(f, sink, ctx, err);
    case AD_XFMT_ICSE_CSV:
        return ad_icse_read(f, sink, ctx, err);
    case AD_XFMT_HASHLIST:
        return ad_hashlist_read(f, sink, ctx, err);
    }
    return ad_err_set(err, AD_ERR_ARG, "unknown exchange format %d", (int)format);
}
