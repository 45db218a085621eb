/* report.c: the report model of a case and the grouping of new material into candidate series. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/h256.h"
#include "ariadne/index.h"
#include "ariadne/report.h"
#include "ariadne/version.h"
#include "util/idset.h"

static const char *const class_names[AD_RC__COUNT] = {
    "new", "known-unidentified", "known-unseriesed", "known-identified", "ignorable", "error",
    "other",
};

const char *ad_report_class_name(ad_report_class c)
{
    return (unsigned)c < AD_RC__COUNT ? class_names[c] : "unknown";
}

void ad_report_init(ad_report *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->version, sizeof r->version, "%s", AD_VERSION);
}

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

size_t ad_report_add(ad_report *r, const ad_report_item *it)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        ad_report_item *v = realloc(r->items, cap * sizeof *v);
        if (!v)
            return (size_t)-1;
        r->items = v;
        r->cap = cap;
    }
    ad_report_item *d = &r->items[r->n];
    *d = *it;
    d->path = dup(it->path);
    d->parent_path = dup(it->parent_path);
    d->inner_path = dup(it->inner_path);
    d->match_ranges = dup(it->match_ranges);
    d->series_name = dup(it->series_name);
    d->series_owner = dup(it->series_owner);
    d->series_contact = dup(it->series_contact);
    d->series_merged_from = dup(it->series_merged_from);
    d->camera_make = dup(it->camera_make);
    d->camera_model = dup(it->camera_model);
    d->camera_serial = dup(it->camera_serial);
    d->software = dup(it->software);
    d->error_code = dup(it->error_code);
    d->error_message = dup(it->error_message);
    d->thumbnail = dup(it->thumbnail);
    d->thumbnail_note = dup(it->thumbnail_note);
    d->links = NULL;
    d->nlinks = 0;
    if (it->nlinks && (d->links = malloc(it->nlinks * sizeof *d->links))) {
        memcpy(d->links, it->links, it->nlinks * sizeof *d->links);
        d->nlinks = it->nlinks;
    }
    d->group = -1;
    if ((unsigned)d->cls < AD_RC__COUNT)
        r->counts[d->cls]++;
    return r->n++;
}

ad_code ad_report_add_job(ad_report *r, const ad_report_job *j, ad_err *err)
{
    ad_report_job *v = realloc(r->jobs, (r->njobs + 1) * sizeof *v);
    if (!v)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    r->jobs = v;
    ad_report_job *d = &v[r->njobs];
    *d = *j;
    d->id = dup(j->id);
    d->exhibit = dup(j->exhibit);
    d->who = dup(j->who);
    d->status = dup(j->status);
    d->options = dup(j->options);
    d->roots = dup(j->roots);
    if ((j->id && !d->id) || (j->exhibit && !d->exhibit) || (j->who && !d->who) ||
        (j->status && !d->status) || (j->options && !d->options) || (j->roots && !d->roots)) {
        free(d->id), free(d->exhibit), free(d->who), free(d->status), free(d->options),
            free(d->roots);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    r->njobs++;
    return AD_OK;
}

int ad_report_job_root(const char **it, const char **root, size_t *n)
{
    const char *p = *it;
    if (!p || !*p)
        return 0;
    *root = p;
    *n = strcspn(p, "\n");
    *it = p + *n + (p[*n] != '\0');
    return 1;
}

void ad_report_free(ad_report *r)
{
    for (size_t j = 0; j < r->njobs; j++) {
        ad_report_job *d = &r->jobs[j];
        free(d->id), free(d->exhibit), free(d->who), free(d->status), free(d->options),
            free(d->roots);
    }
    free(r->jobs);
    for (size_t i = 0; i < r->n; i++) {
        ad_report_item *d = &r->items[i];
        free(d->path);
        free(d->parent_path);
        free(d->inner_path);
        free(d->match_ranges);
        free(d->series_name);
        free(d->series_owner);
        free(d->series_contact);
        free(d->series_merged_from);
        free(d->camera_make);
        free(d->camera_model);
        free(d->camera_serial);
        free(d->software);
        free(d->error_code);
        free(d->error_message);
        free(d->thumbnail);
        free(d->thumbnail_note);
        free(d->links);
    }
    for (size_t g = 0; g < r->ngroups; g++)
        free(r->groups[g].items);
    free(r->items);
    free(r->groups);
    memset(r, 0, sizeof *r);
}

/* ---- grouping ---- */

