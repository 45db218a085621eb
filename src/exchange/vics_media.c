/* vics_media.c: one VICS Media object (parsed by json_dom.c) to an ad_xmedia, tolerant of what
 * real files do: booleans as strings or 0/1, numbers as strings, either hex case, Tags/Series as
 * string, list or object, PhotoDNA/SHA256/PDQ directly or in AlternativeHashes, unknown keys. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vics_media.h"
#include "xinternal.h"

void ad_vics_conv_free(ad_vics_conv *conv)
{
    free(conv->files);
    free(conv->meta);
    free(conv->series);
    free(conv->victims);
    conv->files = NULL;
    conv->meta = NULL;
    conv->series = NULL;
    conv->victims = NULL;
    conv->files_cap = conv->meta_cap = conv->series_cap = conv->victims_cap = 0;
}

static ad_code fail(ad_vics_conv *cv, const char *field, ad_err *err, ad_code code,
                    const char *detail)
{
    snprintf(cv->field, sizeof cv->field, "%s", field);
    ad_err_set(err, code, "%s", detail);
    return code;
}

/* The node of member key (-1 when absent or null). */
static long member(const ad_jdom *d, long obj, const char *key)
{
    long v = ad_jdom_get(d, obj, key);
    return v >= 0 && d->nodes[v].type == AD_J_NULL ? -1 : v;
}

/* A string member; numbers and booleans give their text. */
static ad_code get_str(ad_vics_conv *cv, ad_jdom *d, long obj, const char *key, const char **out,
                       ad_err *err)
{
    long v = member(d, obj, key);
    if (v < 0)
        return AD_OK;
    uint8_t t = d->nodes[v].type;
    if (t == AD_J_STR || t == AD_J_NUM || t == AD_J_TRUE || t == AD_J_FALSE) {
        *out = d->nodes[v].s;
        return AD_OK;
    }
    return fail(cv, key, err, AD_ERR_PARSE, "expected a string");
}

/* Tags/Series: a string, a list of strings (joined with ","), or an object with a Name. */
static ad_code get_list(ad_vics_conv *cv, ad_jdom *d, long obj, const char *key, const char **out,
                        ad_err *err)
{
    long v = member(d, obj, key);
    if (v >= 0 && d->nodes[v].type == AD_J_OBJ) { /* {"Name": ...}; anything else: absent */
        long nm = member(d, v, "Name");
        if (nm >= 0 && d->nodes[nm].type == AD_J_STR)
            *out = d->nodes[nm].s;
        return AD_OK;
    }
    if (v < 0 || d->nodes[v].type != AD_J_ARR)
        return get_str(cv, d, obj, key, out, err);
    size_t total = 1;
    for (long e = ad_jdom_first(d, v), i = 0; i < d->nodes[v].n; i++, e = ad_jdom_next(d, e))
        total += d->nodes[e].type == AD_J_STR ? d->nodes[e].n + 1 : 0;
    char *t = ad_jdom_scratch(d, total), *o = t;
    if (!t)
        return fail(cv, key, err, AD_ERR_NOMEM, "no room for a joined list");
    for (long e = ad_jdom_first(d, v), i = 0; i < d->nodes[v].n; i++, e = ad_jdom_next(d, e)) {
        if (d->nodes[e].type != AD_J_STR)
            continue;
        if (o != t)
            *o++ = ',';
        memcpy(o, d->nodes[e].s, d->nodes[e].n);
        o += d->nodes[e].n;
    }
    *o = 0;
    *out = t;
    return AD_OK;
}

static ad_code get_int(ad_vics_conv *cv, ad_jdom *d, long obj, const char *key, int64_t *out,
                       ad_err *err)
{
    long v = member(d, obj, key);
    if (v < 0)
        return AD_OK;
    const ad_jnode *n = &d->nodes[v];
    if (n->type == AD_J_NUM && n->is_int && n->i >= 0) {
        *out = n->i;
        return AD_OK;
    }
    if (n->type == AD_J_NUM && !n->is_int && n->d >= 0 && n->d < 9e18 &&
        n->d == (double)(int64_t)n->d) {
        *out = (int64_t)n->d;
        return AD_OK;
    }
    if (n->type == AD_J_STR) {
        ad_err e;
        if (ad_x_parse_count(n->s, n->n, out, &e) == AD_OK)
            return AD_OK;
        return fail(cv, key, err, AD_ERR_PARSE, e.msg);
    }
    return fail(cv, key, err, AD_ERR_PARSE, "expected a non-negative integer");
}

