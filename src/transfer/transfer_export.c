/* transfer_export.c: the media the caller chose (a list's, a series', those categorised in a
 * scheme, or all when asked) into an exchange file. Each media carries its digests, PDQ,
 * PhotoDNA, size, type, flags, its category in the file's scheme, and its series with owner,
 * contact, victims and the victims' identification (transfer_series.c). Selection
 * rules and the category chosen: docs/formats.md, "Export selection". */
#include <stdlib.h>
#include <string.h>

#include "transfer_series.h"

struct exp {
    ad_store *st;
    const ad_export_opts *opts;
    ad_export_stats *stats;
    ad_vics_writer *vw;
    ad_icse_writer *iw;
    ad_hashlist_writer *hw;
    ad_cat_scheme file_scheme; /* the scheme the file writes categories in, or NONE */
    int64_t series_id;         /* when walking a list: keep only media of this series */
    ad_category *votes;        /* the current media's votes, oldest first */
    size_t n_votes, cap_votes;
    ad_tseries_out *ts; /* the media's series with owner, contact and victims */
    int in_series;
    ad_code rc;
    ad_err *err;
};

static int collect_vote(void *ctx, const ad_vote *v)
{
    struct exp *ex = ctx;
    ad_category c;
    if (!ad_category_from_store(v->scheme, v->code, &c))
        return 0;
    if (ex->n_votes == ex->cap_votes) {
        size_t n = ex->cap_votes ? 2 * ex->cap_votes : 16;
        ad_category *p = realloc(ex->votes, n * sizeof *p);
        if (!p)
            return 1;
        ex->votes = p;
        ex->cap_votes = n;
    }
    ex->votes[ex->n_votes++] = c;
    return 0;
}

/* c mapped into `to`; NONE when it has no mapping or means "uncategorised" there. */
static ad_category mapped(ad_category c, ad_cat_scheme to)
{
    ad_category out = {AD_CAT_NONE, 0};
    if (ad_category_map(c, to, &out, NULL) != AD_OK)
        out.scheme = AD_CAT_NONE;
    return out;
}

/* The category of a media in scheme `to`: its trusted category in `to`, else a trusted one of
 * another scheme that maps into `to`; then (unless trusted_only) its latest vote in `to`, else
 * the latest vote of another scheme that maps into `to`. NONE when it has none. Needs the
 * media's votes in ex->votes (no votes: no trusted category either). */
static ad_category category_in(struct exp *ex, int64_t media_id, ad_cat_scheme to, int trusted_only)
{
    static const ad_cat_scheme schemes[] = {AD_CAT_VIC_US, AD_CAT_DHS, AD_CAT_UK, AD_CAT_BASELINE};
    ad_category c, none = {AD_CAT_NONE, 0};
    char code[16];
    if (to == AD_CAT_NONE || !ex->n_votes)
        return none;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
            if ((pass == 0) != (schemes[i] == to) ||
                ad_store_trusted_category(ex->st, media_id, ad_cat_scheme_name(schemes[i]), code,
                                          sizeof code, NULL) != AD_OK ||
                !ad_category_from_store(ad_cat_scheme_name(schemes[i]), code, &c))
                continue;
            if ((c = mapped(c, to)).scheme != AD_CAT_NONE)
                return c;
        }
    if (trusted_only)
        return none;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = ex->n_votes; i-- > 0;) {
            if ((pass == 0) != (ex->votes[i].scheme == to))
                continue;
            if ((c = mapped(ex->votes[i], to)).scheme != AD_CAT_NONE)
                return c;
        }
    return none;
}

static int code_chosen(const ad_export_opts *o, ad_category c)
{
    if (!o->n_codes)
        return 1;
    for (size_t i = 0; i < o->n_codes; i++)
        if (o->codes[i] == c.code)
            return 1;
    return 0;
}

/* Whether the media is one the caller chose; *cat gets its category in the chosen scheme. */
static int selected(struct exp *ex, const ad_media *m, ad_category *cat)
{
    const ad_export_opts *o = ex->opts;
    if (ex->series_id && !ex->in_series)
        return 0;
    if (o->scheme == AD_CAT_NONE)
        return 1;
    *cat = category_in(ex, m->id, o->scheme, o->trusted);
    return cat->scheme != AD_CAT_NONE && code_chosen(o, *cat);
}

