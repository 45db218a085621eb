/* svc_transfer.c: exports to partners as a service (`GET /v1/export`, streamed): what is
 * exported is what the caller chose (a list, a series, or the categorised media of a scheme;
 * everything only with `all`, a backup between one's own instances, for admins), in VICS JSON,
 * ICSE CSV or a hash list. The choice is checked in the caller's request (ad_svc_export_prepare)
 * before anything is sent; the export itself then runs while the answer streams. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc_internal.h"

struct ad_svc_export {
    ad_export_opts o;
    char *list, *series;
    int codes[64];
};

void ad_svc_export_free(ad_svc_export *x)
{
    if (!x)
        return;
    free(x->list);
    free(x->series);
    free(x);
}

const char *ad_svc_export_type(const ad_svc_export *x)
{
    return x->o.format == AD_XFMT_VICS       ? "application/json"
           : x->o.format == AD_XFMT_ICSE_CSV ? "text/csv; charset=utf-8"
                                             : "text/plain; charset=utf-8";
}

ad_code ad_svc_export_prepare(const ad_call *c, const ad_svc_export_query *q, ad_svc_export **out,
                              ad_err *err)
{
    *out = NULL;
    ad_code rc = ad_svc_start(c, AD_ACT_TRANSFER, 0, err);
    if (rc != AD_OK)
        return rc;
    if (q->all && !c->id->local && c->id->role != AD_ROLE_ADMIN)
        return ad_err_field(err, AD_ERR_PERM, "all",
                            "everything is exported by an admin only (a backup between your own "
                            "instances); choose a list, a series or a scheme");
    ad_svc_export *x = calloc(1, sizeof *x);
    if (!x)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    x->o.codes = x->codes;
    x->o.all = q->all;
    x->o.trusted = q->trusted;
    if (!q->format || ad_xformat_parse(q->format, &x->o.format, err) != AD_OK)
        rc = ad_err_field(err, AD_ERR_ARG, "format", "format is vics, icse-csv or hashlist%s%s",
                          q->format ? ", not " : "", q->format ? q->format : "");
    if (rc == AD_OK && q->scheme) {
        if (ad_cat_scheme_parse(q->scheme, &x->o.scheme, err) != AD_OK ||
            x->o.scheme == AD_CAT_NONE || x->o.scheme == AD_CAT_CUSTOM)
            rc = ad_err_field(err, AD_ERR_ARG, "scheme", "scheme is vics-us, dhs, uk or baseline");
        x->o.with_category = 1;
    }
    if (rc == AD_OK && q->category) {
        char *t = strdup(q->category), *save = NULL;
        if (!x->o.scheme)
            rc = ad_err_field(err, AD_ERR_ARG, "category", "category needs a scheme");
        for (char *tok = t ? strtok_r(t, ",", &save) : NULL; rc == AD_OK && tok;
             tok = strtok_r(NULL, ",", &save)) {
            ad_category cat;
            if (x->o.n_codes == 64 || ad_category_parse(tok, x->o.scheme, &cat, err) != AD_OK ||
                cat.scheme != x->o.scheme)
                rc = ad_err_field(err, AD_ERR_ARG, "category", "'%s' is not a code of scheme %s",
                                  tok, ad_cat_scheme_name(x->o.scheme));
            else
                x->codes[x->o.n_codes++] = cat.code;
        }
        free(t);
    }
    if (rc == AD_OK && q->trusted && !x->o.scheme)
        rc = ad_err_field(err, AD_ERR_ARG, "trusted", "trusted needs a scheme");
    if (rc == AD_OK && q->vics_version) {
        static const struct {
            const char *name;
            ad_vics_version v;
        } vs[] = {{"2.0", AD_VICS_V2_0}, {"2", AD_VICS_V2_0}, {"1.3", AD_VICS_V1_3},
                  {"1.2", AD_VICS_V1_2}};
        for (size_t k = 0; k < sizeof vs / sizeof vs[0] && !x->o.version; k++)
            if (!strcmp(q->vics_version, vs[k].name))
                x->o.version = vs[k].v;
        if (!x->o.version)
            rc = ad_err_field(err, AD_ERR_ARG, "vics_version", "vics_version is 1.2, 1.3 or 2.0");
    }
    if (rc == AD_OK && q->profile) {
        if (!strcasecmp(q->profile, "default"))
            x->o.profile = AD_VICS_DEFAULT;
        else if (!strcasecmp(q->profile, "us"))
            x->o.profile = AD_VICS_US;
        else if (!strcasecmp(q->profile, "uk"))
            x->o.profile = AD_VICS_UK;
        else
            rc = ad_err_field(err, AD_ERR_ARG, "profile", "profile is default, us or uk");
        if (rc == AD_OK && x->o.version && x->o.version != AD_VICS_V2_0)
            rc = ad_err_field(err, AD_ERR_ARG, "profile", "profiles exist in VICS 2.0 only");
    }
    if (rc == AD_OK && q->hash) {
        static const char *const kinds[] = {"md5", "sha1", "sha256", "pdq"};
        for (int k = 0; k < 4; k++)
            if (!strcmp(q->hash, kinds[k]))
                x->o.hash = (ad_xhash_kind)k, x->o.hash_set = 1;
        if (!x->o.hash_set)
            rc = ad_err_field(err, AD_ERR_ARG, "hash", "hash is md5, sha1, sha256 or pdq");
    }
    int64_t id;
    if (rc == AD_OK && q->list && (rc = ad_svc_find_list(c, q->list, "list", &id, err)) == AD_OK &&
        !(x->list = strdup(q->list)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc == AD_OK && q->series &&
        (rc = ad_svc_find_series(c, q->series, "series", &id, err)) == AD_OK &&
        !(x->series = strdup(q->series)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    x->o.list = x->list;
    x->o.series = x->series;
    if (rc == AD_OK && q->all && (q->list || q->series || q->scheme))
        rc = ad_err_field(err, AD_ERR_ARG, "all",
                          "all exports everything: it cannot be combined with list, series or "
                          "scheme");
    if (rc == AD_OK && !q->all && !q->list && !q->series && !q->scheme)
        rc = ad_err_field(err, AD_ERR_ARG, "list",
                          "choose what to export: list, series or scheme (with category); all "
                          "exports everything");
    if (rc != AD_OK) {
        ad_svc_export_free(x);
        return rc;
    }
    *out = x;
    return AD_OK;
}

const ad_export_opts *ad_svc_export_opts(const ad_svc_export *x)
{
    return &x->o;
}

ad_code ad_svc_export_write(const ad_call *c, const ad_svc_export *x, FILE *out,
                            ad_export_stats *stats, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_TRANSFER, 0, err);
    return rc == AD_OK ? ad_export(c->st, out, &x->o, stats, err) : rc;
}

ad_code ad_svc_export_run(const ad_call *c, const ad_svc_export *x, FILE *out, ad_err *err)
{
    ad_export_stats stats;
    ad_code rc = ad_svc_export_write(c, x, out, &stats, err);
    if (rc == AD_OK && fflush(out) != 0)
        rc = ad_err_set(err, AD_ERR_IO, "the answer could not be written (the client left?)");
    return rc;
}

/* ---- imports ------------------------------------------------------------------------------ */