static ad_code get_flag(ad_vics_conv *cv, ad_jdom *d, long obj, const char *key, int8_t *out,
                        ad_err *err)
{
    long v = member(d, obj, key);
    if (v < 0)
        return AD_OK;
    const ad_jnode *n = &d->nodes[v];
    if (n->type == AD_J_TRUE || n->type == AD_J_FALSE) {
        *out = n->type == AD_J_TRUE ? AD_XTRUE : AD_XFALSE;
        return AD_OK;
    }
    if (n->type == AD_J_NUM && n->is_int && (n->i == 0 || n->i == 1)) {
        *out = (int8_t)n->i;
        return AD_OK;
    }
    if (n->type == AD_J_STR) {
        ad_err e;
        if (ad_x_parse_flag(n->s, n->n, out, &e) == AD_OK)
            return AD_OK;
        return fail(cv, key, err, AD_ERR_PARSE, e.msg);
    }
    return fail(cv, key, err, AD_ERR_PARSE, "expected a boolean");
}

static ad_code set_hash(ad_vics_conv *cv, const ad_jdom *d, ad_xmedia *m, ad_xhash_kind kind,
                        long v, const char *field, ad_err *err)
{
    if (v < 0 || d->nodes[v].type == AD_J_NULL ||
        (d->nodes[v].type == AD_J_STR && d->nodes[v].n == 0))
        return AD_OK;
    if (d->nodes[v].type != AD_J_STR)
        return fail(cv, field, err, AD_ERR_PARSE, "expected a hex string");
    ad_err e;
    if (ad_x_parse_hash(m, kind, d->nodes[v].s, d->nodes[v].n, &e) != AD_OK)
        return fail(cv, field, err, AD_ERR_PARSE, e.msg);
    return AD_OK;
}

static ad_code get_category(ad_vics_conv *cv, ad_jdom *d, long obj, ad_xmedia *m, ad_err *err)
{
    int64_t code = -1;
    ad_code rc = get_int(cv, d, obj, "Category", &code, err);
    if (rc != AD_OK || code < 0)
        return rc;
    ad_category c = {cv->scheme, (int)(code > 1000000 ? 1000000 : code)};
    if (!ad_category_is_valid(c)) {
        char msg[128];
        snprintf(msg, sizeof msg, "%lld is not a code of scheme %s", (long long)code,
                 ad_cat_scheme_name(cv->scheme));
        return fail(cv, "Category", err, AD_ERR_PARSE, msg);
    }
    m->category = c;
    return AD_OK;
}

static ad_code alt_hashes(ad_vics_conv *cv, ad_jdom *d, long obj, ad_xmedia *m, ad_err *err)
{
    long arr = member(d, obj, "AlternativeHashes");
    if (arr < 0 || d->nodes[arr].type != AD_J_ARR)
        return AD_OK;
    long e = ad_jdom_first(d, arr);
    for (uint32_t i = 0; i < d->nodes[arr].n; i++, e = ad_jdom_next(d, e)) {
        long nm = member(d, e, "HashName"), val = member(d, e, "HashValue");
        if (nm < 0 || d->nodes[nm].type != AD_J_STR)
            continue;
        const char *name = d->nodes[nm].s;
        char field[64];
        snprintf(field, sizeof field, "AlternativeHashes[%u].HashValue", i);
        ad_code rc = AD_OK;
        if (strcasecmp(name, "PhotoDNA") == 0 && val >= 0 && d->nodes[val].type == AD_J_STR &&
            !m->photodna)
            m->photodna = d->nodes[val].s;
        else if (strcasecmp(name, "SHA256") == 0 || strcasecmp(name, "SHA-256") == 0)
            rc = set_hash(cv, d, m, AD_XHASH_SHA256, val, field, err);
        else if (strcasecmp(name, "PDQ") == 0)
            rc = set_hash(cv, d, m, AD_XHASH_PDQ, val, field, err);
        else if ((strcasecmp(name, "SHA1") == 0 || strcasecmp(name, "SHA-1") == 0) &&
                 !(m->has & AD_XHAS_SHA1))
            rc = set_hash(cv, d, m, AD_XHASH_SHA1, val, field, err);
        if (rc != AD_OK)
            return rc;
    }
    return AD_OK;
}

static ad_code grow(void **p, size_t *cap, size_t need, size_t elem, ad_vics_conv *cv,
                    const char *field, ad_err *err)
{
    return ad_x_grow(p, cap, need, elem) ? AD_OK : fail(cv, field, err, AD_ERR_NOMEM, "no memory");
}