static ad_code write_one(struct exp *ex, const ad_xmedia *x, ad_err *e)
{
    if (ex->vw)
        return ad_vics_writer_add_media(ex->vw, x, e);
    if (ex->iw)
        return ad_icse_writer_add_media(ex->iw, x, e);
    return ad_hashlist_writer_add_media(ex->hw, x, e);
}

static int one(void *ctx, const ad_media *m)
{
    struct exp *ex = ctx;
    ad_xmedia x;
    ad_xmedia_init(&x);
    ex->stats->seen++;
    ex->n_votes = 0;
    ad_code rc = ad_tseries_of_media(ex->ts, m, ex->series_id, &x, &ex->in_series, ex->err);
    if (rc != AD_OK) {
        ex->rc = rc;
        return 1;
    }
    if (ad_store_vote_list(ex->st, m->id, collect_vote, ex, NULL) != AD_OK)
        ex->n_votes = 0;
    ad_category chosen = {AD_CAT_NONE, 0};
    if (!selected(ex, m, &chosen)) {
        ex->stats->not_selected++;
        return 0;
    }
    x.media_id = m->id;
    if (m->has_md5)
        x.has |= AD_XHAS_MD5, memcpy(x.md5, m->md5, 16);
    if (m->has_sha1)
        x.has |= AD_XHAS_SHA1, memcpy(x.sha1, m->sha1, 20);
    if (m->has_sha256)
        x.has |= AD_XHAS_SHA256, memcpy(x.sha256, m->sha256, 32);
    if (m->has_pdq)
        x.has |= AD_XHAS_PDQ, x.pdq = m->pdq;
    char pdna[4096];
    if (m->photodna && m->photodna_len > 0 && (size_t)m->photodna_len < sizeof pdna) {
        memcpy(pdna, m->photodna, (size_t)m->photodna_len);
        pdna[m->photodna_len] = '\0';
        x.photodna = pdna;
    }
    x.size = m->size;
    x.mime_type = m->mime;
    x.is_distributed = (m->flags & AD_MEDIA_DISTRIBUTED) ? AD_XTRUE : AD_XUNKNOWN;
    x.offender_identified = (m->flags & AD_MEDIA_OFFENDER_IDENTIFIED) ? AD_XTRUE : AD_XUNKNOWN;
    x.category = ex->file_scheme == ex->opts->scheme && chosen.scheme != AD_CAT_NONE
                     ? chosen
                     : category_in(ex, m->id, ex->file_scheme, 0);
    ex->stats->category_dropped +=
        ex->file_scheme != AD_CAT_NONE && ex->n_votes && x.category.scheme == AD_CAT_NONE;
    ad_err e;
    rc = write_one(ex, &x, &e);
    if (rc == AD_ERR_ARG) { /* refused (e.g. no hash of the list's kind): the file stays valid */
        if (!ex->stats->skipped++)
            snprintf(ex->stats->skip_reason, sizeof ex->stats->skip_reason, "%s", e.msg);
        return 0;
    }
    if (rc) {
        ex->rc = rc;
        if (ex->err)
            *ex->err = e;
        return 1;
    }
    ex->stats->written++;
    return 0;
}

/* Checks the choice; finds the list and series. */
static ad_code choose(ad_store *st, const ad_export_opts *o, int64_t *list_id, int64_t *series_id,
                      ad_err *err)
{
    int chosen = o->list || o->series || o->scheme != AD_CAT_NONE;
    if (o->all && chosen)
        return ad_err_set(err, AD_ERR_ARG,
                          "an export of everything cannot also choose a list, series or scheme");
    if (!o->all && !chosen)
        return ad_err_set(err, AD_ERR_ARG,
                          "choose what to export: a list, a series or the media categorised in a "
                          "scheme (or everything, for a backup between one's own instances)");
    if ((o->n_codes || o->trusted) && o->scheme == AD_CAT_NONE)
        return ad_err_set(err, AD_ERR_ARG, "category codes and 'trusted' need a scheme");
    for (size_t i = 0; i < o->n_codes; i++)
        if (!ad_category_is_valid((ad_category){o->scheme, o->codes[i]}))
            return ad_err_set(err, AD_ERR_ARG, "%d is not a code of scheme %s", o->codes[i],
                              ad_cat_scheme_name(o->scheme));
    ad_code rc = AD_OK;
    if (o->list && (rc = ad_store_list_find(st, o->list, list_id, err)) != AD_OK)
        return rc;
    if (o->series && (rc = ad_store_series_find(st, o->series, 0, series_id, err)) != AD_OK)
        return rc;
    return AD_OK;
}

