/* exchange_collect.h: test helpers for the exchange tests: a sink that deep-copies every record,
 * case and bad-record report it receives, record comparison, and in-memory files. Included by
 * tests/test_exchange*.c only (header-only so that CMake's glob needs no change). */
#ifndef AD_TEST_EXCHANGE_COLLECT_H
#define AD_TEST_EXCHANGE_COLLECT_H

#include <stdlib.h>
#include <string.h>

#include "ariadne/exchange.h"
#include "testutil.h"

typedef struct col_media {
    ad_xmedia m; /* strings, files and meta point into memory owned here */
    char *strs[32];
    int n_strs;
} col_media;

typedef struct collector {
    col_media *media;
    size_t n, cap;
    ad_xinfo info;
    int begun;
    ad_xcase cases_begin[8], cases_end[8];
    char *case_strs[256];
    int n_case_strs;
    size_t n_begin, n_end;
    uint64_t case_counts[8];
    ad_xbad bad[16];
    char *bad_msgs[16];
    size_t n_bad;
} collector;

static inline const char *col_dup(char **store, int *n, const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    store[(*n)++] = d;
    return d;
}

static inline ad_code col_begin(void *ctx, const ad_xinfo *info, ad_err *err)
{
    (void)err;
    collector *c = ctx;
    c->info = *info;
    c->info.context = NULL;
    c->begun++;
    return AD_OK;
}

static inline void col_case(collector *c, ad_xcase *dst, const ad_xcase *src)
{
    *dst = *src;
    const char **f[] = {&dst->case_id,       &dst->case_number,          &dst->contact_name,
                        &dst->contact_title, &dst->contact_organization, &dst->contact_phone,
                        &dst->contact_email, &dst->source_app_name,      &dst->source_app_version};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = col_dup(c->case_strs, &c->n_case_strs, *f[i]);
}

static inline ad_code col_begin_case(void *ctx, const ad_xcase *k, ad_err *err)
{
    (void)err;
    collector *c = ctx;
    if (c->n_begin < 8)
        col_case(c, &c->cases_begin[c->n_begin++], k);
    return AD_OK;
}

static inline ad_code col_end_case(void *ctx, const ad_xcase *k, ad_err *err)
{
    (void)err;
    collector *c = ctx;
    if (c->n_end < 8)
        col_case(c, &c->cases_end[c->n_end++], k);
    return AD_OK;
}

static inline const char *pool_dup(char **p, const char *s)
{
    if (!s)
        return NULL;
    char *d = *p;
    strcpy(d, s);
    *p += strlen(s) + 1;
    return d;
}

static inline size_t agency_len(const ad_xagency *a)
{
    return (a->name ? strlen(a->name) + 1 : 0) + (a->country ? strlen(a->country) + 1 : 0) +
           (a->kind ? strlen(a->kind) + 1 : 0);
}

static inline void agency_copy(char **p, ad_xagency *d, const ad_xagency *a)
{
    d->name = pool_dup(p, a->name);
    d->country = pool_dup(p, a->country);
    d->kind = pool_dup(p, a->kind);
}

/* Deep copy of m's Ariadne series into memory owned by cm. */
static inline void col_xseries(col_media *cm, const ad_xmedia *m)
{
    size_t nv = 0, need = 0;
    for (size_t i = 0; i < m->n_xseries; i++) {
        const ad_xseries *x = &m->xseries[i];
        const char *s[] = {x->name, x->contact, x->status};
        for (size_t k = 0; k < 3; k++)
            need += s[k] ? strlen(s[k]) + 1 : 0;
        need += agency_len(&x->owner);
        for (size_t k = 0; k < x->n_victims; k++) {
            const ad_xvictim *v = &x->victims[k];
            need += (v->code ? strlen(v->code) + 1 : 0) +
                    (v->country ? strlen(v->country) + 1 : 0) + agency_len(&v->identified_by);
        }
        nv += x->n_victims;
    }
    ad_xseries *xs = malloc(m->n_xseries * sizeof *xs + 1);
    ad_xvictim *vs = malloc(nv * sizeof *vs + 1);
    char *pool = malloc(need + 1), *p = pool;
    cm->strs[cm->n_strs++] = (char *)xs;
    cm->strs[cm->n_strs++] = (char *)vs;
    cm->strs[cm->n_strs++] = pool;
    nv = 0;
    for (size_t i = 0; i < m->n_xseries; i++) {
        const ad_xseries *x = &m->xseries[i];
        xs[i] = *x;
        xs[i].name = pool_dup(&p, x->name);
        xs[i].contact = pool_dup(&p, x->contact);
        xs[i].status = pool_dup(&p, x->status);
        agency_copy(&p, &xs[i].owner, &x->owner);
        xs[i].victims = &vs[nv];
        for (size_t k = 0; k < x->n_victims; k++, nv++) {
            vs[nv] = x->victims[k];
            vs[nv].code = pool_dup(&p, x->victims[k].code);
            vs[nv].country = pool_dup(&p, x->victims[k].country);
            agency_copy(&p, &vs[nv].identified_by, &x->victims[k].identified_by);
        }
    }
    cm->m.xseries = m->n_xseries ? xs : NULL;
}