/* Passes rc through; on error prefixes the field named with "Array[i]." (or "Object." when idx
 * is SIZE_MAX). */
static ad_code sub(ad_vics_conv *cv, ad_code rc, const char *arrname, size_t idx)
{
    if (rc == AD_OK)
        return rc;
    char f[256];
    if (idx == SIZE_MAX)
        snprintf(f, sizeof f, "%s.%s", arrname, cv->field);
    else
        snprintf(f, sizeof f, "%s[%zu].%s", arrname, idx, cv->field);
    size_t n = strlen(f) < sizeof cv->field - 1 ? strlen(f) : sizeof cv->field - 1;
    memcpy(cv->field, f, n);
    cv->field[n] = 0;
    return rc;
}

#define TRY(call)                                                                                  \
    do {                                                                                           \
        ad_code rc_ = (call);                                                                      \
        if (rc_ != AD_OK)                                                                          \
            return rc_;                                                                            \
    } while (0)
#define SUB(call, arrname, idx) TRY(sub(cv, (call), arrname, idx))

static ad_code media_files(ad_vics_conv *cv, ad_jdom *d, long obj, ad_xmedia *m, ad_err *err)
{
    long arr = member(d, obj, "MediaFiles");
    if (arr < 0 || d->nodes[arr].type != AD_J_ARR || d->nodes[arr].n == 0)
        return AD_OK;
    size_t n = d->nodes[arr].n;
    TRY(grow((void **)&cv->files, &cv->files_cap, n, sizeof(ad_xfile), cv, "MediaFiles", err));
    long e = ad_jdom_first(d, arr);
    for (size_t i = 0; i < n; i++, e = ad_jdom_next(d, e)) {
        ad_xfile *f = &cv->files[i];
        ad_xfile_init(f);
        if (d->nodes[e].type != AD_J_OBJ) {
            char fld[48];
            snprintf(fld, sizeof fld, "MediaFiles[%zu]", i);
            return fail(cv, fld, err, AD_ERR_PARSE, "expected an object");
        }
        SUB(get_str(cv, d, e, "FileName", &f->file_name, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "FilePath", &f->file_path, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "SourceID", &f->source_id, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "Created", &f->created, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "Written", &f->written, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "Accessed", &f->accessed, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "ParentMD5", &f->parent_md5, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "ParentFileName", &f->parent_file_name, err), "MediaFiles", i);
        SUB(get_str(cv, d, e, "ParentFilePath", &f->parent_file_path, err), "MediaFiles", i);
        SUB(get_flag(cv, d, e, "Deleted", &f->deleted, err), "MediaFiles", i);
        SUB(get_flag(cv, d, e, "Unallocated", &f->unallocated, err), "MediaFiles", i);
        SUB(get_int(cv, d, e, "PhysicalLocation", &f->physical_location, err), "MediaFiles", i);
        SUB(get_int(cv, d, e, "ParentPhysicalLocation", &f->parent_physical_location, err),
            "MediaFiles", i);
    }
    m->files = cv->files;
    m->n_files = n;
    return AD_OK;
}

static ad_code media_meta(ad_vics_conv *cv, ad_jdom *d, long obj, ad_xmedia *m, ad_err *err)
{
    const char *key = "MediaMetadata";
    long arr = member(d, obj, key);
    if (arr < 0 || d->nodes[arr].type != AD_J_ARR) {
        key = "Exifs";
        arr = member(d, obj, key);
    }
    if (arr < 0 || d->nodes[arr].type != AD_J_ARR || d->nodes[arr].n == 0)
        return AD_OK;
    TRY(grow((void **)&cv->meta, &cv->meta_cap, d->nodes[arr].n, sizeof(ad_xmeta), cv, key, err));
    size_t n = 0;
    long e = ad_jdom_first(d, arr);
    for (size_t i = 0; i < d->nodes[arr].n; i++, e = ad_jdom_next(d, e)) {
        ad_xmeta *x = &cv->meta[n];
        x->name = x->value = NULL;
        if (d->nodes[e].type != AD_J_OBJ)
            continue;
        SUB(get_str(cv, d, e, "PropertyName", &x->name, err), key, i);
        SUB(get_str(cv, d, e, "PropertyValue", &x->value, err), key, i);
        n += x->name != NULL;
    }
    m->meta = cv->meta;
    m->n_meta = n;
    return AD_OK;
}