struct bads {
    json_t *bad, *notes;
};

static ad_code on_bad(void *ctx, const ad_xbad *b, ad_err *err)
{
    (void)err;
    struct bads *x = ctx;
    if (json_array_size(x->bad) < 100) {
        json_t *o = json_object();
        json_object_set_new(o, "record", json_integer((json_int_t)b->record));
        json_object_set_new(o, "line", json_integer((json_int_t)b->line));
        ad_json_set_text(o, "field", b->field, NULL);
        ad_json_set_text(o, "error", b->message, NULL);
        json_array_append_new(x->bad, o);
    }
    return AD_OK;
}

static ad_code on_note(void *ctx, const char *message, ad_err *err)
{
    (void)err;
    struct bads *x = ctx;
    if (json_array_size(x->notes) < 100)
        json_array_append_new(x->notes, json_string(message));
    return AD_OK;
}

ad_code ad_svc_import_file(const ad_call *c, const ad_svc_import_query *q, FILE *in,
                           ad_import_opts *io, ad_import_stats *stats, ad_err *err)
{
    memset(stats, 0, sizeof *stats);
    ad_code rc = ad_svc_start(c, AD_ACT_TRANSFER, 0, err);
    if (rc != AD_OK)
        return rc;
    if (!q->list || !*q->list)
        return ad_err_field(err, AD_ERR_ARG, "list",
                            "name the list the records join (list=NAME): partners' exports "
                            "choose by it");
    if (q->format && ad_xformat_parse(q->format, &io->format, err) != AD_OK)
        return ad_err_field(err, AD_ERR_ARG, "format", "format is vics, icse-csv or hashlist, not "
                            "'%s'", q->format);
    io->list = q->list;
    io->list_source = q->source;
    io->skip_bad = q->skip_bad;
    io->pdq64 = q->pdq;
    if (!io->source_name)
        io->source_name = q->list;
    return ad_import(c->st, in, io, stats, err);
}

ad_code ad_svc_import(const ad_call *c, const ad_svc_import_query *q, const uint8_t *data,
                      size_t len, json_t **out, ad_err *err)
{
    *out = NULL;
    ad_code rc = ad_svc_start(c, AD_ACT_TRANSFER, 0, err);
    if (rc != AD_OK)
        return rc;
    if (!data || !len)
        return ad_err_set(err, AD_ERR_EMPTY, "nothing to import: send the file as the body");
    struct bads x = {json_array(), json_array()};
    ad_import_opts io = {.bad = on_bad, .bad_ctx = &x, .note = on_note, .note_ctx = &x};
    FILE *f = fmemopen((void *)data, len, "rb");
    if (!f)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_import_stats s;
    memset(&s, 0, sizeof s);
    if (rc == AD_OK)
        rc = ad_svc_import_file(c, q, f, &io, &s, err);
    if (f)
        fclose(f);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc =
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "format",
                      ad_xformat_name(s.info.format), "list", q->list, "records",
                      (json_int_t)s.records, "bad", (json_int_t)s.bad, "new", (json_int_t)s.created,
                      "merged", (json_int_t)s.merged, "votes", (json_int_t)s.votes, "series_links",
                      (json_int_t)s.series_links, "series_created", (json_int_t)s.series_created,
                      "victims_added", (json_int_t)s.victims_added, "victims_identified",
                      (json_int_t)s.victims_identified, "bad_records", x.bad, "notes", x.notes);
    else {
        json_decref(x.bad);
        json_decref(x.notes);
    }
    return ad_svc_done(rc, doc, out);
}
