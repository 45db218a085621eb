/* vics_media.c: one VICS Media object (as jansson parsed it) to an ad_xmedia, tolerant of what
 * real files do: booleans as strings or 0/1, numbers as strings, either hex case, Tags/Series as
 * string, list or object, PhotoDNA/SHA256/PDQ directly or in AlternativeHashes, unknown keys. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vics_media.h"
#include "xinternal.h"

void ad_vics_conv_free(ad_vics_conv *conv)
{
    free(conv->files);
    free(conv->meta);
    conv->files = NULL;
    conv->meta = NULL;
    conv->files_cap = conv->meta_cap = 0;
}

static ad_code fail(ad_vics_conv *cv, const char *field, ad_err *err, ad_code code,
                    const char *detail)
{
    snprintf(cv->field, sizeof cv->field, "%s", field);
    if (detail)
        ad_err_set(err, code, "%s", detail);
    return code;
}

/* A string member; numbers are turned into their text (stored back into obj). */
static ad_code get_str(ad_vics_conv *cv, json_t *obj, const char *key, const char **out,
                       ad_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return AD_OK;
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return AD_OK;
    }
    if (json_is_number(v) || json_is_boolean(v)) {
        char *t = json_dumps(v, JSON_ENCODE_ANY);
        if (!t)
            return fail(cv, key, err, AD_ERR_NOMEM, "no memory");
        json_object_set_new(obj, key, json_string(t));
        free(t);
        *out = json_string_value(json_object_get(obj, key));
        return AD_OK;
    }
    return fail(cv, key, err, AD_ERR_PARSE, "expected a string");
}

/* Tags/Series: a string, a list of strings (joined with ","), or an object with a Name. */
static ad_code get_list(ad_vics_conv *cv, json_t *obj, const char *key, const char **out,
                        ad_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_object(v)) {
        json_t *n = json_object_get(v, "Name");
        if (!json_is_string(n))
            return AD_OK;
        json_object_set(obj, key, n);
    } else if (json_is_array(v)) {
        size_t total = 1, i;
        json_t *e;
        json_array_foreach(v, i, e) total += json_is_string(e) ? json_string_length(e) + 1 : 0;
        char *t = malloc(total);
        if (!t)
            return fail(cv, key, err, AD_ERR_NOMEM, "no memory");
        size_t n = 0;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                continue;
            if (n)
                t[n++] = ',';
            memcpy(t + n, json_string_value(e), json_string_length(e));
            n += json_string_length(e);
        }
        t[n] = 0;
        json_object_set_new(obj, key, json_stringn(t, n));
        free(t);
    }
    return get_str(cv, obj, key, out, err);
}

static ad_code get_int(ad_vics_conv *cv, json_t *obj, const char *key, int64_t *out, ad_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return AD_OK;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return AD_OK;
    }
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9e18 &&
        json_real_value(v) == (double)(int64_t)json_real_value(v)) {
        *out = (int64_t)json_real_value(v);
        return AD_OK;
    }
    if (json_is_string(v)) {
        ad_err e;
        if (ad_x_parse_count(json_string_value(v), json_string_length(v), out, &e) == AD_OK)
            return AD_OK;
        return fail(cv, key, err, AD_ERR_PARSE, e.msg);
    }
    return fail(cv, key, err, AD_ERR_PARSE, "expected a non-negative integer");
}

static ad_code get_flag(ad_vics_conv *cv, json_t *obj, const char *key, int8_t *out, ad_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return AD_OK;
    if (json_is_boolean(v)) {
        *out = json_is_true(v) ? AD_XTRUE : AD_XFALSE;
        return AD_OK;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = (int8_t)json_integer_value(v);
        return AD_OK;
    }
    if (json_is_string(v)) {
        ad_err e;
        if (ad_x_parse_flag(json_string_value(v), json_string_length(v), out, &e) == AD_OK)
            return AD_OK;
        return fail(cv, key, err, AD_ERR_PARSE, e.msg);
    }
    return fail(cv, key, err, AD_ERR_PARSE, "expected a boolean");
}

static ad_code set_hash(ad_vics_conv *cv, ad_xmedia *m, ad_xhash_kind kind, json_t *v,
                        const char *field, ad_err *err)
{
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return AD_OK;
    if (!json_is_string(v))
        return fail(cv, field, err, AD_ERR_PARSE, "expected a hex string");
    ad_err e;
    if (ad_x_parse_hash(m, kind, json_string_value(v), json_string_length(v), &e) != AD_OK)
        return fail(cv, field, err, AD_ERR_PARSE, e.msg);
    return AD_OK;
}