static ad_code xagency(ad_vics_conv *cv, ad_jdom *d, long obj, const char *key, ad_xagency *a,
                       ad_err *err)
{
    long v = member(d, obj, key);
    memset(a, 0, sizeof *a);
    if (v < 0)
        return AD_OK;
    if (d->nodes[v].type != AD_J_OBJ)
        return fail(cv, key, err, AD_ERR_PARSE, "expected an object");
    TRY(sub(cv, get_str(cv, d, v, "Name", &a->name, err), key, SIZE_MAX));
    TRY(sub(cv, get_str(cv, d, v, "Country", &a->country, err), key, SIZE_MAX));
    TRY(sub(cv, get_str(cv, d, v, "Kind", &a->kind, err), key, SIZE_MAX));
    if (!a->name || !*a->name)
        return fail(cv, key, err, AD_ERR_PARSE, "an agency needs a Name");
    return AD_OK;
}

/* The victims of series object s into cv->victims from index *used on. */
static ad_code xvictims(ad_vics_conv *cv, ad_jdom *d, long s, size_t *used, ad_xseries *x,
                        ad_err *err)
{
    long arr = member(d, s, "Victims");
    if (arr < 0)
        return AD_OK;
    if (d->nodes[arr].type != AD_J_ARR)
        return fail(cv, "Victims", err, AD_ERR_PARSE, "expected an array");
    size_t n = d->nodes[arr].n;
    TRY(grow((void **)&cv->victims, &cv->victims_cap, *used + n, sizeof(ad_xvictim), cv, "Victims",
             err));
    long e = ad_jdom_first(d, arr);
    for (size_t i = 0; i < n; i++, e = ad_jdom_next(d, e)) {
        ad_xvictim *v = &cv->victims[*used + i];
        memset(v, 0, sizeof *v);
        v->identified = AD_XUNKNOWN;
        if (d->nodes[e].type != AD_J_OBJ)
            return fail(cv, "Victims", err, AD_ERR_PARSE, "expected objects");
        SUB(get_str(cv, d, e, "Code", &v->code, err), "Victims", i);
        SUB(get_flag(cv, d, e, "Identified", &v->identified, err), "Victims", i);
        SUB(xagency(cv, d, e, "IdentifiedBy", &v->identified_by, err), "Victims", i);
        SUB(get_str(cv, d, e, "Country", &v->country, err), "Victims", i);
        if (!v->code || !*v->code)
            SUB(fail(cv, "Code", err, AD_ERR_PARSE, "a victim needs a Code"), "Victims", i);
    }
    x->n_victims = n;
    *used += n;
    return AD_OK;
}

ad_code ad_vics_xseries_from_dom(ad_vics_conv *cv, ad_jdom *d, long arr, const char *field,
                                 ad_xmedia *m, ad_err *err)
{
    if (d->nodes[arr].type != AD_J_ARR)
        return fail(cv, field, err, AD_ERR_PARSE, "expected an array of series");
    size_t n = d->nodes[arr].n, used = 0;
    TRY(grow((void **)&cv->series, &cv->series_cap, n, sizeof(ad_xseries), cv, field, err));
    long e = ad_jdom_first(d, arr);
    for (size_t i = 0; i < n; i++, e = ad_jdom_next(d, e)) {
        ad_xseries *x = &cv->series[i];
        memset(x, 0, sizeof *x);
        if (d->nodes[e].type != AD_J_OBJ)
            return fail(cv, field, err, AD_ERR_PARSE, "expected an array of series objects");
        SUB(get_str(cv, d, e, "Name", &x->name, err), field, i);
        SUB(xagency(cv, d, e, "Owner", &x->owner, err), field, i);
        SUB(get_str(cv, d, e, "Contact", &x->contact, err), field, i);
        SUB(get_str(cv, d, e, "Status", &x->status, err), field, i);
        SUB(xvictims(cv, d, e, &used, x, err), field, i);
        if (!x->name || !*x->name)
            SUB(fail(cv, "Name", err, AD_ERR_PARSE, "a series needs a Name"), field, i);
    }
    /* victims were stored one series after another; point each series at its own */
    for (size_t i = 0, k = 0; i < n; k += cv->series[i].n_victims, i++)
        cv->series[i].victims = cv->series[i].n_victims ? &cv->victims[k] : NULL;
    m->xseries = n ? cv->series : NULL;
    m->n_xseries = n;
    return AD_OK;
}

