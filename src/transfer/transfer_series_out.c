/* transfer_series_out.c: the store's series of a media as Ariadne's own exchange fields
 * (ad_xseries: name, owner agency, contact, status, victims with their identification), built
 * once per series of an export, and the media's VictimIdentified by the classification's rule
 * (ad_series_class). docs/formats.md, "Series, owners and victims". */
#include <stdlib.h>
#include <string.h>

#include "transfer_series.h"
#include "exchange/xinternal.h"

typedef struct agency_rec { /* the store's agencies */
    int64_t id;
    char *name, *country, *kind;
} agency_rec;

typedef struct built { /* one store series as Ariadne's series fields */
    int64_t id, owner_id;
    ad_xseries x;
    ad_xvictim *victims;
    char **strs;
    size_t n_strs;
} built;

typedef struct row { /* a series of the current media */
    int64_t id, victims, unidentified;
} row;

struct ad_tseries_out {
    ad_store *st;
    agency_rec *ag;
    size_t n_ag, cap_ag;
    built *built;
    size_t n_built, cap_built;
    ad_xmap built_ix; /* series id text -> index in built */
    row *rows;
    size_t n_rows, cap_rows;
    ad_xseries *xs; /* the current media's series */
    size_t cap_xs;
    char first[256];
};

void ad_tseries_out_close(ad_tseries_out *t)
{
    if (!t)
        return;
    ad_xmap_free(&t->built_ix);
    for (size_t i = 0; i < t->n_ag; i++) {
        free(t->ag[i].name);
        free(t->ag[i].country);
        free(t->ag[i].kind);
    }
    free(t->ag);
    for (size_t i = 0; i < t->n_built; i++) {
        for (size_t k = 0; k < t->built[i].n_strs; k++)
            free(t->built[i].strs[k]);
        free(t->built[i].strs);
        free(t->built[i].victims);
    }
    free(t->built);
    free(t->rows);
    free(t->xs);
    free(t);
}

static int on_agency(void *ctx, const ad_agency *a)
{
    ad_tseries_out *t = ctx;
    if (!ad_x_grow((void **)&t->ag, &t->cap_ag, t->n_ag + 1, sizeof *t->ag))
        return 1;
    agency_rec *r = &t->ag[t->n_ag++];
    r->id = a->id;
    r->name = a->name ? strdup(a->name) : NULL;
    r->country = a->country ? strdup(a->country) : NULL;
    r->kind = a->kind ? strdup(a->kind) : NULL;
    return 0;
}

static ad_xagency agency_of(const ad_tseries_out *t, int64_t id)
{
    for (size_t i = 0; i < t->n_ag; i++)
        if (t->ag[i].id == id)
            return (ad_xagency){t->ag[i].name, t->ag[i].country, t->ag[i].kind};
    return (ad_xagency){NULL, NULL, NULL};
}

ad_code ad_tseries_out_open(ad_tseries_out **out, ad_store *st, ad_err *err)
{
    ad_tseries_out *t = calloc(1, sizeof *t);
    if (!t)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    t->st = st;
    ad_code rc = ad_store_agency_list(st, on_agency, t, err);
    if (rc != AD_OK) {
        ad_tseries_out_close(t);
        return rc;
    }
    *out = t;
    return AD_OK;
}

static char *keep(built *b, const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s), **p = realloc(b->strs, (b->n_strs + 1) * sizeof *p);
    if (!d || !p) {
        free(d);
        if (p)
            b->strs = p;
        return NULL;
    }
    b->strs = p;
    b->strs[b->n_strs++] = d;
    return d;
}

typedef struct {
    ad_tseries_out *t;
    built *b;
    size_t cap;
    int nomem;
} victims_ctx;

