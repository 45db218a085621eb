/* transfer_import.c: an exchange file into the store, in batches, inside one transaction.
 * Each record becomes (or merges into) a media found by its strongest digest; it joins the named
 * list; its category becomes a vote by "import:<file>"; its series (Ariadne's own fields with
 * owner, contact and victims, else the format's series name) link it to series resolved by
 * transfer_series.c; IsDistributed, VictimIdentified, OffenderIdentified, a baseline category
 * and a non-pertinent category become media flags (flags are only ever set). The import ends
 * with one "import" audit row holding the counts the summary shows. */
#include <stdlib.h>
#include <string.h>

#include "transfer_series.h"

#define BATCH 4096

struct pending {
    char scheme[16], code[8];
    int has_vote;
    int64_t *series; /* the series ids the record links to */
    size_t n_series;
};

struct imp {
    ad_store *st;
    const ad_import_opts *opts;
    ad_import_stats *stats;
    ad_tseries_in *ts;
    int64_t list_id;
    char voter[300];
    ad_media m[BATCH];
    struct pending p[BATCH];
    int64_t ids[BATCH];
    size_t n;
};

static void clear_batch(struct imp *im)
{
    for (size_t i = 0; i < im->n; i++) {
        free((char *)im->m[i].mime);
        free((uint8_t *)im->m[i].photodna);
        free(im->p[i].series);
    }
    im->n = 0;
}

/* The series a record links to: each of its Ariadne series, and the format's series name when
 * none of those bears it. */
static ad_code record_series(struct imp *im, const ad_xmedia *x, struct pending *p, ad_err *err)
{
    int plain = x->series && *x->series;
    for (size_t i = 0; i < x->n_xseries && plain; i++)
        plain = strcmp(x->series, x->xseries[i].name) != 0;
    if (!x->n_xseries && !plain)
        return AD_OK;
    p->series = malloc((x->n_xseries + 1) * sizeof *p->series);
    if (!p->series)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = AD_OK;
    for (size_t i = 0; i < x->n_xseries && rc == AD_OK; i++) {
        int64_t id = 0;
        rc = ad_tseries_resolve(im->ts, &x->xseries[i], &id, err);
        if (rc == AD_OK && id)
            p->series[p->n_series++] = id;
    }
    if (rc == AD_OK && plain) {
        int64_t id = 0;
        rc = ad_tseries_by_name(im->ts, x->series, &id, err);
        if (rc == AD_OK)
            p->series[p->n_series++] = id;
    }
    return rc;
}

/* Whether this file's voter's latest vote of the media in the scheme already says code: the
 * file imported again (after a failure it did not have, or twice) adds no votes. */
struct latest {
    const char *scheme, *voter;
    char code[16];
};

static int latest_vote(void *ctx, const ad_vote *v)
{
    struct latest *l = ctx;
    if (v->scheme && v->voter && v->code && !strcmp(v->scheme, l->scheme) &&
        !strcmp(v->voter, l->voter))
        snprintf(l->code, sizeof l->code, "%s", v->code);
    return 0;
}

static ad_code voted_before(struct imp *im, int64_t media_id, const struct pending *p, int *again,
                            ad_err *err)
{
    struct latest l = {.scheme = ad_category_scheme(p->scheme), .voter = im->voter};
    *again = 0;
    if (!l.scheme)
        return AD_OK;
    ad_code rc = ad_store_vote_list(im->st, media_id, latest_vote, &l, err);
    *again = rc == AD_OK && !strcmp(l.code, p->code);
    return rc;
}

static ad_code flush(struct imp *im, ad_err *err)
{
    if (!im->n)
        return AD_OK;
    size_t created = 0;
    ad_code rc = ad_store_media_upsert_batch_count(im->st, im->m, im->n, im->ids, &created, err);
    im->stats->created += created;
    if (!rc && im->list_id)
        rc = ad_store_list_add(im->st, im->list_id, im->ids, im->n, err);
    for (size_t i = 0; i < im->n && !rc; i++) {
        if (im->p[i].has_vote) {
            int again = 0;
            rc = voted_before(im, im->ids[i], &im->p[i], &again, err);
            if (!rc && !again) {
                rc = ad_store_vote(im->st, im->ids[i], im->p[i].scheme, im->p[i].code, im->voter,
                                   err);
                im->stats->votes += rc == AD_OK;
            }
        }
        for (size_t k = 0; !rc && k < im->p[i].n_series; k++) {
            rc = ad_store_series_link(im->st, im->p[i].series[k], im->ids[i], err);
            if (rc == AD_ERR_EXISTS) {
                ad_err_clear(err);
                rc = AD_OK;
            }
            im->stats->series_links += rc == AD_OK;
        }
    }
    clear_batch(im);
    return rc;
}

