/* transfer_series_in.c: what imported records say about their series into store records, each
 * distinct series once per import: the owner agency found by name or created from the file,
 * the series found, created, adopted (a local series without owner) or kept apart as
 * "NAME (OWNER)" (a local series of another owner), victims added, identification recorded and
 * never undone. Decisions: docs/formats.md, "Series, owners and victims". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer_series.h"
#include "exchange/xinternal.h"

struct ad_tseries_in {
    ad_store *st;
    ad_import_stats *stats;
    const ad_import_opts *opts;
    ad_xmap series;   /* "name\x1fowner" -> series id (0: not linked) */
    ad_xmap agencies; /* name -> agency id */
};

void ad_tseries_in_close(ad_tseries_in *t)
{
    if (!t)
        return;
    ad_xmap_free(&t->series);
    ad_xmap_free(&t->agencies);
    free(t);
}

/* Whether the store would read a name as a record id (it looks names and ids up alike). */
static int numeric(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return *s && !*end && v > 0;
}

ad_code ad_tseries_in_open(ad_tseries_in **out, ad_store *st, ad_import_stats *stats,
                           const ad_import_opts *opts, ad_err *err)
{
    ad_tseries_in *t = calloc(1, sizeof *t);
    if (!t)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    t->st = st;
    t->stats = stats;
    t->opts = opts;
    *out = t;
    return AD_OK;
}

static ad_code note(ad_tseries_in *t, ad_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ad_code note(ad_tseries_in *t, ad_err *err, const char *fmt, ...)
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

/* The agency named by a record: found by name, else created with the file's country and kind
 * (an unknown kind is left to the store's default). *id 0 when the record names none. */
static ad_code agency(ad_tseries_in *t, const ad_xagency *a, int64_t *id, ad_err *err)
{
    char buf[300];
    *id = 0;
    if (!a->name || !*a->name)
        return AD_OK;
    const char *name = safe_name(a->name, "Agency", buf, sizeof buf);
    if (ad_xmap_get(&t->agencies, name, id))
        return AD_OK;
    ad_code rc = ad_store_agency_find(t->st, name, id, NULL);
    if (rc == AD_ERR_NOT_FOUND) {
        ad_agency x = {.name = name,
                       .country = a->country && *a->country ? a->country : NULL,
                       .kind = a->kind && ad_agency_kind_valid(a->kind) ? a->kind : NULL};
        rc = ad_store_agency_add(t->st, &x, id, err);
        t->stats->agencies_created += rc == AD_OK;
    }
    if (rc == AD_OK && !ad_xmap_put(&t->agencies, name, *id))
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
static ad_code place(ad_tseries_in *t, const char *name, int64_t owner, const ad_xseries *x,
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
    if (!ad_x_grow((void **)&v->codes, &cap, v->n + 1, sizeof *v->codes) ||
        !ad_x_grow((void **)&v->identified, &v->cap, v->n + 1, sizeof *v->identified))
        return 1;
    if (!(v->codes[v->n] = strdup(p->code ? p->code : "")))
        return 1;
    v->identified[v->n++] = p->identified;
    return 0;
}

/* Records the victims of the file's series x in the local series sid. */
static ad_code victims(ad_tseries_in *t, int64_t sid, int64_t owner, const ad_xseries *x,
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

ad_code ad_tseries_resolve(ad_tseries_in *t, const ad_xseries *x, int64_t *id, ad_err *err)
{
    char buf[300], *key = NULL, *apart = NULL;
    if (asprintf(&key, "%s\x1f%s", x->name, x->owner.name ? x->owner.name : "") < 0)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (ad_xmap_get(&t->series, key, id)) {
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
    if (rc == AD_OK && !ad_xmap_put(&t->series, key, *id))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    free(apart);
    free(key);
    return rc;
}

ad_code ad_tseries_by_name(ad_tseries_in *t, const char *name, int64_t *id, ad_err *err)
{
    char buf[300], *key = NULL;
    name = safe_name(name, "Series", buf, sizeof buf);
    /* "\x1f\x1f": apart from the keys of Ariadne series */
    if (asprintf(&key, "%s\x1f\x1f", name) < 0)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = AD_OK;
    if (!ad_xmap_get(&t->series, key, id)) {
        rc = ad_store_series_find(t->st, name, 0, id, NULL);
        if (rc == AD_ERR_NOT_FOUND) {
            ad_series s = {.name = name};
            rc = ad_store_series_create(t->st, &s, id, err);
            t->stats->series_created += rc == AD_OK;
        }
        if (rc == AD_OK && !ad_xmap_put(&t->series, key, *id))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    free(key);
    return rc;
}
