/* source_path.c: logical paths (growable strings, escaping of raw name bytes) and the stable
 * keys of the walker's rows. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/source_internal.h"

static int str_reserve(src_str *s, size_t extra)
{
    if (s->len + extra + 1 <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->len + extra + 1)
        cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p)
        return -1;
    s->p = p;
    s->cap = cap;
    return 0;
}

int src_str_add(src_str *s, const char *raw, size_t n)
{
    if (str_reserve(s, n) != 0)
        return -1;
    memcpy(s->p + s->len, raw, n);
    s->len += n;
    s->p[s->len] = '\0';
    return 0;
}

int src_str_set(src_str *s, const char *raw, size_t n)
{
    s->len = 0;
    return src_str_add(s, raw, n);
}

void src_str_free(src_str *s)
{
    free(s->p);
    s->p = NULL;
    s->len = s->cap = 0;
}

/* Length of the valid, shortest-form UTF-8 sequence at p (1..4), 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t k;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    /* C1 controls and the bidirectional overrides that make a name display as another */
    if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069))
        return 0;
    return k;
}

/* Calls put(ctx, bytes, n) with the escaped form of raw[0..n). A "!" before "/" or at the end
 * is escaped so that "!/" only ever separates an archive from its members. */
static size_t escape(const char *raw, size_t n, int (*put)(void *, const char *, size_t), void *ctx,
                     int *fail)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)raw;
    size_t out = 0, i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k = utf8_seq(p + i, n - i);
        if (c == '\\') {
            out += 2;
            *fail |= put(ctx, "\\\\", 2);
            i++;
        } else if (k == 0 || c < 0x20 || c == 0x7f ||
                   (c == '!' && (i + 1 == n || p[i + 1] == '/'))) {
            /* an invalid sequence: escape its first byte only and resynchronise */
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            out += 4;
            *fail |= put(ctx, e, 4);
            i++;
        } else {
            out += k;
            *fail |= put(ctx, (const char *)p + i, k);
            i += k;
        }
    }
    return out;
}

static int put_str(void *ctx, const char *b, size_t n)
{
    return src_str_add(ctx, b, n);
}

int src_str_add_escaped(src_str *s, const char *raw, size_t n)
{
    int fail = 0;
    escape(raw, n, put_str, s, &fail);
    if (!s->p) /* empty names still give a string */
        fail |= src_str_add(s, "", 0);
    return fail ? -1 : 0;
}

struct fixed {
    char *out;
    size_t cap, len;
};

static int put_fixed(void *ctx, const char *b, size_t n)
{
    struct fixed *f = ctx;
    for (size_t i = 0; i < n && f->len + 1 < f->cap; i++)
        f->out[f->len++] = b[i];
    return 0;
}

size_t ad_path_escape(const char *raw, size_t n, char *out, size_t cap)
{
    struct fixed f = {out, cap, 0};
    int fail = 0;
    size_t need = escape(raw, n, put_fixed, &f, &fail);
    if (cap)
        out[f.len] = '\0';
    return need;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

size_t ad_path_unescape(const char *text, char *out)
{
    size_t o = 0;
    for (const char *p = text; *p; p++) {
        if (p[0] == '\\' && p[1] == '\\') {
            out[o++] = '\\';
            p++;
        } else if (p[0] == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
            out[o++] = (char)(hexval(p[2]) * 16 + hexval(p[3]));
            p += 3;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return o;
}

static void sha256_parts(const void *const *parts, const size_t *lens, int n, uint8_t key[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned len = 32;
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        memset(key, 0, 32);
        EVP_MD_CTX_free(c);
        return;
    }
    for (int i = 0; i < n; i++)
        EVP_DigestUpdate(c, parts[i], lens[i]);
    EVP_DigestFinal_ex(c, key, &len);
    EVP_MD_CTX_free(c);
}

static void be64(uint64_t v, uint8_t out[8])
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

void src_key_file(size_t root, const char *raw, size_t n, uint8_t key[32])
{
    static const char tag[] = "ariadne-source-file";
    uint8_t r[8];
    be64(root, r);
    const void *parts[] = {tag, r, raw};
    size_t lens[] = {sizeof tag, 8, n};
    sha256_parts(parts, lens, 3, key);
}

void src_key_member(const uint8_t parent[32], uint64_t index, const char *name, size_t n,
                    uint8_t key[32])
{
    static const char tag[] = "ariadne-source-member";
    uint8_t i[8];
    be64(index, i);
    const void *parts[] = {tag, parent, i, name};
    size_t lens[] = {sizeof tag, 32, 8, n};
    sha256_parts(parts, lens, 4, key);
}

void src_key_end(const uint8_t archive[32], uint8_t key[32])
{
    static const char tag[] = "ariadne-source-archive-end";
    const void *parts[] = {tag, archive};
    size_t lens[] = {sizeof tag, 32};
    sha256_parts(parts, lens, 2, key);
}
