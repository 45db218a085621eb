/* vics_write.c: the strict VICS writer. Valid JSON, the field names and casing of the VICS data
 * model (docs/formats.md), lower-case hex, one fixed field order, one Media record per line,
 * categories mapped into the profile's scheme or refused; Ariadne's own series fields last, as
 * "@Ariadne.Series". */
#include <stdlib.h>
#include <string.h>

#include "xinternal.h"

struct ad_vics_writer {
    ad_jw jw;
    ad_vics_version version;
    ad_vics_profile profile;
    ad_vics_form form;
    ad_cat_scheme scheme;
    int in_case;
    uint64_t case_media, case_precat, next_id;
};

static const char *const version_tags[] = {
    [AD_VICS_V1_1] = "1.1", [AD_VICS_V1_2] = "1.2", [AD_VICS_V1_3] = "1.3", [AD_VICS_V2_0] = "2.0"};
static const char *const profile_names[] = {[AD_VICS_DEFAULT] = "Default",
                                            [AD_VICS_US] = "US",
                                            [AD_VICS_UK] = "UK",
                                            [AD_VICS_CUSTOM] = "CUSTOM"};

ad_code ad_vics_writer_open(ad_vics_writer **out, FILE *f, ad_vics_version v, ad_vics_profile p,
                            ad_vics_form form, ad_err *err)
{
    *out = NULL;
    if (v < AD_VICS_V1_1 || v > AD_VICS_V2_0 || (form != AD_VICS_CASES && form != AD_VICS_MEDIA))
        return ad_err_set(err, AD_ERR_ARG, "VICS writer: unknown version or form");
    if ((v == AD_VICS_V2_0) != (p >= AD_VICS_DEFAULT && p <= AD_VICS_CUSTOM))
        return ad_err_set(err, AD_ERR_ARG,
                          "VICS writer: version 2.0 takes a profile (Default, US, UK, CUSTOM), "
                          "1.x none");
    ad_vics_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ad_err_set(err, AD_ERR_NOMEM, "no memory");
    w->jw.f = f;
    w->version = v;
    w->profile = p;
    w->form = form;
    w->scheme = ad_vics_profile_scheme(v, p);
    w->next_id = 1;
    const char *frag = form == AD_VICS_CASES ? "Cases" : "Media";
    char url[160];
    if (v == AD_VICS_V2_0)
        snprintf(url, sizeof url,
                 "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/%s/$metadata#%s",
                 profile_names[p], frag);
    else
        snprintf(url, sizeof url, "http://github.com/ICMEC/ProjectVic/DataModels/%s.xml#%s",
                 version_tags[v], frag);
    ad_jw_open(&w->jw, '{');
    ad_jw_str(&w->jw, v == AD_VICS_V2_0 ? "@odata.context" : "odata.metadata", url);
    ad_jw_key(&w->jw, "value");
    ad_jw_open(&w->jw, '[');
    *out = w;
    return AD_OK;
}

static void newline(ad_vics_writer *w)
{
    if (w->jw.need_comma)
        putc(',', w->jw.f);
    w->jw.need_comma = 0;
    putc('\n', w->jw.f);
}

ad_code ad_vics_writer_begin_case(ad_vics_writer *w, const ad_xcase *c, ad_err *err)
{
    if (w->form != AD_VICS_CASES || w->in_case || !c)
        return ad_err_set(err, AD_ERR_ARG,
                          "VICS writer: begin_case outside a case-form file "
                          "or inside an open case");
    const char *cs[] = {c->case_id,       c->case_number,          c->contact_name,
                        c->contact_title, c->contact_organization, c->contact_phone,
                        c->contact_email, c->source_app_name,      c->source_app_version};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        if (!ad_x_utf8_valid(cs[i]))
            return ad_err_set(err, AD_ERR_ARG, "VICS writer: a case field is not valid UTF-8");
    ad_jw *j = &w->jw;
    newline(w);
    ad_jw_open(j, '{');
    ad_jw_str(j, "CaseID", c->case_id);
    ad_jw_str(j, "CaseNumber", c->case_number);
    ad_jw_str(j, "ContactName", c->contact_name);
    ad_jw_str(j, "ContactTitle", c->contact_title);
    ad_jw_str(j, "ContactOrganization", c->contact_organization);
    ad_jw_str(j, "ContactPhone", c->contact_phone);
    ad_jw_str(j, "ContactEmail", c->contact_email);
    ad_jw_str(j, "SourceApplicationName", c->source_app_name);
    ad_jw_str(j, "SourceApplicationVersion", c->source_app_version);
    ad_jw_key(j, "Media");
    ad_jw_open(j, '[');
    w->in_case = 1;
    w->case_media = w->case_precat = 0;
    return AD_OK;
}

