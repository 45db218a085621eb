/* json_dom.c: the in-place record parser of json_dom.h. Recursive descent with a depth limit;
 * nodes in one growable array; strings unescaped in place (an escape never grows: \uXXXX is 6
 * bytes for at most 3 of UTF-8, a surrogate pair 12 for 4), numbers NUL-terminated once the
 * whole record is parsed (their delimiter is then no longer needed). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_dom.h"
#include "xinternal.h"

#define MAX_DEPTH 64

typedef struct parser {
    ad_jdom *d;
    char *p, *start, *end;
    const char *why;
    char *at;
    int depth;
} parser;

static int fail(parser *ps, const char *why, char *at)
{
    ps->why = why;
    ps->at = at;
    return -1;
}

static void ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

static long new_node(parser *ps, ad_jtype t)
{
    ad_jdom *d = ps->d;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        ad_jnode *q = realloc(d->nodes, cap * sizeof *q);
        if (!q)
            return fail(ps, "out of memory", ps->p);
        d->nodes = q;
        d->cap = cap;
    }
    ad_jnode *n = &d->nodes[d->n];
    memset(n, 0, sizeof *n);
    n->type = (uint8_t)t;
    return (long)d->n++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

static long string(parser *ps)
{
    long id = new_node(ps, AD_J_STR);
    if (id < 0)
        return -1;
    char *p = ++ps->p, *o = p, *end = ps->end, *text = p;
    for (;;) {
        while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\' &&
               (unsigned char)*p < 0x80)
            *o++ = *p++;
        if (p >= end)
            return fail(ps, "unterminated string", p);
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(ps, "control character in a string", p);
        if (c >= 0x80) {
            int n = ad_x_utf8_len(p, (size_t)(end - p));
            if (!n)
                return fail(ps, "invalid UTF-8 in a string", p);
            memmove(o, p, (size_t)n);
            o += n;
            p += n;
            continue;
        }
        if (p + 1 >= end)
            return fail(ps, "unterminated string", p);
        char e = p[1];
        p += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            *o++ = e;
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if (end - p < 4 || hex4(p, &cp) != 0)
                return fail(ps, "bad \\u escape", p - 2);
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(ps, "lone surrogate in a \\u escape", p - 6);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return fail(ps, "lone surrogate in a \\u escape", p - 6);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0)
                return fail(ps, "\\u0000 in a string", p - 6);
            o = put_utf8(o, cp);
            break;
        }
        default:
            return fail(ps, "bad escape", p - 2);
        }
    }
    *o = 0; /* o <= p, the closing quote, which is consumed here */
    ps->p = p + 1;
    ad_jnode *n = &ps->d->nodes[id];
    n->s = text;
    n->n = (uint32_t)(o - text);
    n->next = (uint32_t)id + 1;
    return id;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static long number(parser *ps)
{
    char *p = ps->p, *s = p, *end = ps->end;
    int is_int = 1;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return fail(ps, "invalid number", s);
    if (*p == '0')
        p++;
    else
        while (p < end && is_digit(*p))
            p++;
    if (p < end && *p == '.') {
        is_int = 0;
        p++;
        if (p >= end || !is_digit(*p))
            return fail(ps, "invalid number", s);
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return fail(ps, "invalid number", s);
        while (p < end && is_digit(*p))
            p++;
    }
    long id = new_node(ps, AD_J_NUM);
    if (id < 0)
        return -1;
    ad_jnode *n = &ps->d->nodes[id];
    char save = *p; /* the delimiter (or the buffer's NUL): restored after strtod */
    *p = 0;
    errno = 0;
    if (is_int) {
        long long v = strtoll(s, NULL, 10);
        if (errno == 0) {
            n->is_int = 1;
            n->i = v;
        }
    }
    n->d = strtod(s, NULL);
    *p = save;
    n->s = s;
    n->n = (uint32_t)(p - s);
    n->next = (uint32_t)id + 1;
    ps->p = p;
    return id;
}