/* The audit row of an export: what was chosen and what was written. */
static void audit_export(ad_store *st, const ad_export_opts *o, const ad_export_stats *s,
                         ad_err *err)
{
    char object[300], detail[600], codes[200] = "";
    size_t n = 0;
    for (size_t i = 0; i < o->n_codes && n + 16 < sizeof codes; i++)
        n += (size_t)snprintf(codes + n, sizeof codes - n, "%s%d", i ? "," : "", o->codes[i]);
    snprintf(object, sizeof object, "%s%s",
             o->list     ? "list:"
             : o->series ? "series:"
                         : "",
             o->list     ? o->list
             : o->series ? o->series
             : o->all    ? "all"
                         : "scheme");
    snprintf(detail, sizeof detail,
             "format=%s list=%s series=%s scheme=%s%s%s%s all=%d written=%llu skipped=%llu "
             "not_selected=%llu",
             ad_xformat_name(o->format), o->list ? o->list : "", o->series ? o->series : "",
             o->scheme ? ad_cat_scheme_name(o->scheme) : "", n ? " codes=" : "", codes,
             o->trusted ? " trusted" : "", o->all, (unsigned long long)s->written,
             (unsigned long long)s->skipped, (unsigned long long)s->not_selected);
    ad_store_audit(st, "export", object, detail, err);
}

ad_code ad_export(ad_store *st, FILE *out, const ad_export_opts *opts, ad_export_stats *stats,
                  ad_err *err)
{
    ad_export_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    struct exp ex = {.st = st, .opts = opts, .stats = stats, .err = err};
    int64_t list_id = 0, series_id = 0;
    ad_code rc = choose(st, opts, &list_id, &series_id, err);
    if (rc)
        return rc;
    switch (opts->format) {
    case AD_XFMT_VICS: {
        ad_vics_version v = opts->version ? opts->version : AD_VICS_V2_0;
        ad_vics_profile p =
            opts->profile ? opts->profile : (v == AD_VICS_V2_0 ? AD_VICS_DEFAULT : AD_VICS_PNONE);
        ex.file_scheme = ad_vics_profile_scheme(v, p);
        rc = ad_vics_writer_open(&ex.vw, out, v, p, AD_VICS_MEDIA, err);
        break;
    }
    case AD_XFMT_ICSE_CSV:
        ex.file_scheme = AD_CAT_BASELINE;
        rc = ad_icse_writer_open(&ex.iw, out, err);
        break;
    case AD_XFMT_HASHLIST:
        ex.file_scheme = opts->with_category ? opts->scheme : AD_CAT_NONE;
        rc = ad_hashlist_writer_open(&ex.hw, out, opts->hash_set ? opts->hash : AD_XHASH_SHA256,
                                     opts->with_category ? AD_HASHLIST_CATEGORY : 0, ex.file_scheme,
                                     err);
        break;
    default:
        return ad_err_set(err, AD_ERR_ARG, "no export format given");
    }
    if (!rc)
        rc = ad_tseries_out_open(&ex.ts, st, err);
    if (rc) {
        if (ex.vw)
            ad_vics_writer_close(ex.vw, NULL);
        if (ex.iw)
            ad_icse_writer_close(ex.iw, NULL);
        if (ex.hw)
            ad_hashlist_writer_close(ex.hw, NULL);
        return rc;
    }
    /* a list is walked and filtered by series; a series walked; else every media */
    ex.series_id = list_id ? series_id : 0;
    rc = ad_store_media_iter(st, list_id, list_id ? 0 : series_id, one, &ex, err);
    if (!rc)
        rc = ex.rc;
    ad_code rc2 = ex.vw   ? ad_vics_writer_close(ex.vw, rc ? NULL : err)
                  : ex.iw ? ad_icse_writer_close(ex.iw, rc ? NULL : err)
                          : ad_hashlist_writer_close(ex.hw, rc ? NULL : err);
    free(ex.votes);
    ad_tseries_out_close(ex.ts);
    if (!rc)
        rc = rc2;
    if (!rc)
        audit_export(st, opts, stats, NULL);
    return rc;
}