static int on_victim(void *ctx, const ad_person *p)
{
    victims_ctx *c = ctx;
    built *b = c->b;
    if (!ad_x_grow((void **)&b->victims, &c->cap, b->x.n_victims + 1, sizeof *b->victims)) {
        c->nomem = 1;
        return 1;
    }
    ad_xvictim *v = &b->victims[b->x.n_victims++];
    memset(v, 0, sizeof *v);
    v->code = keep(b, p->code);
    v->identified = p->identified ? AD_XTRUE : AD_XFALSE;
    if (p->identified) {
        v->identified_by = agency_of(c->t, p->identified_by);
        v->country = keep(b, p->country);
    }
    c->nomem |= !v->code;
    return c->nomem;
}

static int on_series_copy(void *ctx, const ad_series *s)
{
    built *b = ctx;
    b->id = s->id;
    b->x.name = keep(b, s->name);
    b->x.contact = s->contact && *s->contact ? keep(b, s->contact) : NULL;
    b->x.status = keep(b, s->status);
    b->owner_id = s->owner_agency_id;
    return 1;
}

/* The series of id as Ariadne's series fields, built once. */
static ad_code build(ad_tseries_out *t, int64_t id, const ad_xseries **out, ad_err *err)
{
    char key[24];
    int64_t ix;
    snprintf(key, sizeof key, "%lld", (long long)id);
    if (ad_xmap_get(&t->built_ix, key, &ix)) {
        *out = &t->built[ix].x;
        return AD_OK;
    }
    if (!ad_x_grow((void **)&t->built, &t->cap_built, t->n_built + 1, sizeof *t->built))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    built *b = &t->built[t->n_built];
    memset(b, 0, sizeof *b);
    ad_code rc = ad_store_series_get(t->st, id, on_series_copy, b, err);
    b->x.owner = b->owner_id ? agency_of(t, b->owner_id) : (ad_xagency){NULL, NULL, NULL};
    victims_ctx vc = {t, b, 0, 0};
    if (rc == AD_OK)
        rc = ad_store_person_list(t->st, AD_VICTIM, id, on_victim, &vc, err);
    if (rc == AD_OK && (vc.nomem || !b->x.name))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    t->n_built++; /* kept even on error, so that close frees it */
    if (rc != AD_OK)
        return rc;
    b->x.victims = b->victims;
    if (!ad_xmap_put(&t->built_ix, key, (int64_t)(t->n_built - 1)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    *out = &b->x;
    return AD_OK;
}

static int on_media_series(void *ctx, const ad_series *s)
{
    ad_tseries_out *t = ctx;
    if (!ad_x_grow((void **)&t->rows, &t->cap_rows, t->n_rows + 1, sizeof *t->rows))
        return 1;
    if (!t->n_rows)
        snprintf(t->first, sizeof t->first, "%s", s->name ? s->name : "");
    t->rows[t->n_rows++] = (row){s->id, s->victims, s->victims_unidentified};
    return 0;
}

ad_code ad_tseries_of_media(ad_tseries_out *t, const ad_media *m, int64_t series_id, ad_xmedia *x,
                            int *in_series, ad_err *err)
{
    t->n_rows = 0;
    *in_series = 0;
    ad_code rc = ad_store_media_series(t->st, m->id, on_media_series, t, err);
    if (rc != AD_OK)
        return rc;
    if (!ad_x_grow((void **)&t->xs, &t->cap_xs, t->n_rows, sizeof *t->xs))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    int unidentified = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        const ad_xseries *b = NULL;
        if ((rc = build(t, t->rows[i].id, &b, err)) != AD_OK)
            return rc;
        t->xs[i] = *b;
        *in_series |= t->rows[i].id == series_id;
        ad_series s = {.victims = t->rows[i].victims,
                       .victims_unidentified = t->rows[i].unidentified};
        unidentified |= ad_series_class(&s, m->flags) == AD_CLASS_KNOWN_UNIDENTIFIED;
    }
    x->xseries = t->n_rows ? t->xs : NULL;
    x->n_xseries = t->n_rows;
    x->series = t->n_rows ? t->first : NULL;
    if (t->n_rows)
        x->victim_identified = unidentified ? AD_XFALSE : AD_XTRUE;
    else
        x->victim_identified = (m->flags & AD_MEDIA_VICTIM_IDENTIFIED) ? AD_XTRUE : AD_XUNKNOWN;
    return AD_OK;
}
