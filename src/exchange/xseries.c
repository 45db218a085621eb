/* xseries.c: Ariadne's own series fields as JSON, written the same way into VICS records
 * ("@Ariadne.Series", an OData instance annotation other readers ignore) and into the ICSE CSV
 * column "Ariadne series": every series of a media with its owner agency, contact, status and
 * victims (code, identification, by whom, where). The layout is in docs/formats.md; the reader
 * is ad_vics_xseries_from_dom (vics_media.c). */
#include <stdlib.h>

#include "xinternal.h"

static void agency(ad_jw *j, const char *key, const ad_xagency *a)
{
    if (!a->name)
        return;
    ad_jw_key(j, key);
    ad_jw_open(j, '{');
    ad_jw_str(j, "Name", a->name);
    ad_jw_str(j, "Country", a->country);
    ad_jw_str(j, "Kind", a->kind);
    ad_jw_close(j, '}');
}

void ad_x_write_xseries(ad_jw *j, const ad_xmedia *m)
{
    ad_jw_open(j, '[');
    for (size_t i = 0; i < m->n_xseries; i++) {
        const ad_xseries *s = &m->xseries[i];
        ad_jw_open(j, '{');
        ad_jw_str(j, "Name", s->name);
        agency(j, "Owner", &s->owner);
        ad_jw_str(j, "Contact", s->contact);
        ad_jw_str(j, "Status", s->status);
        ad_jw_key(j, "Victims");
        ad_jw_open(j, '[');
        for (size_t k = 0; k < s->n_victims; k++) {
            const ad_xvictim *v = &s->victims[k];
            ad_jw_open(j, '{');
            ad_jw_str(j, "Code", v->code);
            ad_jw_flag(j, "Identified", v->identified);
            agency(j, "IdentifiedBy", &v->identified_by);
            ad_jw_str(j, "Country", v->country);
            ad_jw_close(j, '}');
        }
        ad_jw_close(j, ']');
        ad_jw_close(j, '}');
    }
    ad_jw_close(j, ']');
}

static int agency_ok(const ad_xagency *a)
{
    return ad_x_utf8_valid(a->name) && ad_x_utf8_valid(a->country) && ad_x_utf8_valid(a->kind);
}

const char *ad_x_xseries_invalid(const ad_xmedia *m)
{
    for (size_t i = 0; i < m->n_xseries; i++) {
        const ad_xseries *s = &m->xseries[i];
        if (!s->name || !*s->name)
            return "a series without a name";
        if (!ad_x_utf8_valid(s->name) || !agency_ok(&s->owner) || !ad_x_utf8_valid(s->contact) ||
            !ad_x_utf8_valid(s->status))
            return "a series field that is not valid UTF-8";
        for (size_t k = 0; k < s->n_victims; k++) {
            const ad_xvictim *v = &s->victims[k];
            if (!v->code || !*v->code)
                return "a victim without a code";
            if (!ad_x_utf8_valid(v->code) || !agency_ok(&v->identified_by) ||
                !ad_x_utf8_valid(v->country))
                return "a victim field that is not valid UTF-8";
        }
    }
    return NULL;
}

char *ad_x_xseries_text(const ad_xmedia *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    ad_jw j = {.f = f};
    ad_x_write_xseries(&j, m);
    if (fclose(f) != 0 || j.bad_utf8) {
        free(buf);
        return NULL;
    }
    return buf;
}
