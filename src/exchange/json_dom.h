/* json_dom.h: a small JSON parser for one record at a time (internal to src/exchange). It parses
 * a NUL-terminated buffer in place (strings are unescaped inside the buffer and NUL-terminated)
 * into a flat array of nodes that is reused from record to record, so reading a record makes no
 * allocation once the arrays have grown. Strict JSON (RFC 8259): UTF-8 is validated, \u0000 and
 * lone surrogates are refused, nesting is limited. */
#ifndef AD_EXCHANGE_JSON_DOM_H
#define AD_EXCHANGE_JSON_DOM_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"

typedef enum ad_jtype {
    AD_J_NULL,
    AD_J_FALSE,
    AD_J_TRUE,
    AD_J_NUM,
    AD_J_STR,
    AD_J_ARR,
    AD_J_OBJ
} ad_jtype;

typedef struct ad_jnode {
    uint8_t type;
    uint8_t is_int; /* numbers: an integer that fits int64 */
    uint32_t n;     /* arrays: elements; objects: members; strings: length in bytes */
    uint32_t next;  /* index of the node after this one's subtree */
    const char *s;  /* strings: the text; numbers: their text; literals: "true"... */
    int64_t i;      /* integer value */
    double d;       /* number value */
} ad_jnode;

typedef struct ad_jdom {
    ad_jnode *nodes;
    size_t n, cap;
    char *scratch; /* text made while converting a record (joined lists); see ad_jdom_scratch */
    size_t scratch_len, scratch_cap;
} ad_jdom;

/* Parses buf[0..len) (buf[len] must be writable; the buffer is modified). The root is node 0.
 * On error returns AD_ERR_PARSE with err = "<reason> at line L" (L counted from first_line). */
ad_code ad_jdom_parse(ad_jdom *d, char *buf, size_t len, uint64_t first_line, ad_err *err);
void ad_jdom_free(ad_jdom *d);
/* The value of member `key` of object node obj (the last one when repeated), or -1. */
long ad_jdom_get(const ad_jdom *d, long obj, const char *key);
/* Iteration: the first child (element, or key of the first member) and the next sibling. */
static inline long ad_jdom_first(const ad_jdom *d, long node)
{
    (void)d;
    return node + 1;
}
static inline long ad_jdom_next(const ad_jdom *d, long node)
{
    return d->nodes[node].next;
}
/* Room for n bytes of converted text valid until the next parse; NULL when out of memory. The
 * scratch area is sized by ad_jdom_parse to the record's length, so it never moves while one
 * record is converted as long as the text made is no longer than the record. */
char *ad_jdom_scratch(ad_jdom *d, size_t n);

#endif