static ad_code get_category(ad_vics_conv *cv, json_t *obj, ad_xmedia *m, ad_err *err)
{
    int64_t code = -1;
    ad_code rc = get_int(cv, obj, "Category", &code, err);
    if (rc != AD_OK || code < 0)
        return rc;
    ad_category c = {cv->scheme, (int)(code > 1000000 ? 1000000 : code)};
    if (!ad_category_valid(c)) {
        char msg[128];
        snprintf(msg, sizeof msg, "%lld is not a code of scheme %s", (long long)code,
                 ad_cat_scheme_name(cv->scheme));
        return fail(cv, "Category", err, AD_ERR_PARSE, msg);
    }
    m->category = c;
    return AD_OK;
}

static ad_code alt_hashes(ad_vics_conv *cv, json_t *obj, ad_xmedia *m, ad_err *err)
{
    json_t *arr = json_object_get(obj, "AlternativeHashes"), *e;
    size_t i;
    if (!json_is_array(arr))
        return AD_OK;
    json_array_foreach(arr, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "HashName"));
        json_t *val = json_object_get(e, "HashValue");
        char field[64];
        snprintf(field, sizeof field, "AlternativeHashes[%zu].HashValue", i);
        if (!name)
            continue;
        ad_code rc = AD_OK;
        if (strcasecmp(name, "PhotoDNA") == 0 && json_is_string(val) && !m->photodna)
            m->photodna = json_string_value(val);
        else if (strcasecmp(name, "SHA256") == 0 || strcasecmp(name, "SHA-256") == 0)
            rc = set_hash(cv, m, AD_XHASH_SHA256, val, field, err);
        else if (strcasecmp(name, "PDQ") == 0)
            rc = set_hash(cv, m, AD_XHASH_PDQ, val, field, err);
        else if ((strcasecmp(name, "SHA1") == 0 || strcasecmp(name, "SHA-1") == 0) &&
                 !(m->has & AD_XHAS_SHA1))
            rc = set_hash(cv, m, AD_XHASH_SHA1, val, field, err);
        if (rc != AD_OK)
            return rc;
    }
    return AD_OK;
}

static ad_code grow(void **p, size_t *cap, size_t need, size_t elem, ad_vics_conv *cv,
                    const char *field, ad_err *err)
{
    if (need <= *cap)
        return AD_OK;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return fail(cv, field, err, AD_ERR_NOMEM, "no memory");
    *p = q;
    *cap = n;
    return AD_OK;
}

