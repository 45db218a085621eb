/* source.c: the walker's iterator: roots in order, a stack of open folders and archives, one
 * row handed out per call, the archive a row turned out to be opened on the following call. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/source_internal.h"

void ad_source_opts_default(ad_source_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_depth = 4;
    o->max_member_bytes = 256ull << 20;
    o->max_archive_bytes = 16ull << 30;
    o->max_ratio = 200;
    o->ratio_floor = 64ull << 20;
    o->max_members = 1000000;
    o->max_folder_depth = 256;
    o->open_documents = 1;
}

const char *ad_row_kind_name(ad_row_kind k)
{
    switch (k) {
    case AD_ROW_FILE:
        return "file";
    case AD_ROW_ERROR:
        return "error";
    case AD_ROW_ARCHIVE_END:
        return "archive_end";
    }
    return "unknown";
}

ad_code ad_source_new(ad_source **out, const char *const *roots, size_t nroots,
                      const ad_source_opts *opts, ad_err *err)
{
    *out = NULL;
    if (!roots && nroots)
        return ad_err_set(err, AD_ERR_ARG, "no roots");
    ad_source *s = calloc(1, sizeof *s);
    if (!s)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (opts)
        s->opts = *opts;
    else
        ad_source_opts_default(&s->opts);
    s->roots = calloc(nroots ? nroots : 1, sizeof *s->roots);
    s->scratch = malloc(SRC_CHUNK);
    s->head = malloc(SRC_HEAD_BYTES);
    if (!s->roots || !s->scratch || !s->head) {
        ad_source_free(s);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nroots; i++) {
        s->roots[i] = strdup(roots[i]);
        if (!s->roots[i]) {
            s->nroots = i;
            ad_source_free(s);
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
    }
    s->nroots = nroots;
    ad_code rc = ad_magic_open(&s->magic, err);
    if (rc != AD_OK) {
        ad_source_free(s);
        return rc;
    }
    *out = s;
    return AD_OK;
}

void ad_source_free(ad_source *s)
{
    if (!s)
        return;
    while (s->depth)
        src_pop(s);
    free(s->stack);
    for (size_t i = 0; i < s->nroots; i++)
        free(s->roots[i]);
    free(s->roots);
    ad_magic_close(s->magic);
    src_str_free(&s->cur.path);
    src_str_free(&s->cur.fs_path);
    src_str_free(&s->cur.inner);
    free(s->cur.chain);
    free(s->cur.data);
    free(s->scratch);
    free(s->head);
    free(s);
}

src_frame *src_push(ad_source *s, src_frame_kind kind)
{
    if (s->depth == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        src_frame *st = realloc(s->stack, cap * sizeof *st);
        if (!st)
            return NULL;
        s->stack = st;
        s->cap = cap;
    }
    src_frame *f = &s->stack[s->depth++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->fd = -1;
    return f;
}

void src_pop(ad_source *s)
{
    src_frame *f = &s->stack[--s->depth];
    if (f->kind == SRC_DIR) {
        for (int i = 0; i < f->nents; i++)
            free(f->ents[i]);
        free(f->ents);
    } else {
        src_archive_close(f);
    }
    src_str_free(&f->logical);
    src_str_free(&f->fs_path);
}

src_frame *src_top(ad_source *s)
{
    return s->depth ? &s->stack[s->depth - 1] : NULL;
}

void src_row_reset(ad_source *s)
{
    src_row *c = &s->cur;
    memset(&c->row, 0, sizeof c->row);
    c->row.uid = c->row.gid = -1;
    c->path.len = c->fs_path.len = c->inner.len = 0;
    if (c->data_taken || c->data_cap > (16u << 20)) {
        /* taken by the caller, or too big to keep around between members */
        if (!c->data_taken)
            free(c->data);
        c->data = NULL;
        c->data_cap = 0;
        c->data_taken = 0;
    }
}

/* Points the row's chain at the logical paths of the archives on the stack. */
int src_row_chain(ad_source *s)
{
    src_row *c = &s->cur;
    size_t n = 0;
    for (size_t i = 0; i < s->depth; i++)
        n += s->stack[i].kind == SRC_ARCHIVE;
    if (n + 1 > c->chain_cap) {
        const char **ch = realloc(c->chain, (n + 1) * sizeof *ch);
        if (!ch)
            return -1;
        c->chain = ch;
        c->chain_cap = n + 1;
    }
    n = 0;
    for (size_t i = 0; i < s->depth; i++)
        if (s->stack[i].kind == SRC_ARCHIVE)
            c->chain[n++] = s->stack[i].logical.p;
    c->chain[n] = NULL;
    c->row.chain = c->chain;
    c->row.depth = (int)n;
    return 0;
}