enum { WHY_PDQ = 1, WHY_SERIAL = 2, WHY_CAMERA = 4, WHY_FOLDER_TIME = 8 };

struct uf {
    size_t *parent;
    unsigned *why;
};

static size_t find(struct uf *u, size_t x)
{
    while (u->parent[x] != x) {
        u->parent[x] = u->parent[u->parent[x]];
        x = u->parent[x];
    }
    return x;
}

static void unite(struct uf *u, size_t a, size_t b, unsigned why)
{
    a = find(u, a);
    b = find(u, b);
    if (a != b) {
        u->parent[b] = a;
        u->why[a] |= u->why[b];
    }
    u->why[a] |= why;
}

struct key {
    const char *s1, *s2;
    int64_t t;
    size_t item;
};

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int c = strcmp(x->s1, y->s1);
    if (!c)
        c = strcmp(x->s2 ? x->s2 : "", y->s2 ? y->s2 : "");
    if (!c)
        c = (x->t > y->t) - (x->t < y->t);
    return c;
}

/* Unites consecutive items of equal s1 (and s2), and, if window > 0, time within window. */
static void unite_sorted(struct uf *u, struct key *k, size_t n, int64_t window, unsigned why)
{
    qsort(k, n, sizeof *k, cmp_key);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(k[i].s1, k[i - 1].s1) || strcmp(k[i].s2 ? k[i].s2 : "", k[i - 1].s2 ? k[i - 1].s2 : ""))
            continue;
        if (window > 0 && k[i].t - k[i - 1].t > window)
            continue;
        unite(u, k[i].item, k[i - 1].item, why);
    }
}

static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char *f = malloc(n + 1);
    if (f) {
        memcpy(f, path, n);
        f[n] = '\0';
    }
    return f;
}

