/* match_quick.c: a quick reader of the common POST /v1/match bodies, digests and PDQs (one
 * value or the 8 dihedral forms), read straight into an ad_match_request without a JSON tree.
 * It accepts only a narrow form (ASCII, strings of letters, digits and '_' without escapes,
 * whole numbers without sign, fraction or leading zero, each member once, nothing unknown) and
 * declines everything else, which then goes the general way: jansson, the route's schema,
 * ad_match_request_parse, which answer every error. So whatever it accepts, the general way
 * accepts too with the same request (tests/test_server.c t_match_quick compares them, and so
 * does fuzz/fuzz_request.c). Parsing a one-hash body with jansson, checking and freeing the tree
 * was a quarter of a digest match's instructions. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "server/http.h"

typedef struct rd {
    const char *p, *end;
} rd;

static void ws(rd *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

/* The character c (after white space). */
static int lit(rd *r, char c)
{
    ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return 1;
    }
    return 0;
}

static int word_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* A string of word characters (after white space): its slice. */
static int str(rd *r, const char **s, size_t *n)
{
    ws(r);
    if (r->p >= r->end || *r->p != '"')
        return 0;
    const char *b = ++r->p;
    while (r->p < r->end && word_char(*r->p))
        r->p++;
    if (r->p >= r->end || *r->p != '"')
        return 0;
    *s = b;
    *n = (size_t)(r->p - b);
    r->p++;
    return 1;
}

static int is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && !memcmp(s, word, n);
}

/* A whole number 0..max: digits only, no leading zero. */
static int num(rd *r, int max, int *out)
{
    ws(r);
    const char *b = r->p;
    int v = 0;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9' && r->p - b < 4)
        v = v * 10 + (*r->p++ - '0');
    size_t n = (size_t)(r->p - b);
    if (n == 0 || n > 3 || (n > 1 && *b == '0') || v > max)
        return 0;
    *out = v;
    return 1;
}

/* A hex string of exactly n bytes into out. */
static int hex(rd *r, uint8_t *out, size_t n)
{
    const char *s;
    size_t len;
    return str(r, &s, &len) && len == 2 * n && ad_hex_decode(s, len, out, n, NULL) == AD_OK;
}

enum { HAS_TYPE = 1, HAS_VALUE = 2, HAS_RADIUS = 4, HAS_DIHEDRAL = 8 };

/* {"type": ..., "value" | "dihedral": ..., "radius": ...} in any order. */
static int one(rd *r, ad_match_hash *h)
{
    unsigned seen = 0;
    const char *v = NULL;
    size_t vlen = 0;
    int radius = AD_MATCH_RADIUS_MAX;
    if (!lit(r, '{'))
        return 0;
    do {
        const char *k, *t;
        size_t kn, tn;
        if (!str(r, &k, &kn) || !lit(r, ':'))
            return 0;
        if (is(k, kn, "type") && !(seen & HAS_TYPE)) {
            seen |= HAS_TYPE;
            if (!str(r, &t, &tn))
                return 0;
            if (is(t, tn, "md5"))
                h->type = AD_MATCH_MD5;
            else if (is(t, tn, "sha1"))
                h->type = AD_MATCH_SHA1;
            else if (is(t, tn, "sha256"))
                h->type = AD_MATCH_SHA256;
            else if (is(t, tn, "pdq"))
                h->type = AD_MATCH_PDQ;
            else
                return 0;
        } else if (is(k, kn, "value") && !(seen & HAS_VALUE)) {
            seen |= HAS_VALUE; /* decoded once the type is known */
            if (!str(r, &v, &vlen))
                return 0;
        } else if (is(k, kn, "radius") && !(seen & HAS_RADIUS)) {
            seen |= HAS_RADIUS;
            if (!num(r, AD_MATCH_RADIUS_MAX, &radius))
                return 0;
        } else if (is(k, kn, "dihedral") && !(seen & HAS_DIHEDRAL)) {
            seen |= HAS_DIHEDRAL;
            if (!lit(r, '['))
                return 0;
            for (int i = 0; i < 8; i++)
                if ((i && !lit(r, ',')) || !hex(r, h->pdq[i].b, 32))
                    return 0;
            if (!lit(r, ']'))
                return 0;
        } else {
            return 0;
        }
    } while (lit(r, ','));
    if (!lit(r, '}') || !(seen & HAS_TYPE))
        return 0;
    if (h->type == AD_MATCH_PDQ) {
        if ((seen & (HAS_VALUE | HAS_DIHEDRAL)) == HAS_DIHEDRAL) {
            h->npdq = 8;
        } else if ((seen & (HAS_VALUE | HAS_DIHEDRAL)) == HAS_VALUE) {
            h->npdq = 1;
            if (vlen != 64 || ad_hex_decode(v, vlen, h->pdq[0].b, 32, NULL) != AD_OK)
                return 0;
        } else {
            return 0;
        }
        h->radius = radius;
        return 1;
    }
    /* a digest: its value, nothing else */
    size_t n = h->type == AD_MATCH_MD5 ? 16 : h->type == AD_MATCH_SHA1 ? 20 : 32;
    return seen == (HAS_TYPE | HAS_VALUE) && vlen == 2 * n &&
           ad_hex_decode(v, vlen, h->digest, n, NULL) == AD_OK;
}

int ad_match_quick(const char *body, size_t len, ad_match_request *out)
{
    memset(out, 0, sizeof *out);
    rd r = {body, body + len};
    const char *k;
    size_t kn, cap = 0;
    if (!body || !lit(&r, '{') || !str(&r, &k, &kn) || !is(k, kn, "hashes") || !lit(&r, ':') ||
        !lit(&r, '['))
        return 0;
    do {
        if (out->n == cap) { /* more than AD_MATCH_MAX_HASHES: the general way's 413 */
            size_t c = cap ? 2 * cap : 1;
            c = c < AD_MATCH_MAX_HASHES ? c : AD_MATCH_MAX_HASHES;
            ad_match_hash *v = c > cap ? realloc(out->v, c * sizeof *v) : NULL;
            if (!v)
                goto decline;
            out->v = v;
            cap = c;
        }
        ad_match_hash *h = &out->v[out->n++];
        memset(h, 0, sizeof *h);
        if (!one(&r, h))
            goto decline;
    } while (lit(&r, ','));
    if (!lit(&r, ']') || !lit(&r, '}'))
        goto decline;
    ws(&r);
    if (r.p != r.end)
        goto decline;
    return 1;
decline:
    ad_match_request_free(out);
    return 0;
}
