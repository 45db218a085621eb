/* transfer_series.c: series, owner agencies, contacts and victims across an import or export.
 * Export: the store's series of a media (cached per series) into ad_xseries, and the media's
 * VictimIdentified by the classification's rule. Import: ad_xseries into store records, each
 * distinct series once per import: the owner agency found by name or created from the file,
 * the series found, created, adopted (a local series without owner) or kept apart as
 * "NAME (OWNER)" (a local series of another owner), victims added, identification recorded and
 * never undone. Decisions: docs/formats.md, "Series, owners and victims". */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer_series.h"

/* ---- a small string -> int64 map (open addressing) ---- */

typedef struct smap {
    char **keys;
    int64_t *vals;
    size_t cap, n;
} smap;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static size_t slot(const smap *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int smap_get(const smap *m, const char *key, int64_t *val)
{
    if (!m->cap)
        return 0;
    size_t i = slot(m, key);
    if (!m->keys[i])
        return 0;
    *val = m->vals[i];
    return 1;
}

static int smap_put(smap *m, const char *key, int64_t val)
{
    if (2 * (m->n + 1) > m->cap) {
        smap g = {calloc(m->cap ? 2 * m->cap : 64, sizeof(char *)),
                  calloc(m->cap ? 2 * m->cap : 64, sizeof(int64_t)), m->cap ? 2 * m->cap : 64, 0};
        if (!g.keys || !g.vals) {
            free(g.keys);
            free(g.vals);
            return 0;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = slot(&g, m->keys[i]);
                g.keys[j] = m->keys[i];
                g.vals[j] = m->vals[i];
                g.n++;
            }
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    size_t i = slot(m, key);
    if (!m->keys[i]) {
        if (!(m->keys[i] = strdup(key)))
            return 0;
        m->n++;
    }
    m->vals[i] = val;
    return 1;
}

static void smap_free(smap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- shared state ---- */

typedef struct agency_rec { /* the store's agencies, for the export */
    int64_t id;
    char *name, *country, *kind;
} agency_rec;

typedef struct built { /* one store series as Ariadne's series fields (export) */
    int64_t id, owner_id;
    ad_xseries x;
    ad_xvictim *victims;
    char **strs;
    size_t n_strs;
} built;

typedef struct row { /* a series of the current media (export) */
    int64_t id, victims, unidentified;
} row;

struct ad_tseries {
    ad_store *st;
    /* import */
    ad_import_stats *stats;
    const ad_import_opts *opts;
    smap series;   /* "name\x1fowner" -> series id (0: not linked) */
    smap agencies; /* name -> agency id */
    /* export */
    agency_rec *ag;
    size_t n_ag;
    built *built;
    size_t n_built, cap_built;
    smap built_ix; /* series id text -> index in built */
    row *rows;
    size_t n_rows, cap_rows;
    ad_xseries *xs; /* the current media's series */
    size_t cap_xs;
    char first[256];
};

void ad_tseries_close(ad_tseries *t)
{
    if (!t)
        return;
    smap_free(&t->series);
    smap_free(&t->agencies);
    smap_free(&t->built_ix);
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

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    size_t n = *cap ? 2 * *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return 0;
    *p = q;
    *cap = n;
    return 1;
}

/* Whether the store would read a name as a record id (it looks names and ids up alike). */
static int numeric(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return *s && !*end && v > 0;
}

/* ---- export ---- */

static int on_agency(void *ctx, const ad_agency *a)
{
    ad_tseries *t = ctx;
    size_t cap = t->n_ag;
    if (!grow((void **)&t->ag, &cap, t->n_ag + 1, sizeof *t->ag))
        return 1;
    agency_rec *r = &t->ag[t->n_ag++];
    r->id = a->id;
    r->name = a->name ? strdup(a->name) : NULL;
    r->country = a->country ? strdup(a->country) : NULL;
    r->kind = a->kind ? strdup(a->kind) : NULL;
    return 0;
}

static ad_xagency agency_of(const ad_tseries *t, int64_t id)
{
    for (size_t i = 0; i < t->n_ag; i++)
        if (t->ag[i].id == id)
            return (ad_xagency){t->ag[i].name, t->ag[i].country, t->ag[i].kind};
    return (ad_xagency){NULL, NULL, NULL};
}

ad_code ad_tseries_export_open(ad_tseries **out, ad_store *st, ad_err *err)
{
    ad_tseries *t = calloc(1, sizeof *t);
    if (!t)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    t->st = st;
    ad_code rc = ad_store_agency_list(st, on_agency, t, err);
    if (rc != AD_OK) {
        ad_tseries_close(t);
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
    ad_tseries *t;
    built *b;
    size_t cap;
    int nomem;
} victims_ctx;

static int on_victim(void *ctx, const ad_person *p)
{
    victims_ctx *c = ctx;
    built *b = c->b;
    if (!grow((void **)&b->victims, &c->cap, b->x.n_victims + 1, sizeof *b->victims)) {
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
static ad_code build(ad_tseries *t, int64_t id, const ad_xseries **out, ad_err *err)
{
    char key[24];
    int64_t ix;
    snprintf(key, sizeof key, "%lld", (long long)id);
    if (smap_get(&t->built_ix, key, &ix)) {
        *out = &t->built[ix].x;
        return AD_OK;
    }
    if (!grow((void **)&t->built, &t->cap_built, t->n_built + 1, sizeof *t->built))
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
    if (!smap_put(&t->built_ix, key, (int64_t)(t->n_built - 1)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    *out = &b->x;
    return AD_OK;
}

static int on_media_series(void *ctx, const ad_series *s)
{
    ad_tseries *t = ctx;
    if (!grow((void **)&t->rows, &t->cap_rows, t->n_rows + 1, sizeof *t->rows))
        return 1;
    if (!t->n_rows)
        snprintf(t->first, sizeof t->first, "%s", s->name ? s->name : "");
    t->rows[t->n_rows++] = (row){s->id, s->victims, s->victims_unidentified};
    return 0;
}

ad_code ad_tseries_of_media(ad_tseries *t, const ad_media *m, int64_t series_id, ad_xmedia *x,
                            int *in_series, ad_err *err)
{
    t->n_rows = 0;
    *in_series = 0;
    ad_code rc = ad_store_media_series(t->st, m->id, on_media_series, t, err);
    if (rc != AD_OK)
        return rc;
    if (!grow((void **)&t->xs, &t->cap_xs, t->n_rows, sizeof *t->xs))
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

/* ---- import ---- */

ad_code ad_tseries_import_open(ad_tseries **out, ad_store *st, ad_import_stats *stats,
                               const ad_import_opts *opts, ad_err *err)
{
    ad_tseries *t = calloc(1, sizeof *t);
    if (!t)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    t->st = st;
    t->stats = stats;
    t->opts = opts;
    *out = t;
    return AD_OK;
}

static ad_code note(ad_tseries *t, ad_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ad_code note(ad_tseries *t, ad_err *err, const char *fmt, ...)
{
    if (!t->opts->note)
        return AD_OK;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return t->opts->note(t->opts->note_ctx, msg, err);
}

/* A name the store will not read as an id: "12" is kept as "<what> 12". */
static const char *safe_name(const char *name, const char *what, char *buf, size_t n)
{
    if (!numeric(name))
        return name;
    snprintf(buf, n, "%s %s", what, name);
    return buf;
}

static int kind_ok(const char *k)
{
    static const char *const kinds[] = {"police", "hotline", "platform", "hub"};
    for (size_t i = 0; k && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(k, kinds[i]))
            return 1;
    return 0;
}

/* The agency named by a record: found by name, else created with the file's country and kind
 * (an unknown kind is left to the store's default). *id 0 when the record names none. */
static ad_code agency(ad_tseries *t, const ad_xagency *a, int64_t *id, ad_err *err)
{
    char buf[300];
    *id = 0;
    if (!a->name || !*a->name)
        return AD_OK;
    const char *name = safe_name(a->name, "Agency", buf, sizeof buf);
    if (smap_get(&t->agencies, name, id))
        return AD_OK;
    ad_code rc = ad_store_agency_find(t->st, name, id, NULL);
    if (rc == AD_ERR_NOT_FOUND) {
        ad_agency x = {.name = name,
                       .country = a->country && *a->country ? a->country : NULL,
                       .kind = kind_ok(a->kind) ? a->kind : NULL};
        rc = ad_store_agency_add(t->st, &x, id, err);
        t->stats->agencies_created += rc == AD_OK;
    }
    if (rc == AD_OK && !smap_put(&t->agencies, name, *id))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    return rc;
}

typedef struct {
    int64_t owner;
    int has_contact;
} local_series;

static int on_local(void *ctx, const ad_series *s)
{
    local_series *l = ctx;
    l->owner = s->owner_agency_id;
    l->has_contact = s->contact && *s->contact;
    return 1;
}

/* Places the file's series under `name`: creates it, or uses the local one of that name when it
 * has the same owner (or the file names none), or adopts it when it has no owner. *taken: a
 * local series of another owner holds the name. */
static ad_code place(ad_tseries *t, const char *name, int64_t owner, const ad_xseries *x,
                     int64_t *id, int *taken, ad_err *err)
{
    *taken = 0;
    ad_code rc = ad_store_series_find(t->st, name, 0, id, NULL);
    if (rc == AD_ERR_NOT_FOUND) {
        const char *status =
            x->status && (!strcmp(x->status, "active") || !strcmp(x->status, "closed")) ? x->status
                                                                                        : NULL;
        ad_series s = {.name = name,
                       .owner_agency_id = owner,
                       .contact = x->contact && *x->contact ? x->contact : NULL,
                       .status = status};
        rc = ad_store_series_create(t->st, &s, id, err);
        t->stats->series_created += rc == AD_OK;
        return rc;
    }
    if (rc != AD_OK)
        return rc;
    local_series l = {0, 0};
    if ((rc = ad_store_series_get(t->st, *id, on_local, &l, err)) != AD_OK)
        return rc;
    if (owner && l.owner && l.owner != owner) {
        *taken = 1;
        return AD_OK;
    }
    if (owner && (!l.owner || (!l.has_contact && x->contact && *x->contact))) {
        rc = ad_store_series_fill(t->st, *id, owner, x->contact, err);
        t->stats->series_filled += rc == AD_OK;
    }
    return rc;
}

typedef struct {
    char **codes;
    int *identified;
    size_t n, cap;
} local_victims;

static int on_local_victim(void *ctx, const ad_person *p)
{
    local_victims *v = ctx;
    size_t cap = v->cap;
    if (!grow((void **)&v->codes, &cap, v->n + 1, sizeof *v->codes) ||
        !grow((void **)&v->identified, &v->cap, v->n + 1, sizeof *v->identified))
        return 1;
    if (!(v->codes[v->n] = strdup(p->code ? p->code : "")))
        return 1;
    v->identified[v->n++] = p->identified;
    return 0;
}

/* Records the victims of the file's series x in the local series sid. */
static ad_code victims(ad_tseries *t, int64_t sid, int64_t owner, const ad_xseries *x,
                       const char *sname, ad_err *err)
{
    local_victims lv = {0};
    ad_code rc = ad_store_person_list(t->st, AD_VICTIM, sid, on_local_victim, &lv, err);
    for (size_t i = 0; rc == AD_OK && i < x->n_victims; i++) {
        const ad_xvictim *v = &x->victims[i];
        int known = -1;
        for (size_t k = 0; k < lv.n && known < 0; k++)
            if (!strcmp(lv.codes[k], v->code))
                known = lv.identified[k];
        if (known < 0) {
            int64_t other;
            if (ad_store_person_find(t->st, AD_VICTIM, v->code, &other, NULL) == AD_OK) {
                t->stats->victims_left++;
                rc = note(t, err,
                          "victim '%s' of series '%s' is already on record in another series "
                          "here: left as it is",
                          v->code, sname);
                continue;
            }
            rc = ad_store_person_add(t->st, AD_VICTIM, v->code, sid, NULL, err);
            t->stats->victims_added += rc == AD_OK;
            known = 0;
        }
        if (rc != AD_OK || known || v->identified != AD_XTRUE)
            continue; /* identification is never undone, nor done twice */
        int64_t by = 0;
        if ((rc = agency(t, &v->identified_by, &by, err)) != AD_OK)
            break;
        if (!by)
            by = owner;
        if (!by) {
            t->stats->victims_left++;
            rc = note(t, err,
                      "victim '%s' of series '%s' is identified in the file, by no agency named: "
                      "not recorded as identified",
                      v->code, sname);
            continue;
        }
        rc = ad_store_person_identify(t->st, AD_VICTIM, v->code, by, v->country, err);
        t->stats->victims_identified += rc == AD_OK;
    }
    for (size_t k = 0; k < lv.n; k++)
        free(lv.codes[k]);
    free(lv.codes);
    free(lv.identified);
    return rc;
}

ad_code ad_tseries_resolve(ad_tseries *t, const ad_xseries *x, int64_t *id, ad_err *err)
{
    char buf[300], *key = NULL, *apart = NULL;
    if (asprintf(&key, "%s\x1f%s", x->name, x->owner.name ? x->owner.name : "") < 0)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (smap_get(&t->series, key, id)) {
        free(key);
        return AD_OK;
    }
    int64_t owner = 0;
    int taken = 0;
    const char *name = safe_name(x->name, "Series", buf, sizeof buf);
    ad_code rc = agency(t, &x->owner, &owner, err);
    if (rc == AD_OK)
        rc = place(t, name, owner, x, id, &taken, err);
    if (rc == AD_OK && taken) { /* another owner's series holds the name here: keep them apart */
        if (asprintf(&apart, "%s (%s)", name, x->owner.name) < 0)
            apart = NULL, rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        else
            rc = place(t, apart, owner, x, id, &taken, err);
        if (rc == AD_OK && !taken) {
            t->stats->series_apart++;
            rc = note(t, err,
                      "series '%s' of %s: a local series of that name has another owner; kept "
                      "apart as '%s'",
                      x->name, x->owner.name, apart);
            name = apart;
        }
    }
    if (rc == AD_OK && taken) {
        *id = 0;
        t->stats->series_unlinked++;
        rc = note(t, err,
                  "series '%s' of %s: its name and '%s' are taken here by other owners; its "
                  "media are not linked to it",
                  x->name, x->owner.name, apart);
    }
    if (rc == AD_OK && *id)
        rc = victims(t, *id, owner, x, name, err);
    if (rc == AD_OK && !smap_put(&t->series, key, *id))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    free(apart);
    free(key);
    return rc;
}

ad_code ad_tseries_by_name(ad_tseries *t, const char *name, int64_t *id, ad_err *err)
{
    char buf[300], *key = NULL;
    name = safe_name(name, "Series", buf, sizeof buf);
    /* "\x1f\x1f": apart from the keys of Ariadne series */
    if (asprintf(&key, "%s\x1f\x1f", name) < 0)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = AD_OK;
    if (!smap_get(&t->series, key, id)) {
        rc = ad_store_series_find(t->st, name, 0, id, NULL);
        if (rc == AD_ERR_NOT_FOUND) {
            ad_series s = {.name = name};
            rc = ad_store_series_create(t->st, &s, id, err);
            t->stats->series_created += rc == AD_OK;
        }
        if (rc == AD_OK && !smap_put(&t->series, key, *id))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    free(key);
    return rc;
}