ad_code ad_report_group_new(ad_report *r, int radius, int min_quality, int64_t window_s,
                            ad_err *err)
{
    size_t *idx = malloc((r->n ? r->n : 1) * sizeof *idx);
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].cls == AD_RC_NEW)
            idx[m++] = i;
    struct uf u = {malloc((m ? m : 1) * sizeof(size_t)), calloc(m ? m : 1, sizeof(unsigned))};
    struct key *k = malloc((m ? m : 1) * sizeof *k);
    char **folders = calloc(m ? m : 1, sizeof *folders);
    ad_h256 *h = malloc((m ? m : 1) * sizeof *h);
    int *hq = malloc((m ? m : 1) * sizeof *hq);
    if (!idx || !u.parent || !u.why || !k || !folders || !h || !hq) {
        free(idx), free(u.parent), free(u.why), free(k), free(folders), free(h), free(hq);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory grouping %zu files", m);
    }
    for (size_t a = 0; a < m; a++) {
        u.parent[a] = a;
        const ad_report_item *it = &r->items[idx[a]];
        hq[a] = it->quality >= min_quality && it->pdq[0] &&
                ad_h256_parse(&h[a], it->pdq, strlen(it->pdq), NULL) == AD_OK;
    }
    /* near-duplicates: every new hash searched in an index of the new hashes */
    {
        ad_index *ix = NULL;
        ad_h256 *hv = malloc((m ? m : 1) * sizeof *hv);
        uint64_t *iv = malloc((m ? m : 1) * sizeof *iv);
        size_t nh = 0;
        for (size_t a = 0; hv && iv && a < m; a++)
            if (hq[a]) {
                hv[nh] = h[a];
                iv[nh++] = a;
            }
        ad_index_hits hits = {0};
        if (hv && iv && nh && ad_index_new(&ix, NULL) == AD_OK &&
            ad_index_add(ix, hv, iv, nh, NULL) == AD_OK)
            for (size_t k = 0; k < nh; k++)
                if (ad_index_search(ix, &hv[k], radius, &hits, NULL) == AD_OK)
                    for (size_t j = 0; j < hits.n; j++)
                        if (hits.v[j].id != iv[k])
                            unite(&u, iv[k], hits.v[j].id, WHY_PDQ);
        ad_index_hits_free(&hits);
        ad_index_free(ix);
        free(hv);
        free(iv);
    }
    size_t nk = 0;
    for (size_t a = 0; a < m; a++) {
        const ad_report_item *it = &r->items[idx[a]];
        if (it->camera_serial && *it->camera_serial)
            k[nk++] = (struct key){it->camera_serial, it->camera_make, 0, a};
    }
    unite_sorted(&u, k, nk, 0, WHY_SERIAL);
    nk = 0;
    for (size_t a = 0; a < m; a++) {
        const ad_report_item *it = &r->items[idx[a]];
        if (it->camera_make && *it->camera_make)
            k[nk++] = (struct key){it->camera_make, it->camera_model, 0, a};
    }
    unite_sorted(&u, k, nk, 0, WHY_CAMERA);
    nk = 0;
    for (size_t a = 0; a < m; a++) {
        const ad_report_item *it = &r->items[idx[a]];
        if (it->captured > 0 && it->path) {
            folders[a] = folder_of(it->path);
            if (folders[a])
                k[nk++] = (struct key){folders[a], NULL, it->captured, a};
        }
    }
    unite_sorted(&u, k, nk, window_s, WHY_FOLDER_TIME);

    /* groups of two or more */
    size_t *size = calloc(m ? m : 1, sizeof *size);
    int *gid = malloc((m ? m : 1) * sizeof *gid);
    ad_code rc = AD_OK;
    if (!size || !gid) {
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t a = 0; a < m; a++)
        size[find(&u, a)]++;
    for (size_t a = 0; a < m; a++)
        gid[a] = -1;
    for (size_t a = 0; a < m; a++) {
        size_t root = find(&u, a);
        if (size[root] < 2)
            continue;
        if (gid[root] < 0) {
            ad_report_group *g = realloc(r->groups, (r->ngroups + 1) * sizeof *g);
            if (!g) {
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                goto out;
            }
            r->groups = g;
            gid[root] = (int)r->ngroups;
            ad_report_group *ng = &r->groups[r->ngroups++];
            memset(ng, 0, sizeof *ng);
            ng->id = gid[root] + 1;
            ng->items = malloc(size[root] * sizeof(size_t));
            if (!ng->items) {
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                goto out;
            }
            unsigned why = u.why[root];
            const ad_report_item *first = &r->items[idx[a]];
            size_t len = 0;
#define WHY(...) len += (size_t)snprintf(ng->reasons + len, len < sizeof ng->reasons ? sizeof ng->reasons - len : 0, __VA_ARGS__)
            if (why & WHY_PDQ)
                WHY("%snear-duplicate images (PDQ distance <= %d)", len ? "; " : "", radius);
            if (why & WHY_SERIAL)
                WHY("%ssame camera serial number", len ? "; " : "");
            if (why & WHY_CAMERA)
                WHY("%ssame camera (%s%s%s)", len ? "; " : "",
                    first->camera_make ? first->camera_make : "?",
                    first->camera_model ? " " : "",
                    first->camera_model ? first->camera_model : "");
            if (why & WHY_FOLDER_TIME)
                WHY("%ssame folder, captured within %lld minutes of each other", len ? "; " : "",
                    (long long)(window_s / 60));
#undef WHY
        }
        ad_report_group *g = &r->groups[gid[root]];
        g->items[g->n++] = idx[a];
        r->items[idx[a]].group = g->id;
    }
out:
    for (size_t a = 0; a < m; a++)
        free(folders[a]);
    free(folders), free(idx), free(u.parent), free(u.why), free(k), free(h), free(hq), free(size),
        free(gid);
    return rc;
}

ad_code ad_report_unidentified_series(const ad_report *r, size_t **first, size_t *n, ad_err *err)
{
    *n = 0;
    *first = malloc((r->n ? r->n : 1) * sizeof **first);
    if (!*first)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_idset seen = {0};
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *it = &r->items[i];
        if (it->cls != AD_RC_KNOWN_UNIDENTIFIED || ad_idset_has(&seen, it->series_id))
            continue;
        if (ad_idset_add(&seen, it->series_id)) {
            ad_idset_free(&seen);
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
        (*first)[(*n)++] = i;
    }
    ad_idset_free(&seen);
    return AD_OK;
}
