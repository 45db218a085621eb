/* lookup_query.c: what a user types to look a media up (any hash, the 8 dihedral PDQ forms, a
 * media id), parsed into an ad_lookup_query. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/hash.h"
#include "ariadne/lookup.h"
#include "ariadne/util.h"

void ad_lookup_query_init(ad_lookup_query *q)
{
    memset(q, 0, sizeof *q);
    q->pdq_quality = -1;
}

void ad_lookup_query_file(ad_lookup_query *q, const ad_file_hash *fh)
{
    q->npdq = 0;
    q->nmore = 0;
    if (!fh->has_pdq)
        return;
    q->npdq = fh->pdq.has_dihedral ? 8 : 1;
    memcpy(q->pdq, fh->pdq.has_dihedral ? fh->pdq.dihedral : &fh->pdq.hash,
           (size_t)q->npdq * sizeof *q->pdq);
    q->pdq_quality = fh->pdq.quality;
    if (!fh->has_more || !fh->pdq.has_dihedral)
        return;
    const ad_pdq_more *m = &fh->more;
    if (m->has_trim) {
        memcpy(q->more[q->nmore], m->trim.dihedral, sizeof q->more[0]);
        q->more_quality[q->nmore++] = m->trim.quality;
    }
    if (m->has_area) {
        memcpy(q->more[q->nmore], m->area.dihedral, sizeof q->more[0]);
        q->more_quality[q->nmore++] = m->area.quality;
    }
    if (m->has_trim_area) {
        memcpy(q->more[q->nmore], m->trim_area.dihedral, sizeof q->more[0]);
        q->more_quality[q->nmore++] = m->trim_area.quality;
    }
}

/* The text in messages only when it is short printable ASCII (it may be anything). */
static const char *shown(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return "the argument";
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return "the argument";
    return s;
}

static ad_code hex_into(const char *s, uint8_t *out, size_t n, int *has, const char *what,
                        const char *text, ad_err *err)
{
    if (strlen(s) != 2 * n || ad_hex_decode(s, 2 * n, out, n, NULL))
        return ad_err_set(err, AD_ERR_PARSE, "%s is not a %s (%zu hex digits)", shown(text), what,
                          2 * n);
    *has = 1;
    return AD_OK;
}

/* "H" or "H1,...,H8". */
static ad_code pdq_list(ad_lookup_query *q, const char *s, const char *text, ad_err *err)
{
    int n = 0;
    for (const char *p = s;; n++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n >= 8 || ad_h256_parse(&q->pdq[n], p, len, NULL))
            return ad_err_set(err, AD_ERR_PARSE,
                              "%s is not a PDQ hash (64 hex digits) nor its 8 dihedral forms "
                              "(8 such hashes separated by commas)",
                              shown(text));
        if (!e)
            break;
        p = e + 1;
    }
    if (n + 1 != 1 && n + 1 != 8)
        return ad_err_set(err, AD_ERR_PARSE, "%s: give one PDQ hash or all 8 dihedral forms",
                          shown(text));
    q->npdq = n + 1;
    return AD_OK;
}

ad_code ad_lookup_query_parse(ad_lookup_query *q, const char *text, ad_err *err)
{
    ad_lookup_query_init(q);
    if (!text)
        return ad_err_set(err, AD_ERR_ARG, "no hash given");
    if (!strncmp(text, "pdq:", 4))
        return pdq_list(q, text + 4, text, err);
    if (!strncmp(text, "md5:", 4))
        return hex_into(text + 4, q->md5, 16, &q->has_md5, "MD5", text, err);
    if (!strncmp(text, "sha1:", 5))
        return hex_into(text + 5, q->sha1, 20, &q->has_sha1, "SHA-1", text, err);
    if (!strncmp(text, "sha256:", 7))
        return hex_into(text + 7, q->sha256, 32, &q->has_sha256, "SHA-256", text, err);
    if (!strncmp(text, "id:", 3)) {
        const char *p = text + 3;
        int64_t v = 0;
        size_t n = strspn(p, "0123456789");
        if (!n || p[n] || n > 18 || (v = strtoll(p, NULL, 10)) <= 0)
            return ad_err_set(err, AD_ERR_PARSE, "%s is not a media id (id:N, N > 0)", shown(text));
        q->media_id = v;
        q->media_by = "id";
        return AD_OK;
    }
    switch (strlen(text)) {
    case 32:
        return hex_into(text, q->md5, 16, &q->has_md5, "MD5", text, err);
    case 40:
        return hex_into(text, q->sha1, 20, &q->has_sha1, "SHA-1", text, err);
    case 64: {
        ad_code rc = hex_into(text, q->sha256, 32, &q->has_sha256, "SHA-256", text, err);
        if (!rc) {
            memcpy(q->pdq[0].b, q->sha256, 32);
            q->sha256_or_pdq = 1;
        }
        return rc;
    }
    }
    if (strchr(text, ','))
        return pdq_list(q, text, text, err);
    return ad_err_set(err, AD_ERR_PARSE,
                      "%s is not a hash: give an MD5 (32 hex digits), SHA-1 (40), SHA-256 or PDQ "
                      "(64), pdq:HEX, pdq:H1,...,H8 or id:N",
                      shown(text));
}