ad_code ad_vics_writer_end_case(ad_vics_writer *w, ad_err *err)
{
    if (!w->in_case)
        return ad_err_set(err, AD_ERR_ARG, "VICS writer: end_case without begin_case");
    ad_jw_close(&w->jw, ']');
    ad_jw_int(&w->jw, "TotalMediaFiles", (int64_t)w->case_media);
    ad_jw_int(&w->jw, "TotalPrecategorized", (int64_t)w->case_precat);
    ad_jw_close(&w->jw, '}');
    w->in_case = 0;
    return AD_OK;
}

static void alt_hash(ad_vics_writer *w, const char *md5, const char *name, const char *value)
{
    ad_jw_open(&w->jw, '{');
    ad_jw_str(&w->jw, "MD5", md5);
    ad_jw_str(&w->jw, "HashName", name);
    ad_jw_str(&w->jw, "HashValue", value);
    ad_jw_close(&w->jw, '}');
}

static void write_files(ad_jw *j, const ad_xmedia *m, const char *md5)
{
    if (!m->n_files)
        return;
    ad_jw_key(j, "MediaFiles");
    ad_jw_open(j, '[');
    for (size_t i = 0; i < m->n_files; i++) {
        const ad_xfile *f = &m->files[i];
        ad_jw_open(j, '{');
        ad_jw_str(j, "MD5", md5);
        ad_jw_str(j, "FileName", f->file_name);
        ad_jw_str(j, "FilePath", f->file_path);
        ad_jw_str(j, "Created", f->created);
        ad_jw_str(j, "Written", f->written);
        ad_jw_str(j, "Accessed", f->accessed);
        ad_jw_flag(j, "Unallocated", f->unallocated);
        ad_jw_flag(j, "Deleted", f->deleted);
        ad_jw_str(j, "SourceID", f->source_id);
        ad_jw_count(j, "PhysicalLocation", f->physical_location);
        ad_jw_str(j, "ParentMD5", f->parent_md5);
        ad_jw_str(j, "ParentFileName", f->parent_file_name);
        ad_jw_str(j, "ParentFilePath", f->parent_file_path);
        ad_jw_count(j, "ParentPhysicalLocation", f->parent_physical_location);
        ad_jw_close(j, '}');
    }
    ad_jw_close(j, ']');
}

static void write_meta(ad_jw *j, const ad_xmedia *m, const char *md5, int v1)
{
    if (!m->n_meta)
        return;
    ad_jw_key(j, v1 ? "Exifs" : "MediaMetadata");
    ad_jw_open(j, '[');
    for (size_t i = 0; i < m->n_meta; i++) {
        ad_jw_open(j, '{');
        if (v1)
            ad_jw_str(j, "MD5", md5);
        ad_jw_str(j, "PropertyName", m->meta[i].name);
        ad_jw_str(j, "PropertyValue", m->meta[i].value);
        ad_jw_close(j, '}');
    }
    ad_jw_close(j, ']');
}

/* The name of the first string of m that is not valid UTF-8, or NULL: checked before anything
 * is written, so that a refused record leaves the file valid. */
static const char *bad_string(const ad_xmedia *m)
{
    const struct {
        const char *name, *s;
    } f[] = {{"PhotoDNA", m->photodna},
             {"PrecategorizationSource", m->precategorization_source},
             {"Series", m->series},
             {"Tags", m->tags},
             {"Comments", m->comments},
             {"Name", m->name},
             {"RelativeFilePath", m->relative_path},
             {"MimeType", m->mime_type},
             {"DateUpdated", m->date_updated}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!ad_x_utf8_valid(f[i].s))
            return f[i].name;
    for (size_t i = 0; i < m->n_files; i++) {
        const ad_xfile *x = &m->files[i];
        const char *s[] = {x->file_name,  x->file_path,        x->source_id,
                           x->created,    x->written,          x->accessed,
                           x->parent_md5, x->parent_file_name, x->parent_file_path};
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            if (!ad_x_utf8_valid(s[k]))
                return "MediaFiles";
    }
    for (size_t i = 0; i < m->n_meta; i++)
        if (!ad_x_utf8_valid(m->meta[i].name) || !ad_x_utf8_valid(m->meta[i].value))
            return "MediaMetadata";
    return NULL;
}