static long literal(parser *ps, const char *word, ad_jtype t)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "invalid literal", ps->p);
    ps->p += n;
    long id = new_node(ps, t);
    if (id < 0)
        return -1;
    ps->d->nodes[id].s = word;
    ps->d->nodes[id].n = (uint32_t)n;
    ps->d->nodes[id].next = (uint32_t)id + 1;
    return id;
}

static long value(parser *ps);

static long container(parser *ps, int obj)
{
    if (++ps->depth > MAX_DEPTH)
        return fail(ps, "nesting too deep", ps->p);
    long id = new_node(ps, obj ? AD_J_OBJ : AD_J_ARR);
    if (id < 0)
        return -1;
    ps->p++;
    uint32_t count = 0;
    ws(ps);
    if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
    } else {
        for (;;) {
            ws(ps);
            if (obj) {
                if (ps->p >= ps->end || *ps->p != '"')
                    return fail(ps, "expected a key", ps->p);
                if (string(ps) < 0)
                    return -1;
                ws(ps);
                if (ps->p >= ps->end || *ps->p != ':')
                    return fail(ps, "expected ':'", ps->p);
                ps->p++;
            }
            if (value(ps) < 0)
                return -1;
            count++;
            ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
                ps->p++;
                break;
            }
            return fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'", ps->p);
        }
    }
    ps->depth--;
    ps->d->nodes[id].n = count;
    ps->d->nodes[id].next = (uint32_t)ps->d->n;
    return id;
}

static long value(parser *ps)
{
    ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end", ps->p);
    switch (*ps->p) {
    case '{':
        return container(ps, 1);
    case '[':
        return container(ps, 0);
    case '"':
        return string(ps);
    case 't':
        return literal(ps, "true", AD_J_TRUE);
    case 'f':
        return literal(ps, "false", AD_J_FALSE);
    case 'n':
        return literal(ps, "null", AD_J_NULL);
    default:
        return number(ps);
    }
}

ad_code ad_jdom_parse(ad_jdom *d, char *buf, size_t len, uint64_t first_line, ad_err *err)
{
    parser ps = {d, buf, buf, buf + len, NULL, NULL, 0};
    d->n = 0;
    d->scratch_len = 0;
    if (d->scratch_cap < len + 64) {
        free(d->scratch);
        d->scratch_cap = len + 64;
        d->scratch = malloc(d->scratch_cap);
        if (!d->scratch) {
            d->scratch_cap = 0;
            return ad_err_set(err, AD_ERR_NOMEM, "no memory");
        }
    }
    if (value(&ps) >= 0) {
        ws(&ps);
        if (ps.p < ps.end)
            fail(&ps, "content after the value", ps.p);
    }
    if (ps.why) {
        uint64_t line = first_line;
        for (char *q = buf; q < ps.at && q < ps.end; q++)
            line += *q == '\n';
        return ad_err_set(err, AD_ERR_PARSE, "%s at line %llu", ps.why, (unsigned long long)line);
    }
    /* numbers become NUL-terminated text now that their delimiters have been read */
    for (size_t i = 0; i < d->n; i++)
        if (d->nodes[i].type == AD_J_NUM)
            ((char *)d->nodes[i].s)[d->nodes[i].n] = 0;
    return AD_OK;
}

void ad_jdom_free(ad_jdom *d)
{
    free(d->nodes);
    free(d->scratch);
    memset(d, 0, sizeof *d);
}

long ad_jdom_get(const ad_jdom *d, long obj, const char *key)
{
    if (obj < 0 || d->nodes[obj].type != AD_J_OBJ)
        return -1;
    long found = -1, k = obj + 1;
    for (uint32_t i = 0; i < d->nodes[obj].n; i++) {
        const ad_jnode *kn = &d->nodes[k];
        if (kn->s[0] == key[0] && strcmp(kn->s, key) == 0)
            found = k + 1;
        k = d->nodes[k + 1].next;
    }
    return found;
}

char *ad_jdom_scratch(ad_jdom *d, size_t n)
{
    if (d->scratch_len + n > d->scratch_cap)
        return NULL;
    char *p = d->scratch + d->scratch_len;
    d->scratch_len += n;
    return p;
}