/* Passes rc through; on error prefixes the field named with "Array[i].". */
static ad_code sub(ad_vics_conv *cv, ad_code rc, const char *arrname, size_t idx)
{
    if (rc == AD_OK)
        return rc;
    char f[256];
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

static ad_code media_files(ad_vics_conv *cv, json_t *obj, ad_xmedia *m, ad_err *err)
{
    json_t *arr = json_object_get(obj, "MediaFiles"), *e;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return AD_OK;
    if (grow((void **)&cv->files, &cv->files_cap, json_array_size(arr), sizeof(ad_xfile), cv,
             "MediaFiles", err) != AD_OK)
        return AD_ERR_NOMEM;
    json_array_foreach(arr, i, e)
    {
        ad_xfile *f = &cv->files[i];
        ad_xfile_init(f);
        if (!json_is_object(e)) {
            char fld[48];
            snprintf(fld, sizeof fld, "MediaFiles[%zu]", i);
            return fail(cv, fld, err, AD_ERR_PARSE, "expected an object");
        }
        SUB(get_str(cv, e, "FileName", &f->file_name, err), "MediaFiles", i);
        SUB(get_str(cv, e, "FilePath", &f->file_path, err), "MediaFiles", i);
        SUB(get_str(cv, e, "SourceID", &f->source_id, err), "MediaFiles", i);
        SUB(get_str(cv, e, "Created", &f->created, err), "MediaFiles", i);
        SUB(get_str(cv, e, "Written", &f->written, err), "MediaFiles", i);
        SUB(get_str(cv, e, "Accessed", &f->accessed, err), "MediaFiles", i);
        SUB(get_str(cv, e, "ParentMD5", &f->parent_md5, err), "MediaFiles", i);
        SUB(get_str(cv, e, "ParentFileName", &f->parent_file_name, err), "MediaFiles", i);
        SUB(get_str(cv, e, "ParentFilePath", &f->parent_file_path, err), "MediaFiles", i);
        SUB(get_flag(cv, e, "Deleted", &f->deleted, err), "MediaFiles", i);
        SUB(get_flag(cv, e, "Unallocated", &f->unallocated, err), "MediaFiles", i);
        SUB(get_int(cv, e, "PhysicalLocation", &f->physical_location, err), "MediaFiles", i);
        SUB(get_int(cv, e, "ParentPhysicalLocation", &f->parent_physical_location, err),
            "MediaFiles", i);
    }
    m->files = cv->files;
    m->n_files = json_array_size(arr);
    return AD_OK;
}

static ad_code media_meta(ad_vics_conv *cv, json_t *obj, ad_xmedia *m, ad_err *err)
{
    const char *key = "MediaMetadata";
    json_t *arr = json_object_get(obj, key), *e;
    if (!json_is_array(arr)) {
        key = "Exifs";
        arr = json_object_get(obj, key);
    }
    size_t i, n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return AD_OK;
    if (grow((void **)&cv->meta, &cv->meta_cap, json_array_size(arr), sizeof(ad_xmeta), cv, key,
             err) != AD_OK)
        return AD_ERR_NOMEM;
    json_array_foreach(arr, i, e)
    {
        ad_xmeta *x = &cv->meta[n];
        x->name = x->value = NULL;
        if (!json_is_object(e))
            continue;
        SUB(get_str(cv, e, "PropertyName", &x->name, err), key, i);
        SUB(get_str(cv, e, "PropertyValue", &x->value, err), key, i);
        if (x->name)
            n++;
    }
    m->meta = cv->meta;
    m->n_meta = n;
    return AD_OK;
}

ad_code ad_vics_media_from_json(ad_vics_conv *cv, json_t *obj, ad_xmedia *m, ad_err *err)
{
    ad_xmedia_init(m);
    cv->field[0] = 0;
    if (!json_is_object(obj))
        return fail(cv, "(record)", err, AD_ERR_PARSE, "expected an object");
    TRY(get_int(cv, obj, "MediaID", &m->media_id, err));
    TRY(get_category(cv, obj, m, err));
    TRY(set_hash(cv, m, AD_XHASH_MD5, json_object_get(obj, "MD5"), "MD5", err));
    TRY(set_hash(cv, m, AD_XHASH_SHA1, json_object_get(obj, "SHA1"), "SHA1", err));
    TRY(set_hash(cv, m, AD_XHASH_SHA256, json_object_get(obj, "SHA256"), "SHA256", err));
    TRY(set_hash(cv, m, AD_XHASH_PDQ, json_object_get(obj, "PDQ"), "PDQ", err));
    TRY(get_str(cv, obj, "PhotoDNA", &m->photodna, err));
    TRY(alt_hashes(cv, obj, m, err));
    TRY(get_int(cv, obj, "MediaSize", &m->size, err));
    TRY(get_str(cv, obj, "DateUpdated", &m->date_updated, err));
    TRY(get_flag(cv, obj, "VictimIdentified", &m->victim_identified, err));
    TRY(get_flag(cv, obj, "OffenderIdentified", &m->offender_identified, err));
    TRY(get_flag(cv, obj, "IsDistributed", &m->is_distributed, err));
    TRY(get_flag(cv, obj, "IsPrecategorized", &m->is_precategorized, err));
    TRY(get_str(cv, obj, "PrecategorizationSource", &m->precategorization_source, err));
    TRY(get_flag(cv, obj, "IsSuspected", &m->is_suspected, err));
    TRY(get_flag(cv, obj, "SelfGenerated", &m->self_generated, err));
    TRY(get_list(cv, obj, "Series", &m->series, err));
    TRY(get_list(cv, obj, "Tags", &m->tags, err));
    TRY(get_str(cv, obj, "Comments", &m->comments, err));
    TRY(get_str(cv, obj, "RelativeFilePath", &m->relative_path, err));
    TRY(get_str(cv, obj, "MimeType", &m->mime_type, err));
    TRY(get_str(cv, obj, "Name", &m->name, err));
    if (!m->name)
        TRY(get_str(cv, obj, "FileName", &m->name, err));
    TRY(media_files(cv, obj, m, err));
    TRY(media_meta(cv, obj, m, err));
    return AD_OK;
}

ad_code ad_vics_case_from_json(ad_vics_conv *cv, json_t *obj, ad_xcase *c, ad_err *err)
{
    uint64_t counted = c->media_count;
    ad_xcase_init(c);
    c->media_count = counted;
    TRY(get_str(cv, obj, "CaseID", &c->case_id, err));
    TRY(get_str(cv, obj, "CaseNumber", &c->case_number, err));
    TRY(get_str(cv, obj, "ContactName", &c->contact_name, err));
    TRY(get_str(cv, obj, "ContactTitle", &c->contact_title, err));
    TRY(get_str(cv, obj, "ContactOrganization", &c->contact_organization, err));
    TRY(get_str(cv, obj, "ContactPhone", &c->contact_phone, err));
    TRY(get_str(cv, obj, "ContactEmail", &c->contact_email, err));
    TRY(get_str(cv, obj, "SourceApplicationName", &c->source_app_name, err));
    TRY(get_str(cv, obj, "SourceApplicationVersion", &c->source_app_version, err));
    /* declared totals are informative only: a bad one is dropped, not an error */
    ad_err ignored;
    if (get_int(cv, obj, "TotalMediaFiles", &c->total_media_files, &ignored) != AD_OK)
        c->total_media_files = -1;
    if (get_int(cv, obj, "TotalPrecategorized", &c->total_precategorized, &ignored) != AD_OK)
        c->total_precategorized = -1;
    return AD_OK;
}
