/* hashset.c: many files hashed on a pool of threads, one hasher a worker, results handed back
 * in input order (hashset.h); and PDQ hash lists parsed from text. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/hashset.h"

void ad_hashset_opts_default(ad_hashset_opts *o)
{
    memset(o, 0, sizeof *o);
    ad_hash_opts_default(&o->hash);
    o->video = 1;
}

#define DONE ((ad_hashset_result *)1) /* handed to the caller and freed */

struct run {
    const ad_hashset_item *items;
    size_t n;
    const ad_hashset_opts *o;
    ad_hashset_fn fn;
    void *ctx;
    ad_hasher **hashers; /* one per worker, made on first use */
    ad_hashset_result **results;
    size_t next_out, failed;
    int oom;
    pthread_mutex_t mu;
};

static void work(void *p, size_t i, int worker)
{
    struct run *r = p;
    ad_hashset_result *res = calloc(1, sizeof *res);
    if (!res) {
        pthread_mutex_lock(&r->mu);
        r->oom = 1;
        pthread_mutex_unlock(&r->mu);
        return;
    }
    const ad_hashset_item *it = &r->items[i];
    res->index = i;
    res->item = it;
    if (it->pre) {
        res->code = ad_err_set(&res->err, it->pre, "%s", it->pre_msg ? it->pre_msg : "");
    } else {
        if (!r->hashers[worker])
            res->code = ad_hasher_new(&r->hashers[worker], &r->o->hash, &res->err);
        if (!res->code)
            res->code = ad_hasher_file(r->hashers[worker], it->path, &res->fh, &res->err);
        if (!res->code && res->fh.type == AD_MEDIA_VIDEO && r->o->video) {
            ad_vpdq_opts vo;
            ad_vpdq_opts_default(&vo);
            res->code = ad_vpdq_hash_file(it->path, &vo, &res->vid, &res->err);
            res->has_vid = res->code == AD_OK;
        }
    }
    pthread_mutex_lock(&r->mu);
    r->results[i] = res;
    while (r->next_out < r->n && r->results[r->next_out] && r->results[r->next_out] != DONE) {
        ad_hashset_result *out = r->results[r->next_out];
        if (out->code)
            r->failed++;
        r->fn(r->ctx, out);
        ad_vpdq_video_free(&out->vid);
        free(out);
        r->results[r->next_out++] = DONE;
    }
    pthread_mutex_unlock(&r->mu);
    ad_progress_add(r->o->progress, 1, 0);
}

ad_code ad_hashset_run(const ad_hashset_item *items, size_t n, const ad_hashset_opts *o,
                       ad_hashset_fn fn, void *ctx, size_t *failed, ad_err *err)
{
    ad_hashset_opts def;
    if (!o) {
        ad_hashset_opts_default(&def);
        o = &def;
    }
    int threads = o->threads > 0 ? o->threads : ad_cpu_count();
    struct run r = {items, n, o, fn, ctx, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    r.hashers = calloc((size_t)threads, sizeof *r.hashers);
    r.results = calloc(n ? n : 1, sizeof *r.results);
    ad_code rc = AD_OK;
    if (!r.hashers || !r.results)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory for %zu files", n);
    if (rc == AD_OK)
        rc = ad_parallel_for(n, threads, work, &r, err);
    if (rc == AD_OK && r.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory while hashing");
    for (int t = 0; r.hashers && t < threads; t++)
        ad_hasher_free(r.hashers[t]);
    /* results never handed over (the pool stopped early) */
    for (size_t i = 0; r.results && i < n; i++)
        if (r.results[i] && r.results[i] != DONE) {
            ad_vpdq_video_free(&r.results[i]->vid);
            free(r.results[i]);
        }
    free(r.hashers);
    free(r.results);
    pthread_mutex_destroy(&r.mu);
    if (failed)
        *failed = r.failed;
    return rc;
}

/* 64 hex digits by table lookup (the common case); 0 if anything is off, and the caller asks
 * ad_h256_parse for the message. */
static int fast_hex(ad_h256 *out, const char *s, size_t len)
{
    static const signed char val[256] = {
        ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
        ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
        ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
        ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    }; /* digit value + 1; 0: not a digit */
    if (len != 64)
        return 0;
    int bad = 0;
    for (int i = 0; i < 32; i++) {
        int hi = val[(unsigned char)s[2 * i]] - 1, lo = val[(unsigned char)s[2 * i + 1]] - 1;
        bad |= hi | lo;
        out->b[i] = (uint8_t)((hi << 4) | (lo & 15));
    }
    return bad >= 0;
}

ad_code ad_h256_list_parse(const char *text, size_t len, int per, ad_h256 **out, size_t *nlines,
                           ad_err *err)
{
    *out = NULL;
    *nlines = 0;
    if (per != 1 && per != 8)
        return ad_err_set(err, AD_ERR_ARG, "a line holds 1 or 8 hashes, not %d", per);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (len && text[len - 1] != '\n')
        lines++;
    ad_h256 *h = malloc((lines ? lines : 1) * (size_t)per * sizeof *h);
    if (!h)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for %zu hashes", lines);
    const char *p = text, *end = text + len;
    for (size_t ln = 0; ln < lines; ln++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r')
            e--;
        int k = 0;
        const char *f = p;
        for (;;) {
            const char *comma = per > 1 ? memchr(f, ',', (size_t)(e - f)) : NULL;
            const char *fe = comma ? comma : e;
            ad_err e2;
            ad_h256 *dst = &h[ln * (size_t)per + (size_t)(k < per ? k : 0)];
            if (k == per || (!fast_hex(dst, f, (size_t)(fe - f)) &&
                             ad_h256_parse(dst, f, (size_t)(fe - f), &e2) != AD_OK)) {
                free(h);
                return ad_err_set(err, AD_ERR_PARSE, "line %zu: %s", ln + 1,
                                  k == per ? "more than 8 hashes" : e2.msg);
            }
            k++;
            if (!comma)
                break;
            f = comma + 1;
        }
        if (per > 1 && k != 1 && k != per) {
            free(h);
            return ad_err_set(err, AD_ERR_PARSE, "line %zu: %d hashes; --dihedral wants 8 (or 1)",
                              ln + 1, k);
        }
        for (; k < per; k++)
            h[ln * (size_t)per + (size_t)k] = h[ln * (size_t)per];
        p = nl ? nl + 1 : end;
    }
    *out = h;
    *nlines = lines;
    return AD_OK;
}
