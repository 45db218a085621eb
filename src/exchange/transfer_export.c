/* transfer_export.c: the store's media (all, one list's or one series') into an exchange file.
 * Each media carries its digests, PDQ, PhotoDNA, size, type, flags, its first series and its
 * trusted category (in the file's scheme when there is one, else mapped by the writer). */
#include <string.h>

#include "ariadne/transfer.h"

struct exp {
    ad_store *st;
    const ad_export_opts *opts;
    ad_export_stats *stats;
    ad_vics_writer *vw;
    ad_icse_writer *iw;
    ad_hashlist_writer *hw;
    ad_cat_scheme want; /* the scheme the file wants, or NONE */
    char series[256];
    ad_code rc;
    ad_err *err;
};

static int first_series(void *ctx, const ad_series *s)
{
    struct exp *ex = ctx;
    snprintf(ex->series, sizeof ex->series, "%s", s->name ? s->name : "");
    return 1;
}

struct votes {
    ad_cat_scheme want;
    ad_category best, any;
};

static int pick_vote(void *ctx, const ad_vote *v)
{
    struct votes *vs = ctx;
    ad_category c;
    if (!ad_category_from_store(v->scheme, v->code, &c))
        return 0;
    if (c.scheme == vs->want)
        vs->best = c; /* votes come oldest first: the latest wins */
    vs->any = c;
    return 0;
}

/* The category of a media: its trusted category (set once enough voters agree) in the wanted
 * scheme, else in any scheme; without one, the latest vote (e.g. what an imported list said),
 * in the wanted scheme first. */
static ad_category category_of(struct exp *ex, int64_t media_id)
{
    static const char *const order[] = {"vics-us", "dhs", "uk", "baseline"};
    ad_category c = {AD_CAT_NONE, 0};
    char code[16];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
            ad_category cand;
            if (ad_store_trusted_category(ex->st, media_id, order[i], code, sizeof code, NULL) ||
                !ad_category_from_store(order[i], code, &cand))
                continue;
            if (pass == 0 && cand.scheme != ex->want)
                continue;
            return cand;
        }
    struct votes vs = {ex->want, c, c};
    ad_store_vote_list(ex->st, media_id, pick_vote, &vs, NULL);
    return vs.best.scheme != AD_CAT_NONE ? vs.best : vs.any;
}

static int one(void *ctx, const ad_media *m)
{
    struct exp *ex = ctx;
    ad_xmedia x;
    ad_xmedia_init(&x);
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
    x.victim_identified = (m->flags & AD_MEDIA_VICTIM_IDENTIFIED) ? AD_XTRUE : AD_XUNKNOWN;
    x.offender_identified = (m->flags & AD_MEDIA_OFFENDER_IDENTIFIED) ? AD_XTRUE : AD_XUNKNOWN;
    x.category = category_of(ex, m->id);
    ex->series[0] = '\0';
    ad_store_media_series(ex->st, m->id, first_series, ex, NULL);
    if (ex->series[0])
        x.series = ex->series;
    ad_err e;
    ad_code rc;
    if (ex->vw)
        rc = ad_vics_writer_add_media(ex->vw, &x, &e);
    else if (ex->iw)
        rc = ad_icse_writer_add_media(ex->iw, &x, &e);
    else
        rc = ad_hashlist_writer_add_media(ex->hw, &x, &e);
    if (rc == AD_ERR_ARG) { /* refused (e.g. no hash of the list's kind): the file stays valid */
        ex->stats->skipped++;
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

ad_code ad_export(ad_store *st, FILE *out, const ad_export_opts *opts, ad_export_stats *stats,
                  ad_err *err)
{
    ad_export_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    struct exp ex = {.st = st, .opts = opts, .stats = stats, .err = err};
    int64_t list_id = 0, series_id = 0;
    ad_code rc = AD_OK;
    if (opts->list && (rc = ad_store_list_find(st, opts->list, &list_id, err)))
        return rc;
    if (opts->series && (rc = ad_store_series_find(st, opts->series, 0, &series_id, err)))
        return rc;
    switch (opts->format) {
    case AD_XFMT_VICS: {
        ad_vics_version v = opts->version ? opts->version : AD_VICS_V2_0;
        ad_vics_profile p = opts->profile ? opts->profile
                                          : (v == AD_VICS_V2_0 ? AD_VICS_DEFAULT : AD_VICS_PNONE);
        ex.want = ad_vics_profile_scheme(v, p);
        rc = ad_vics_writer_open(&ex.vw, out, v, p, AD_VICS_MEDIA, err);
        break;
    }
    case AD_XFMT_ICSE_CSV:
        ex.want = AD_CAT_BASELINE;
        rc = ad_icse_writer_open(&ex.iw, out, err);
        break;
    case AD_XFMT_HASHLIST:
        ex.want = opts->scheme ? opts->scheme : AD_CAT_VIC_US;
        rc = ad_hashlist_writer_open(&ex.hw, out, opts->hash_set ? opts->hash : AD_XHASH_SHA256,
                                     opts->with_category ? AD_HASHLIST_CATEGORY : 0, ex.want, err);
        break;
    default:
        return ad_err_set(err, AD_ERR_ARG, "no export format given");
    }
    if (rc)
        return rc;
    rc = ad_store_media_iter(st, list_id, series_id, one, &ex, err);
    if (!rc)
        rc = ex.rc;
    ad_code rc2 = ex.vw   ? ad_vics_writer_close(ex.vw, rc ? NULL : err)
                  : ex.iw ? ad_icse_writer_close(ex.iw, rc ? NULL : err)
                          : ad_hashlist_writer_close(ex.hw, rc ? NULL : err);
    if (!rc)
        rc = rc2;
    if (!rc)
        ad_store_audit(st, "export", opts->list ? opts->list : "all", ad_xformat_name(opts->format),
                       NULL);
    return rc;
}