void src_row_error(ad_source *s, ad_code code, const char *fmt, ...)
{
    ad_row *r = &s->cur.row;
    va_list ap;
    va_start(ap, fmt);
    char msg[sizeof r->err.msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->kind == AD_ROW_FILE)
        r->kind = AD_ROW_ERROR;
    ad_err_set(&r->err, code, "%s", msg);
}

/* Hands out the row built in s->cur: string pointers, ordinal. */
static void finish_row(ad_source *s, const ad_row **row)
{
    src_row *c = &s->cur;
    c->row.path = c->path.p ? c->path.p : "";
    c->row.fs_path = c->fs_path.len ? c->fs_path.p : NULL;
    c->row.inner_path = c->inner.len ? c->inner.p : NULL;
    if (!c->row.chain) {
        static const char *const none[1] = {NULL};
        c->row.chain = none;
    }
    c->row.ordinal = s->ordinal++;
    s->pending_open = c->row.kind == AD_ROW_FILE && c->row.is_archive;
    *row = &c->row;
}

/* The AD_ROW_ARCHIVE_END row of a stopped archive frame. */
static void end_row(ad_source *s, src_frame *f)
{
    src_row *c = &s->cur;
    src_row_reset(s);
    c->row.kind = AD_ROW_ARCHIVE_END;
    c->row.err = f->stop;
    src_key_end(f->key, c->row.key);
    if (src_str_set(&c->path, f->logical.p, f->logical.len) != 0)
        c->row.err.code = AD_ERR_NOMEM;
    /* the chain of an archive's end row is the archive's own (without itself) */
    s->depth--;
    src_row_chain(s);
    for (size_t i = s->depth; i-- > 0;)
        if (s->stack[i].kind == SRC_ARCHIVE) {
            c->row.parent_format = s->stack[i].format;
            break;
        }
    s->depth++;
}

ad_code ad_source_next(ad_source *s, const ad_row **row, ad_err *err)
{
    *row = NULL;
    int r = 0;
    if (s->pending_open) {
        s->pending_open = 0;
        r = src_archive_open(s); /* reads the last row, then resets it */
    } else {
        src_row_reset(s);
    }
    while (r == 0) {
        src_frame *f = src_top(s);
        if (!f) {
            if (s->next_root >= s->nroots)
                return AD_OK;
            const char *root = s->roots[s->next_root++];
            src_row_reset(s);
            src_str tmp = {0};
            if (src_str_add_escaped(&tmp, root, strlen(root)) != 0) {
                src_str_free(&tmp);
                return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            }
            r = src_fs_visit(s, root, tmp.p, tmp.len, 0, 1);
            src_str_free(&tmp);
        } else if (f->kind == SRC_DIR) {
            r = src_fs_next(s, f);
        } else if (f->stopped) {
            end_row(s, f);
            src_pop(s);
            r = 1;
        } else {
            r = src_archive_next(s, f);
        }
    }
    if (r < 0)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory while walking");
    finish_row(s, row);
    return AD_OK;
}

uint8_t *ad_source_take(ad_source *s, size_t *len)
{
    src_row *c = &s->cur;
    *len = 0;
    if (!c->row.data || c->data_taken)
        return NULL;
    uint8_t *out;
    if (s->pending_open) {
        /* the walker still needs these bytes to open the archive: hand out a copy */
        out = malloc(c->row.len ? c->row.len : 1);
        if (!out)
            return NULL;
        memcpy(out, c->row.data, c->row.len);
    } else {
        out = c->data;
        c->data_taken = 1;
    }
    *len = c->row.len;
    return out;
}

ad_code ad_source_walk(const char *const *roots, size_t nroots, const ad_source_opts *opts,
                       ad_source_fn fn, void *ctx, ad_err *err)
{
    ad_source *s;
    ad_code rc = ad_source_new(&s, roots, nroots, opts, err);
    if (rc != AD_OK)
        return rc;
    for (;;) {
        const ad_row *row;
        rc = ad_source_next(s, &row, err);
        if (rc != AD_OK || !row || fn(ctx, row))
            break;
    }
    ad_source_free(s);
    return rc;
}
