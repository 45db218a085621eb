/* canon_scan.c: a strict single-pass reader of canonical JSON lines (the change set's form:
 * ad_fed_canon, i.e. jansson's compact, key-sorted, ASCII output), for the bulk of a change set
 * without building a jansson tree twice per line. It accepts only a subset it can vouch for:
 * objects with strictly increasing keys, arrays, strings of printable ASCII without escapes,
 * integers of at most 18 digits without leading zeros or "-0", true, false, null. Anything else
 * (an escape, a real, a long integer, a deep nesting, or bytes that are not canonical at all) is
 * "not sure": the caller then asks the general parser, so the answers stay the general path's.
 * The property (tests/test_fed_canon.c, fuzz/fuzz_fedcanon.c): whatever this reader accepts,
 * jansson parses and ad_fed_canon prints back byte for byte. */
#include <string.h>

#include "fed_int.h"

#define MAX_DEPTH 16

typedef struct {
    const char *p, *end;
} scan;

/* A string of the subset at s->p (the opening quote): its content span, or 0. */
static int str(scan *s, const char **at, size_t *n)
{
    if (s->p >= s->end || *s->p != '"')
        return 0;
    const char *q = ++s->p;
    while (q < s->end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return 0;
        q++;
    }
    if (q >= s->end)
        return 0;
    *at = s->p;
    *n = (size_t)(q - s->p);
    s->p = q + 1;
    return 1;
}

static int lit(scan *s, const char *w, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
        return 0;
    s->p += n;
    return 1;
}

static int value(scan *s, int depth, char *type);

/* An integer of the subset: 0, or -?[1-9][0-9]{0,17}. */
static int integer(scan *s)
{
    const char *q = s->p;
    if (q < s->end && *q == '-')
        q++;
    if (q >= s->end || *q < '0' || *q > '9')
        return 0;
    if (*q == '0') {
        if (q != s->p) /* "-0" */
            return 0;
        q++;
    } else {
        const char *d = q;
        while (q < s->end && *q >= '0' && *q <= '9')
            q++;
        if (q - d > 18)
            return 0;
    }
    /* a real ("1.5", "1e3") is not in the subset */
    if (q < s->end && (*q == '.' || *q == 'e' || *q == 'E'))
        return 0;
    s->p = q;
    return 1;
}

/* One key-sorted object at s->p; its top-level members into mem (when given). */
static int object(scan *s, int depth, ad_fed_member *mem, int max, int *count)
{
    if (depth > MAX_DEPTH || s->p >= s->end || *s->p != '{')
        return 0;
    s->p++;
    int k = 0;
    const char *pk = NULL;
    size_t pn = 0;
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        if (count)
            *count = 0;
        return 1;
    }
    for (;;) {
        const char *key;
        size_t kn;
        if (!str(s, &key, &kn))
            return 0;
        if (pk) { /* strictly increasing: sorted, no duplicate */
            int c = memcmp(pk, key, pn < kn ? pn : kn);
            if (c > 0 || (c == 0 && pn >= kn))
                return 0;
        }
        pk = key;
        pn = kn;
        if (!lit(s, ":", 1))
            return 0;
        const char *v = s->p;
        char type;
        if (!value(s, depth + 1, &type))
            return 0;
        if (mem) {
            if (k == max)
                return 0;
            mem[k] = (ad_fed_member){key, kn, v, (size_t)(s->p - v), type};
            if (type == 's') { /* the content, without its quotes */
                mem[k].val++;
                mem[k].vlen -= 2;
            }
        }
        k++;
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (!lit(s, "}", 1))
            return 0;
        break;
    }
    if (count)
        *count = k;
    return 1;
}

static int value(scan *s, int depth, char *type)
{
    if (s->p >= s->end)
        return 0;
    const char *at;
    size_t n;
    switch (*s->p) {
    case '"':
        *type = 's';
        return str(s, &at, &n);
    case '{':
        *type = 'o';
        return object(s, depth, NULL, 0, NULL);
    case '[':
        *type = 'a';
        if (depth > MAX_DEPTH)
            return 0;
        s->p++;
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 1;
        }
        for (;;) {
            char t;
            if (!value(s, depth + 1, &t))
                return 0;
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            return lit(s, "]", 1);
        }
    case 't':
        *type = 't';
        return lit(s, "true", 4);
    case 'f':
        *type = 'f';
        return lit(s, "false", 5);
    case 'n':
        *type = 'n';
        return lit(s, "null", 4);
    default:
        *type = 'i';
        return integer(s);
    }
}

int ad_fed_canon_scan(const char *p, size_t n, ad_fed_member *mem, int max)
{
    scan s = {p, p + n};
    int count = 0;
    if (!object(&s, 0, mem, max, &count) || s.p != s.end)
        return -1;
    return count;
}

const ad_fed_member *ad_fed_member_get(const ad_fed_member *mem, int n, const char *key)
{
    size_t kn = strlen(key);
    for (int i = 0; i < n; i++)
        if (mem[i].klen == kn && !memcmp(mem[i].key, key, kn))
            return &mem[i];
    return NULL;
}

int ad_fed_member_int(const ad_fed_member *m, int64_t *out)
{
    if (!m || m->type != 'i')
        return 0;
    /* the scanner checked the form: at most 18 digits, so no overflow */
    const char *q = m->val, *e = m->val + m->vlen;
    int neg = *q == '-';
    int64_t v = 0;
    for (q += neg; q < e; q++)
        v = v * 10 + (*q - '0');
    *out = neg ? -v : v;
    return 1;
}