static inline ad_code col_media_cb(void *ctx, const ad_xmedia *m, ad_err *err)
{
    (void)err;
    collector *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->media = realloc(c->media, c->cap * sizeof *c->media);
    }
    col_media *cm = &c->media[c->n++];
    memset(cm, 0, sizeof *cm);
    cm->m = *m;
    ad_xmedia *d = &cm->m;
    const char **f[] = {&d->photodna,      &d->precategorization_source,
                        &d->series,        &d->tags,
                        &d->comments,      &d->name,
                        &d->relative_path, &d->mime_type,
                        &d->date_updated,  &d->image_id,
                        &d->media_type,    &d->case_id};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = col_dup(cm->strs, &cm->n_strs, *f[i]);
    /* files and meta: one block each; their strings are kept in one more block */
    size_t need = 0;
    for (size_t i = 0; i < m->n_files; i++) {
        const ad_xfile *x = &m->files[i];
        const char *s[] = {x->file_name,  x->file_path,        x->source_id,
                           x->created,    x->written,          x->accessed,
                           x->parent_md5, x->parent_file_name, x->parent_file_path};
        for (size_t k = 0; k < 9; k++)
            need += s[k] ? strlen(s[k]) + 1 : 0;
    }
    for (size_t i = 0; i < m->n_meta; i++)
        need += strlen(m->meta[i].name) + 1 + (m->meta[i].value ? strlen(m->meta[i].value) + 1 : 0);
    char *pool = malloc(need + 1), *p = pool;
    cm->strs[cm->n_strs++] = pool;
#define POOL(s) pool_dup(&p, (s))
    ad_xfile *files = m->n_files ? malloc(m->n_files * sizeof *files) : NULL;
    cm->strs[cm->n_strs++] = (char *)files;
    for (size_t i = 0; i < m->n_files; i++) {
        files[i] = m->files[i];
        files[i].file_name = POOL(m->files[i].file_name);
        files[i].file_path = POOL(m->files[i].file_path);
        files[i].source_id = POOL(m->files[i].source_id);
        files[i].created = POOL(m->files[i].created);
        files[i].written = POOL(m->files[i].written);
        files[i].accessed = POOL(m->files[i].accessed);
        files[i].parent_md5 = POOL(m->files[i].parent_md5);
        files[i].parent_file_name = POOL(m->files[i].parent_file_name);
        files[i].parent_file_path = POOL(m->files[i].parent_file_path);
    }
    ad_xmeta *meta = m->n_meta ? malloc(m->n_meta * sizeof *meta) : NULL;
    cm->strs[cm->n_strs++] = (char *)meta;
    for (size_t i = 0; i < m->n_meta; i++) {
        meta[i].name = POOL(m->meta[i].name);
        meta[i].value = POOL(m->meta[i].value);
    }
#undef POOL
    d->files = files;
    d->meta = meta;
    col_xseries(cm, m);
    return AD_OK;
}

static inline ad_code col_bad(void *ctx, const ad_xbad *b, ad_err *err)
{
    (void)err;
    collector *c = ctx;
    if (c->n_bad < 16) {
        c->bad[c->n_bad] = *b;
        c->bad_msgs[c->n_bad] = strdup(b->message);
        c->bad[c->n_bad].message = c->bad_msgs[c->n_bad];
        c->bad[c->n_bad].field = NULL;
        c->n_bad++;
    }
    return AD_OK;
}

static inline ad_exchange_sink col_sink(void)
{
    ad_exchange_sink s = {0};
    s.begin = col_begin;
    s.begin_case = col_begin_case;
    s.media = col_media_cb;
    s.end_case = col_end_case;
    s.bad = col_bad;
    s.source_name = "t";
    return s;
}

static inline void col_free(collector *c)
{
    for (size_t i = 0; i < c->n; i++)
        for (int k = 0; k < c->media[i].n_strs; k++)
            free(c->media[i].strs[k]);
    free(c->media);
    for (int k = 0; k < c->n_case_strs; k++)
        free(c->case_strs[k]);
    for (size_t k = 0; k < c->n_bad; k++)
        free(c->bad_msgs[k]);
    memset(c, 0, sizeof *c);
}