ad_code ad_vics_writer_add_media(ad_vics_writer *w, const ad_xmedia *m, ad_err *err)
{
    const char *bad = bad_string(m);
    if (bad)
        return ad_err_set(err, AD_ERR_ARG, "VICS writer: MediaID %lld: %s is not valid UTF-8",
                          (long long)m->media_id, bad);
    if ((bad = ad_x_xseries_invalid(m)) != NULL)
        return ad_err_set(err, AD_ERR_ARG, "VICS writer: MediaID %lld: @Ariadne.Series: %s",
                          (long long)m->media_id, bad);
    if (w->form == AD_VICS_CASES && !w->in_case)
        return ad_err_set(err, AD_ERR_ARG, "VICS writer: Media of a case-form file go in a case");
    if (!(m->has & (AD_XHAS_MD5 | AD_XHAS_SHA1 | AD_XHAS_SHA256 | AD_XHAS_PDQ)) && !m->photodna)
        return ad_err_set(err, AD_ERR_ARG, "VICS writer: a Media record needs a hash");
    ad_category cat = {AD_CAT_NONE, 0};
    if (m->category.scheme != AD_CAT_NONE &&
        ad_category_map(m->category, w->scheme, &cat, err) != AD_OK)
        return ad_err_set(err, AD_ERR_ARG,
                          "VICS writer: category %s:%d cannot be written in a "
                          "file of scheme %s (no mapping)",
                          ad_cat_scheme_name(m->category.scheme), m->category.code,
                          ad_cat_scheme_name(w->scheme));
    int v1 = w->version != AD_VICS_V2_0;
    char md5[65], sha1[65], sha256[65], pdq[65];
    const char *md5s = ad_x_hash_hex(m, AD_XHASH_MD5, md5);
    ad_jw *j = &w->jw;
    newline(w);
    ad_jw_open(j, '{');
    ad_jw_int(j, "MediaID", m->media_id >= 0 ? m->media_id : (int64_t)w->next_id);
    w->next_id++;
    if (cat.scheme != AD_CAT_NONE)
        ad_jw_int(j, "Category", cat.code);
    ad_jw_str(j, "MD5", md5s);
    ad_jw_str(j, "SHA1", ad_x_hash_hex(m, AD_XHASH_SHA1, sha1));
    if (!v1)
        ad_jw_str(j, "PhotoDNA", m->photodna);
    ad_jw_count(j, "MediaSize", m->size);
    ad_jw_str(j, "DateUpdated", m->date_updated);
    ad_jw_flag(j, "VictimIdentified", m->victim_identified);
    ad_jw_flag(j, "OffenderIdentified", m->offender_identified);
    ad_jw_flag(j, "IsDistributed", m->is_distributed);
    ad_jw_flag(j, "IsPrecategorized", m->is_precategorized);
    ad_jw_str(j, "PrecategorizationSource", m->precategorization_source);
    ad_jw_flag(j, "IsSuspected", m->is_suspected);
    ad_jw_flag(j, "SelfGenerated", m->self_generated);
    ad_jw_str(j, "Series", m->series);
    ad_jw_str(j, "Tags", m->tags);
    ad_jw_str(j, "Comments", m->comments);
    if (w->version == AD_VICS_V1_1 || w->version == AD_VICS_V1_2)
        ad_jw_str(j, "Name", m->name);
    ad_jw_str(j, "MimeType", m->mime_type);
    ad_jw_str(j, "RelativeFilePath", m->relative_path);
    const char *s256 = ad_x_hash_hex(m, AD_XHASH_SHA256, sha256);
    const char *spdq = ad_x_hash_hex(m, AD_XHASH_PDQ, pdq);
    if (s256 || spdq || (v1 && m->photodna)) {
        ad_jw_key(j, "AlternativeHashes");
        ad_jw_open(j, '[');
        if (v1 && m->photodna)
            alt_hash(w, md5s, "PhotoDNA", m->photodna);
        if (s256)
            alt_hash(w, md5s, "SHA256", s256);
        if (spdq)
            alt_hash(w, md5s, "PDQ", spdq);
        ad_jw_close(j, ']');
    }
    write_files(j, m, md5s);
    write_meta(j, m, md5s, v1);
    if (m->n_xseries) { /* Ariadne's own; an OData instance annotation other readers ignore */
        ad_jw_key(j, "@Ariadne.Series");
        ad_x_write_xseries(j, m);
    }
    ad_jw_close(j, '}');
    w->case_media++;
    w->case_precat += m->is_precategorized == AD_XTRUE;
    return AD_OK;
}

ad_code ad_vics_writer_close(ad_vics_writer *w, ad_err *err)
{
    if (!w)
        return AD_OK;
    if (w->in_case)
        ad_vics_writer_end_case(w, NULL);
    fputs("\n]}\n", w->jw.f);
    ad_code rc = ad_x_flush(w->jw.f, "VICS", err);
    if (rc == AD_OK && w->jw.bad_utf8)
        rc = ad_err_set(err, AD_ERR_ARG, "VICS writer: a string was not valid UTF-8");
    free(w);
    return rc;
}
