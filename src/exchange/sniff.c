/* sniff.c: guessing an exchange file's format from its first bytes (ad_exchange_sniff). */
#include <string.h>
#include <strings.h>

#include "ariadne/exchange.h"

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
    if (memchr(s, ';', len) &&
        (line_names(s, len, "MD5") || line_names(s, len, "SHA1") || line_names(s, len, "PhotoDNA")))
        return AD_XFMT_ICSE_CSV;
    return AD_XFMT_HASHLIST;
}