static inline int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Asserts that two records carry the same content (record/line/case_id not compared). */
static inline void assert_media_equal(const ad_xmedia *a, const ad_xmedia *b)
{
    assert_int_equal(a->media_id, b->media_id);
    assert_int_equal(a->has, b->has);
    if (a->has & AD_XHAS_MD5)
        assert_memory_equal(a->md5, b->md5, 16);
    if (a->has & AD_XHAS_SHA1)
        assert_memory_equal(a->sha1, b->sha1, 20);
    if (a->has & AD_XHAS_SHA256)
        assert_memory_equal(a->sha256, b->sha256, 32);
    if (a->has & AD_XHAS_PDQ)
        assert_memory_equal(a->pdq.b, b->pdq.b, 32);
    assert_true(str_eq(a->photodna, b->photodna));
    assert_int_equal(a->size, b->size);
    assert_true(ad_category_equal(a->category, b->category));
    assert_int_equal(a->victim_identified, b->victim_identified);
    assert_int_equal(a->offender_identified, b->offender_identified);
    assert_int_equal(a->is_distributed, b->is_distributed);
    assert_int_equal(a->is_precategorized, b->is_precategorized);
    assert_int_equal(a->is_suspected, b->is_suspected);
    assert_int_equal(a->self_generated, b->self_generated);
    assert_int_equal(a->file_available, b->file_available);
    assert_int_equal(a->submissions, b->submissions);
    const char *sa[] = {a->precategorization_source,
                        a->series,
                        a->tags,
                        a->comments,
                        a->name,
                        a->relative_path,
                        a->mime_type,
                        a->date_updated,
                        a->image_id,
                        a->media_type};
    const char *sb[] = {b->precategorization_source,
                        b->series,
                        b->tags,
                        b->comments,
                        b->name,
                        b->relative_path,
                        b->mime_type,
                        b->date_updated,
                        b->image_id,
                        b->media_type};
    for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++) {
        if (!str_eq(sa[i], sb[i]))
            fail_msg("string field %zu differs: '%s' vs '%s'", i, sa[i] ? sa[i] : "(null)",
                     sb[i] ? sb[i] : "(null)");
    }
    assert_int_equal(a->n_files, b->n_files);
    for (size_t i = 0; i < a->n_files; i++) {
        const ad_xfile *x = &a->files[i], *y = &b->files[i];
        assert_true(str_eq(x->file_name, y->file_name) && str_eq(x->file_path, y->file_path) &&
                    str_eq(x->source_id, y->source_id) && str_eq(x->created, y->created) &&
                    str_eq(x->written, y->written) && str_eq(x->accessed, y->accessed) &&
                    str_eq(x->parent_md5, y->parent_md5) &&
                    str_eq(x->parent_file_name, y->parent_file_name) &&
                    str_eq(x->parent_file_path, y->parent_file_path));
        assert_int_equal(x->deleted, y->deleted);
        assert_int_equal(x->unallocated, y->unallocated);
        assert_int_equal(x->physical_location, y->physical_location);
        assert_int_equal(x->parent_physical_location, y->parent_physical_location);
    }
    assert_int_equal(a->n_xseries, b->n_xseries);
    for (size_t i = 0; i < a->n_xseries; i++) {
        const ad_xseries *x = &a->xseries[i], *y = &b->xseries[i];
        assert_true(str_eq(x->name, y->name) && str_eq(x->contact, y->contact) &&
                    str_eq(x->status, y->status) && str_eq(x->owner.name, y->owner.name) &&
                    str_eq(x->owner.country, y->owner.country) &&
                    str_eq(x->owner.kind, y->owner.kind));
        assert_int_equal(x->n_victims, y->n_victims);
        for (size_t k = 0; k < x->n_victims; k++) {
            const ad_xvictim *v = &x->victims[k], *w = &y->victims[k];
            assert_true(str_eq(v->code, w->code) && str_eq(v->country, w->country) &&
                        str_eq(v->identified_by.name, w->identified_by.name) &&
                        str_eq(v->identified_by.country, w->identified_by.country) &&
                        str_eq(v->identified_by.kind, w->identified_by.kind));
            assert_int_equal(v->identified, w->identified);
        }
    }
    assert_int_equal(a->n_meta, b->n_meta);
    for (size_t i = 0; i < a->n_meta; i++)
        assert_true(str_eq(a->meta[i].name, b->meta[i].name) &&
                    str_eq(a->meta[i].value, b->meta[i].value));
}

/* Reads a whole in-memory text with one of the readers. */
typedef ad_code (*reader_fn)(FILE *, const ad_exchange_sink *, void *, ad_err *);
static inline ad_code read_text(reader_fn fn, const char *text, size_t len,
                                const ad_exchange_sink *sink, collector *c, ad_err *err)
{
    FILE *f = fmemopen((void *)text, len, "r");
    assert_non_null(f);
    ad_code rc = fn(f, sink, c, err);
    fclose(f);
    return rc;
}

#endif