ad_code ad_vics_media_from_dom(ad_vics_conv *cv, ad_jdom *d, long obj, ad_xmedia *m, ad_err *err)
{
    ad_xmedia_init(m);
    cv->field[0] = 0;
    if (d->nodes[obj].type != AD_J_OBJ)
        return fail(cv, "(record)", err, AD_ERR_PARSE, "expected an object");
    TRY(get_int(cv, d, obj, "MediaID", &m->media_id, err));
    TRY(get_category(cv, d, obj, m, err));
    TRY(set_hash(cv, d, m, AD_XHASH_MD5, member(d, obj, "MD5"), "MD5", err));
    TRY(set_hash(cv, d, m, AD_XHASH_SHA1, member(d, obj, "SHA1"), "SHA1", err));
    TRY(set_hash(cv, d, m, AD_XHASH_SHA256, member(d, obj, "SHA256"), "SHA256", err));
    TRY(set_hash(cv, d, m, AD_XHASH_PDQ, member(d, obj, "PDQ"), "PDQ", err));
    TRY(get_str(cv, d, obj, "PhotoDNA", &m->photodna, err));
    TRY(alt_hashes(cv, d, obj, m, err));
    TRY(get_int(cv, d, obj, "MediaSize", &m->size, err));
    TRY(get_str(cv, d, obj, "DateUpdated", &m->date_updated, err));
    TRY(get_flag(cv, d, obj, "VictimIdentified", &m->victim_identified, err));
    TRY(get_flag(cv, d, obj, "OffenderIdentified", &m->offender_identified, err));
    TRY(get_flag(cv, d, obj, "IsDistributed", &m->is_distributed, err));
    TRY(get_flag(cv, d, obj, "IsPrecategorized", &m->is_precategorized, err));
    TRY(get_str(cv, d, obj, "PrecategorizationSource", &m->precategorization_source, err));
    TRY(get_flag(cv, d, obj, "IsSuspected", &m->is_suspected, err));
    TRY(get_flag(cv, d, obj, "SelfGenerated", &m->self_generated, err));
    TRY(get_list(cv, d, obj, "Series", &m->series, err));
    TRY(get_list(cv, d, obj, "Tags", &m->tags, err));
    TRY(get_str(cv, d, obj, "Comments", &m->comments, err));
    TRY(get_str(cv, d, obj, "RelativeFilePath", &m->relative_path, err));
    TRY(get_str(cv, d, obj, "MimeType", &m->mime_type, err));
    TRY(get_str(cv, d, obj, "Name", &m->name, err));
    if (!m->name)
        TRY(get_str(cv, d, obj, "FileName", &m->name, err));
    TRY(media_files(cv, d, obj, m, err));
    TRY(media_meta(cv, d, obj, m, err));
    long xs = member(d, obj, "@Ariadne.Series");
    if (xs >= 0)
        TRY(ad_vics_xseries_from_dom(cv, d, xs, "@Ariadne.Series", m, err));
    if (!m->has && !m->photodna)
        return fail(cv, "MD5", err, AD_ERR_PARSE,
                    "no hash (MD5, SHA1, SHA256, PDQ or PhotoDNA) in the record");
    return AD_OK;
}

ad_code ad_vics_case_from_dom(ad_vics_conv *cv, ad_jdom *d, long obj, ad_xcase *c, ad_err *err)
{
    uint64_t counted = c->media_count;
    ad_xcase_init(c);
    c->media_count = counted;
    TRY(get_str(cv, d, obj, "CaseID", &c->case_id, err));
    TRY(get_str(cv, d, obj, "CaseNumber", &c->case_number, err));
    TRY(get_str(cv, d, obj, "ContactName", &c->contact_name, err));
    TRY(get_str(cv, d, obj, "ContactTitle", &c->contact_title, err));
    TRY(get_str(cv, d, obj, "ContactOrganization", &c->contact_organization, err));
    TRY(get_str(cv, d, obj, "ContactPhone", &c->contact_phone, err));
    TRY(get_str(cv, d, obj, "ContactEmail", &c->contact_email, err));
    TRY(get_str(cv, d, obj, "SourceApplicationName", &c->source_app_name, err));
    TRY(get_str(cv, d, obj, "SourceApplicationVersion", &c->source_app_version, err));
    /* declared totals are informative only: a bad one is dropped, not an error */
    ad_err ignored;
    if (get_int(cv, d, obj, "TotalMediaFiles", &c->total_media_files, &ignored) != AD_OK)
        c->total_media_files = -1;
    if (get_int(cv, d, obj, "TotalPrecategorized", &c->total_precategorized, &ignored) != AD_OK)
        c->total_precategorized = -1;
    return AD_OK;
}
