/* db_copy.c: rows in COPY's text format (PostgreSQL's bulk writes: db.h, ad_copy_buf) and
 * their run through the back end. Every field is escaped here, so that whatever a text holds
 * (a tab, a newline, a backslash, "\N", "\.") it stays one field of one row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static int reserve(ad_copy_buf *b, size_t more)
{
    if (b->oom)
        return 0;
    if (b->len + more <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

/* The separator before a field (none before a row's first). */
static int field(ad_copy_buf *b, size_t more)
{
    if (!reserve(b, more + 1))
        return 0;
    if (b->col++)
        b->p[b->len++] = '\t';
    return 1;
}

void ad_copy_null(ad_copy_buf *b)
{
    if (field(b, 2)) {
        memcpy(b->p + b->len, "\\N", 2);
        b->len += 2;
    }
}

void ad_copy_int(ad_copy_buf *b, int64_t v)
{
    if (field(b, 24))
        b->len += (size_t)snprintf(b->p + b->len, 24, "%lld", (long long)v);
}

void ad_copy_text(ad_copy_buf *b, const char *v)
{
    if (!v) {
        ad_copy_null(b);
        return;
    }
    size_t n = strlen(v);
    if (!field(b, 2 * n))
        return;
    for (size_t i = 0; i < n; i++) {
        char c = v[i], e = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : 0;
        if (e) {
            b->p[b->len++] = '\\';
            b->p[b->len++] = e;
        } else {
            b->p[b->len++] = c;
        }
    }
}

void ad_copy_bytea(ad_copy_buf *b, const void *v, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!field(b, 3 + 2 * n))
        return;
    memcpy(b->p + b->len, "\\\\x", 3); /* COPY's \\ is bytea's \ */
    b->len += 3;
    const unsigned char *p = v;
    for (size_t i = 0; i < n; i++) {
        b->p[b->len++] = hex[p[i] >> 4];
        b->p[b->len++] = hex[p[i] & 15];
    }
}

void ad_copy_row_end(ad_copy_buf *b)
{
    if (reserve(b, 1))
        b->p[b->len++] = '\n';
    b->col = 0;
}

void ad_copy_free(ad_copy_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

ad_code ad_db_copy(ad_db *db, const char *sql, ad_copy_buf *b, ad_err *err)
{
    ad_code rc;
    if (b->oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    else if (!db->ops->copy)
        rc = ad_err_set(err, AD_ERR_INTERNAL, "%s has no COPY", db->ops->name);
    else
        rc = db->ops->copy(db, sql, b->p ? b->p : "", b->len, err);
    b->len = 0;
    b->col = 0;
    b->oom = 0;
    return rc;
}