static ad_code on_media(void *ctx, const ad_xmedia *x, ad_err *err)
{
    struct imp *im = ctx;
    ad_media *m = &im->m[im->n];
    struct pending *p = &im->p[im->n];
    ad_media_init(m);
    memset(p, 0, sizeof *p);
    if (x->has & AD_XHAS_MD5)
        m->has_md5 = 1, memcpy(m->md5, x->md5, 16);
    if (x->has & AD_XHAS_SHA1)
        m->has_sha1 = 1, memcpy(m->sha1, x->sha1, 20);
    if (x->has & AD_XHAS_SHA256)
        m->has_sha256 = 1, memcpy(m->sha256, x->sha256, 32);
    if (x->has & AD_XHAS_PDQ)
        m->has_pdq = 1, m->pdq = x->pdq;
    if (!x->has && !x->photodna)
        return ad_err_set(err, AD_ERR_PARSE, "%s: record %llu has no hash",
                          im->opts->source_name ? im->opts->source_name : "input",
                          (unsigned long long)x->record);
    m->size = x->size;
    if (x->mime_type)
        m->mime = strdup(x->mime_type);
    if (x->photodna) {
        size_t n = strlen(x->photodna);
        uint8_t *b = malloc(n ? n : 1);
        if (b)
            memcpy(b, x->photodna, n);
        m->photodna = b;
        m->photodna_len = (int)n;
    }
    if (x->is_distributed == AD_XTRUE)
        m->flags |= AD_MEDIA_DISTRIBUTED;
    if (x->victim_identified == AD_XTRUE)
        m->flags |= AD_MEDIA_VICTIM_IDENTIFIED;
    if (x->offender_identified == AD_XTRUE)
        m->flags |= AD_MEDIA_OFFENDER_IDENTIFIED;
    if (ad_category_to_store(x->category, p->scheme, p->code)) {
        p->has_vote = 1;
        if (ad_category_ignorable(p->scheme, p->code))
            m->flags |= AD_MEDIA_IGNORABLE;
        if (!strcmp(p->scheme, "baseline"))
            m->flags |= AD_MEDIA_BASELINE;
    }
    ad_code rc = record_series(im, x, p, err);
    if (rc != AD_OK) {
        free((char *)m->mime);
        free((uint8_t *)m->photodna);
        free(p->series);
        return rc;
    }
    im->stats->records++;
    if (++im->n == BATCH)
        return flush(im, err);
    return AD_OK;
}

static ad_code on_begin(void *ctx, const ad_xinfo *info, ad_err *err)
{
    (void)err;
    struct imp *im = ctx;
    im->stats->info = *info;
    return AD_OK;
}

static ad_code on_case(void *ctx, const ad_xcase *c, ad_err *err)
{
    (void)c;
    (void)err;
    ((struct imp *)ctx)->stats->cases++;
    return AD_OK;
}

static ad_code on_bad(void *ctx, const ad_xbad *b, ad_err *err)
{
    struct imp *im = ctx;
    im->stats->bad++;
    if (im->opts->bad)
        return im->opts->bad(im->opts->bad_ctx, b, err);
    return AD_OK;
}

/* The import's own audit row, in its transaction: the counts its summary shows. */
static ad_code audit_import(ad_store *st, const ad_import_opts *o, ad_xformat fmt,
                            const ad_import_stats *s, ad_err *err)
{
    char object[300], detail[800];
    snprintf(object, sizeof object, "%s%s", o->list ? "list:" : "file:",
             o->list          ? o->list
             : o->source_name ? o->source_name
                              : "input");
    snprintf(detail, sizeof detail,
             "file=%s format=%s records=%llu new=%llu merged=%llu bad=%llu votes=%llu "
             "series_links=%llu agencies_created=%llu series_created=%llu series_filled=%llu "
             "series_apart=%llu series_unlinked=%llu victims_added=%llu victims_identified=%llu "
             "victims_left=%llu",
             o->source_name ? o->source_name : "input", ad_xformat_name(fmt),
             (unsigned long long)s->records, (unsigned long long)s->created,
             (unsigned long long)s->merged, (unsigned long long)s->bad,
             (unsigned long long)s->votes, (unsigned long long)s->series_links,
             (unsigned long long)s->agencies_created, (unsigned long long)s->series_created,
             (unsigned long long)s->series_filled, (unsigned long long)s->series_apart,
             (unsigned long long)s->series_unlinked, (unsigned long long)s->victims_added,
             (unsigned long long)s->victims_identified, (unsigned long long)s->victims_left);
    return ad_store_audit(st, "import", object, detail, err);
}

ad_code ad_import(ad_store *st, FILE *in, const ad_import_opts *opts, ad_import_stats *stats,
                  ad_err *err)
{
    ad_import_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    struct imp *im = calloc(1, sizeof *im);
    if (!im)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    im->st = st;
    im->opts = opts;
    im->stats = stats;
    snprintf(im->voter, sizeof im->voter, "import:%s",
             opts->source_name ? opts->source_name : "input");
    ad_xformat fmt = opts->format;
    if (!fmt) {
        char head[4096];
        size_t n = fread(head, 1, sizeof head, in);
        fmt = ad_exchange_sniff(head, n);
        if (fseek(in, 0, SEEK_SET) != 0) {
            free(im);
            return ad_err_set(err, AD_ERR_ARG,
                              "cannot guess the format of a stream: give --format");
        }
        if (!fmt)
            fmt = AD_XFMT_HASHLIST;
    }
    ad_code rc = ad_store_begin(st, err);
    if (!rc && opts->list) {
        ad_list l = {.name = opts->list,
                     .source = opts->list_source ? opts->list_source : opts->source_name};
        rc = ad_store_list_ensure(st, &l, &im->list_id, err);
    }
    if (!rc)
        rc = ad_tseries_in_open(&im->ts, st, stats, opts, err);
    if (!rc) {
        ad_exchange_sink sink = {
            .begin = on_begin,
            .begin_case = on_case,
            .media = on_media,
            .bad = on_bad,
            .skip_bad = opts->skip_bad,
            .source_name = opts->source_name,
            .hash64 = opts->pdq64 ? AD_XHASH_PDQ : AD_XHASH_SHA256,
        };
        rc = ad_exchange_read(in, fmt, &sink, im, err);
        if (!rc)
            rc = flush(im, err);
    }
    clear_batch(im);
    ad_tseries_in_close(im->ts);
    free(im);
    stats->merged = stats->records - stats->created;
    if (!rc)
        rc = audit_import(st, opts, fmt, stats, err);
    if (rc) {
        ad_store_rollback(st, NULL);
        return rc;
    }
    return ad_store_commit(st, err);
}
