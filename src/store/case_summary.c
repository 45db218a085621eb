/* case_summary.c: a case at a glance in a few indexed, grouped queries (issue 14: a page of a
 * case of 100,000 files under 100 ms): the files of its current jobs counted by class, the
 * failures, and the series of its known material. Classes are decided now, by the rule of
 * ad_store_classify (classify.c), applied to each distinct media a match decided by: its flags,
 * its trusted ignorable category, its series in id order with their victims. Nothing is cached,
 * so votes, links and identifications show at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util/idset.h"

/* What one decided media is: its files, flags, ignorable, the series that decides it. */
typedef struct {
    int64_t media_id, files;
    unsigned flags;
    int ignorable;
    size_t series; /* index + 1 into the series, 0 none */
    ad_class cls;
} decided;

typedef struct {
    ad_idmap at; /* media id -> index + 1 into v */
    decided *v;
    size_t n, cap;
    ad_idmap sat;      /* series id -> index + 1 into ser */
    ad_case_series *ser;
    int64_t *sv, *su; /* victims, unidentified victims per series */
    size_t ns;
    ad_case_summary *out;
    int oom;
} tally;

static decided *media_of(tally *t, int64_t id, int add)
{
    int64_t at = ad_idmap_get(&t->at, id);
    if (at)
        return &t->v[at - 1];
    if (!add)
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        decided *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return t->oom = 1, NULL;
        t->v = v;
        t->cap = cap;
    }
    if (ad_idmap_put(&t->at, id, (int64_t)t->n + 1))
        return t->oom = 1, NULL;
    t->v[t->n] = (decided){id, 0, 0, 0, 0, AD_CLASS_KNOWN_UNSERIESED};
    return &t->v[t->n++];
}

/* Per job: failures; files per decided media (NULL: new). Index ingest_item_tally. */
static int on_files(void *p, ad_stmt *s)
{
    tally *t = p;
    int64_t files = ad_col_int(s, 1);
    if (ad_col_null(s, 0)) {
        t->out->counts[AD_CLASS_NEW] += files;
    } else {
        decided *d = media_of(t, ad_col_int(s, 0), 1);
        if (!d)
            return 1;
        d->files += files;
    }
    t->out->files += files;
    return 0;
}

static int on_media(void *p, ad_stmt *s)
{
    decided *d = media_of(p, ad_col_int(s, 0), 0);
    if (d) {
        d->flags = (unsigned)ad_col_int(s, 1);
        d->ignorable = ad_col_int(s, 2) != 0;
    }
    return 0;
}

static int on_series(void *p, ad_stmt *s)
{
    tally *t = p;
    if (ad_idmap_get(&t->sat, ad_col_int(s, 0)))
        return 0; /* found through an earlier job */
    ad_case_series *v = realloc(t->ser, (t->ns + 1) * sizeof *v);
    int64_t *sv = realloc(t->sv, (t->ns + 1) * sizeof *sv);
    if (v)
        t->ser = v;
    if (sv)
        t->sv = sv;
    int64_t *su = v && sv ? realloc(t->su, (t->ns + 1) * sizeof *su) : NULL;
    if (!su)
        return t->oom = 1;
    t->su = su;
    ad_case_series *x = &t->ser[t->ns];
    memset(x, 0, sizeof *x);
    x->series_id = ad_col_int(s, 0);
    ad_col_copy(s, 1, x->name, sizeof x->name);
    ad_col_copy(s, 2, x->owner, sizeof x->owner);
    ad_col_copy(s, 3, x->contact, sizeof x->contact);
    t->sv[t->ns] = ad_col_int(s, 4);
    t->su[t->ns] = ad_col_int(s, 5);
    if (ad_idmap_put(&t->sat, x->series_id, (int64_t)++t->ns))
        return t->oom = 1;
    return 0;
}

/* Links come by media, then series id: the first series that says unidentified decides, else
 * the first series (classify.c's on_series). */
static int on_link(void *p, ad_stmt *s)
{
    tally *t = p;
    decided *d = media_of(t, ad_col_int(s, 0), 0);
    int64_t at = ad_idmap_get(&t->sat, ad_col_int(s, 1));
    if (!d || !at)
        return 0;
    ad_series x = {0};
    x.victims = t->sv[at - 1];
    x.victims_unidentified = t->su[at - 1];
    if (d->series && d->cls == AD_CLASS_KNOWN_UNIDENTIFIED)
        return 0;
    ad_class c = ad_series_class(&x, d->flags);
    if (!d->series || c == AD_CLASS_KNOWN_UNIDENTIFIED) {
        d->series = (size_t)at;
        d->cls = c;
    }
    return 0;
}

/* The decided media of a job, as a subquery bound to the job id: from its items, or from its
 * tally once it has finished */
#define DECIDED_ITEMS                                                                              \
    "SELECT match_media_id FROM ingest_item WHERE job_id = ? AND match_media_id IS NOT NULL"
#define DECIDED_TALLY "SELECT media_id FROM job_tally WHERE job_id = ? AND media_id > 0"
#define MEDIA_SQL(D)                                                                               \
    "SELECT m.id, m.flags, (SELECT COUNT(*) FROM trusted_category c WHERE c.media_id = m.id AND"   \
    " ((c.scheme = 'vics-us' AND c.code = '0') OR (c.scheme = 'dhs' AND c.code = '5')))"          \
    " FROM media m WHERE m.id IN (" D ")"
#define SERIES_SQL(D)                                                                              \
    "SELECT s.id, s.name, a.name, s.contact, (SELECT COUNT(*) FROM person p WHERE p.series_id ="   \
    " s.id AND p.kind = 'victim'), (SELECT COUNT(*) FROM person p WHERE p.series_id = s.id AND"    \
    " p.kind = 'victim' AND p.identified = 0) FROM series s LEFT JOIN agency a ON"                 \
    " a.id = s.owner_agency_id WHERE s.id IN (SELECT series_id FROM series_media_live WHERE"       \
    " media_id IN (" D ")) ORDER BY s.id"
#define LINKS_SQL(D)                                                                               \
    "SELECT media_id, series_id FROM series_media_live WHERE media_id IN (" D ")"                  \
    " ORDER BY media_id, series_id"

ad_code ad_store_job_tally(ad_store *st, const char *job_id, ad_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM job_tally WHERE job_id = ?",
        "INSERT INTO job_tally (job_id, media_id, files) SELECT CAST(? AS TEXT), -1, COUNT(*)"
        " FROM ingest_item WHERE job_id = ? AND (error_code IS NOT NULL OR media_id IS NULL)",
        "INSERT INTO job_tally (job_id, media_id, files) SELECT job_id,"
        " COALESCE(match_media_id, 0), COUNT(*) FROM ingest_item WHERE job_id = ? AND"
        " error_code IS NULL AND media_id IS NOT NULL GROUP BY job_id, match_media_id"};
    ad_code rc = AD_OK;
    for (size_t i = 0; rc == AD_OK && i < 3; i++) {
        ad_stmt *s = ad_db_stmt(st->db, sql[i], err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_text(s, 1, job_id);
        if (i == 1)
            ad_bind_text(s, 2, job_id);
        rc = ad_db_run(s, err);
    }
    return rc;
}

/* Whether a job's tally stands (it finished and has one): its failures in *failed. */
static ad_code tallied(ad_store *st, const char *job, int *yes, int64_t *failed, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT t.files FROM job_tally t JOIN ingest_job j ON j.id = t.job_id"
                            " WHERE t.job_id = ? AND t.media_id = -1 AND j.status = 'done'",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, job);
    ad_code rc = ad_db_int(s, failed, err);
    *yes = rc == AD_OK;
    if (rc == AD_ERR_NOT_FOUND) {
        ad_err_clear(err);
        rc = AD_OK;
    }
    return rc;
}

/* Runs sql bound to job (once, or twice for sql with two parameters) row by row. */
static ad_code rows(ad_store *st, const char *sql, const char *job, int binds, ad_row_fn fn,
                    tally *t, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    for (int i = 1; i <= binds; i++)
        ad_bind_text(s, i, job);
    int r;
    while ((r = ad_step(s, err)) > 0)
        if (fn(t, s))
            break;
    ad_db_done(s);
    if (r < 0)
        return (ad_code)-r;
    return t->oom ? ad_err_set(err, AD_ERR_NOMEM, "out of memory") : AD_OK;
}

static int by_class_then_files(const void *pa, const void *pb)
{
    const ad_case_series *a = pa, *b = pb;
    int ua = a->cls == AD_CLASS_KNOWN_UNIDENTIFIED, ub = b->cls == AD_CLASS_KNOWN_UNIDENTIFIED;
    if (ua != ub)
        return ub - ua;
    if (a->files != b->files)
        return a->files < b->files ? 1 : -1;
    return strcmp(a->name, b->name);
}

static int on_survivor(void *p, const ad_series *s)
{
    ad_case_series *x = p;
    x->series_id = s->id;
    snprintf(x->name, sizeof x->name, "%s", s->name ? s->name : "");
    snprintf(x->owner, sizeof x->owner, "%s", s->owner_agency_name ? s->owner_agency_name : "");
    snprintf(x->contact, sizeof x->contact, "%s", s->contact ? s->contact : "");
    return 1;
}

/* A series merged into another is shown as its survivor (docs/federation.md "Merging two
 * series"), "merged from" it; series with one survivor become one row (files summed, the
 * unidentified class first). Returns the rows kept. */
static ad_code survivors(ad_store *st, ad_case_series *v, size_t *n, ad_err *err)
{
    ad_code rc = AD_OK;
    size_t k = 0;
    for (size_t i = 0; rc == AD_OK && i < *n; i++) {
        ad_case_series x = v[i];
        int64_t sv = 0;
        rc = ad_store_series_survivor(st, x.series_id, &sv, err);
        if (rc == AD_OK && sv != x.series_id) {
            snprintf(x.merged_from, sizeof x.merged_from, "%s", v[i].name);
            rc = ad_store_series_row(st, sv, on_survivor, &x, err);
        }
        size_t j = 0;
        while (j < k && v[j].series_id != x.series_id)
            j++;
        if (j == k) {
            v[k++] = x;
            continue;
        }
        ad_case_series *y = &v[j]; /* the same survivor: one row */
        if (x.cls == AD_CLASS_KNOWN_UNIDENTIFIED)
            y->cls = x.cls;
        y->files += x.files;
        if (x.merged_from[0]) {
            size_t l = strlen(y->merged_from);
            snprintf(y->merged_from + l, sizeof y->merged_from - l, "%s%s", l ? ", " : "",
                     x.merged_from);
        }
    }
    *n = k;
    return rc;
}

ad_code ad_store_case_summary(ad_store *st, int64_t case_id, ad_case_summary *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    tally t = {0};
    t.out = out;
    char **jobs = NULL;
    ad_code rc = ad_store_case_current_jobs(st, case_id, &jobs, err);
    for (size_t j = 0; rc == AD_OK && jobs[j]; j++) {
        int64_t failed = 0;
        int tally = 0;
        if ((rc = tallied(st, jobs[j], &tally, &failed, err)) != AD_OK)
            break;
        if (!tally) { /* running, or finished before a tally was kept: from its items */
            ad_stmt *s = ad_db_stmt(st->db,
                                    "SELECT COUNT(*) FROM ingest_item WHERE job_id = ? AND"
                                    " (error_code IS NOT NULL OR media_id IS NULL)",
                                    err);
            if (!s) {
                rc = AD_ECODE(err);
                break;
            }
            ad_bind_text(s, 1, jobs[j]);
            if ((rc = ad_db_int(s, &failed, err)) != AD_OK)
                break;
        }
        out->errors += failed;
        out->files += failed;
        /* the files per decided media, then (the same answer for a media met twice) its flags
         * and trusted ignorable category, its series with victims, its links */
        rc = rows(st,
                  tally ? "SELECT NULLIF(media_id, 0), files FROM job_tally WHERE job_id = ? AND"
                          " media_id >= 0"
                        : "SELECT match_media_id, COUNT(*) FROM ingest_item WHERE job_id = ?"
                          " AND error_code IS NULL AND media_id IS NOT NULL GROUP BY"
                          " match_media_id",
                  jobs[j], 1, on_files, &t, err);
        if (rc == AD_OK)
            rc = rows(st, tally ? MEDIA_SQL(DECIDED_TALLY) : MEDIA_SQL(DECIDED_ITEMS), jobs[j], 1,
                      on_media, &t, err);
        if (rc == AD_OK)
            rc = rows(st, tally ? SERIES_SQL(DECIDED_TALLY) : SERIES_SQL(DECIDED_ITEMS), jobs[j],
                      1, on_series, &t, err);
    }
    /* links once every series is known (a link of a media met in a later job) */
    for (size_t j = 0; rc == AD_OK && jobs[j]; j++) {
        int tally = 0;
        int64_t failed;
        if ((rc = tallied(st, jobs[j], &tally, &failed, err)) == AD_OK)
            rc = rows(st, tally ? LINKS_SQL(DECIDED_TALLY) : LINKS_SQL(DECIDED_ITEMS), jobs[j], 1,
                      on_link, &t, err);
    }
    ad_store_strv_free(jobs);
    /* the rule's other branches, then the tally */
    for (size_t i = 0; rc == AD_OK && i < t.n; i++) {
        decided *d = &t.v[i];
        if (!d->series)
            d->cls = d->ignorable || (d->flags & AD_MEDIA_IGNORABLE) ? AD_CLASS_IGNORABLE
                     : d->flags & AD_MEDIA_VICTIM_IDENTIFIED         ? AD_CLASS_KNOWN_IDENTIFIED
                                                                     : AD_CLASS_KNOWN_UNSERIESED;
        out->counts[d->cls] += d->files;
        if (d->series) {
            ad_case_series *x = &t.ser[d->series - 1];
            if (!x->files || d->cls == AD_CLASS_KNOWN_UNIDENTIFIED)
                x->cls = d->cls;
            x->files += d->files;
        }
    }
    if (rc == AD_OK && t.ns) {
        size_t k = 0; /* the rows */
        for (size_t i = 0; i < t.ns; i++) /* series that decided no file are left out */
            if (t.ser[i].files)
                t.ser[k++] = t.ser[i];
        rc = survivors(st, t.ser, &k, err);
        qsort(t.ser, k, sizeof *t.ser, by_class_then_files);
        out->series = t.ser;
        out->nseries = k;
        t.ser = NULL;
    }
    ad_idmap_free(&t.at);
    ad_idmap_free(&t.sat);
    free(t.v);
    free(t.ser);
    free(t.sv);
    free(t.su);
    if (rc != AD_OK)
        ad_case_summary_free(out);
    return rc;
}

void ad_case_summary_free(ad_case_summary *s)
{
    free(s->series);
    memset(s, 0, sizeof *s);
}

/* The new files of one job (no match recorded, not failed), walk order. */
static const char *NEW_FILES =
    "SELECT i.media_id, i.path, m.sha256, m.pdq, m.pdq_quality FROM ingest_item i"
    " JOIN media m ON m.id = i.media_id WHERE i.job_id = ? AND i.match_media_id IS NULL"
    " AND i.error_code IS NULL ORDER BY i.ordinal, i.key";
static const char *NEW_CLUES =
    "SELECT object_id, kind, value FROM clue WHERE object_type = 'media' AND object_id IN"
    " (SELECT media_id FROM ingest_item WHERE job_id = ? AND match_media_id IS NULL AND"
    " error_code IS NULL AND media_id IS NOT NULL) ORDER BY object_id, id";

ad_code ad_store_case_new_files(ad_store *st, int64_t case_id, ad_new_file_fn file,
                                ad_new_clue_fn clue, void *ctx, ad_err *err)
{
    char **jobs = NULL;
    ad_code rc = ad_store_case_current_jobs(st, case_id, &jobs, err);
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; rc == AD_OK && jobs[j]; j++) {
            ad_stmt *s = ad_db_stmt(st->db, pass ? NEW_CLUES : NEW_FILES, err);
            if (!s) {
                rc = AD_ECODE(err);
                break;
            }
            ad_bind_text(s, 1, jobs[j]);
            int r, stop = 0;
            while (!stop && (r = ad_step(s, err)) > 0) {
                if (pass) {
                    stop = clue(ctx, ad_col_int(s, 0), ad_col_str(s, 1), ad_col_str(s, 2));
                    continue;
                }
                size_t ns = 0, np = 0;
                const uint8_t *sha = ad_col_blob(s, 2, &ns), *pdq = ad_col_blob(s, 3, &np);
                stop = file(ctx, ad_col_int(s, 0), ad_col_str(s, 1), ns == 32 ? sha : NULL,
                            np == 32 ? pdq : NULL,
                            ad_col_null(s, 4) ? -1 : (int)ad_col_int(s, 4));
            }
            ad_db_done(s);
            if (r < 0)
                rc = (ad_code)-r;
            else if (stop)
                rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory reading the case's new files");
        }
    ad_store_strv_free(jobs);
    return rc;
}

/* ---- the candidate groups kept per case (schema 14, case_groups; a row a group since
 * schema 24, case_group) ---- */

/* key: each current job's id, finished time and last walk ordinal, and the last clue id */
ad_code ad_store_case_groups_key(ad_store *st, int64_t case_id, char **key, ad_err *err)
{
    *key = NULL;
    char **jobs = NULL;
    ad_code rc = ad_store_case_current_jobs(st, case_id, &jobs, err);
    size_t cap = 64, len = 0;
    char *k = rc ? NULL : malloc(cap);
    if (!rc && !k)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    int running = 0;
    for (size_t j = 0; rc == AD_OK && jobs[j]; j++) {
        ad_stmt *s = ad_db_stmt(st->db,
                                "SELECT status, COALESCE(finished, 0), (SELECT COALESCE(MAX("
                                "ordinal), -1) FROM ingest_item WHERE job_id = ?) FROM"
                                " ingest_job WHERE id = ?",
                                err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        ad_bind_text(s, 1, jobs[j]);
        ad_bind_text(s, 2, jobs[j]);
        int r = ad_step(s, err);
        if (r > 0) {
            const char *status = ad_col_str(s, 0);
            running |= !status || strcmp(status, "done");
            size_t need = len + strlen(jobs[j]) + 48;
            if (need > cap) {
                char *b = realloc(k, cap = 2 * need);
                if (!b) {
                    ad_db_done(s);
                    rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                    break;
                }
                k = b;
            }
            len += (size_t)sprintf(k + len, "%s@%lld#%lld;", jobs[j],
                                   (long long)ad_col_int(s, 1), (long long)ad_col_int(s, 2));
        }
        ad_db_done(s);
        if (r < 0)
            rc = (ad_code)-r;
    }
    ad_store_strv_free(jobs);
    int64_t clue = 0;
    if (rc == AD_OK) {
        ad_stmt *s = ad_db_stmt(st->db, "SELECT COALESCE(MAX(id), 0) FROM clue", err);
        rc = s ? ad_db_int(s, &clue, err) : AD_ECODE(err);
    }
    if (rc == AD_OK && !running) {
        sprintf(k + len, "clue=%lld", (long long)clue); /* room: +48 per job, 64 at first */
        *key = k;
        k = NULL;
    }
    free(k);
    return rc;
}

/* One statement (one snapshot: a put between two reads cannot mix two computations): the
 * case's row under the key, joined with its groups after `after` in order; a page past the
 * last group is one row with no group. */
ad_code ad_store_case_groups_get(ad_store *st, int64_t case_id, const char *key, int64_t after,
                                 int64_t limit, char **groups, int64_t *new_files,
                                 int64_t *total, ad_err *err)
{
    *groups = NULL;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT c.new_files, c.total, g.doc FROM case_groups c LEFT JOIN"
                            " case_group g ON g.case_id = c.case_id AND g.id > ? WHERE"
                            " c.case_id = ? AND c.key = ? ORDER BY g.id LIMIT ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, after);
    ad_bind_int(s, 2, case_id);
    ad_bind_text(s, 3, key);
    ad_bind_int(s, 4, limit > 0 ? limit : INT64_MAX);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    int r = out ? 0 : -(int)ad_err_set(err, AD_ERR_NOMEM, "out of memory"), rows = 0;
    if (out)
        out[len++] = '[';
    while (r == 0 && (r = ad_step(s, err)) > 0) {
        *new_files = ad_col_int(s, 0);
        *total = ad_col_int(s, 1);
        const char *doc = ad_col_str(s, 2);
        size_t n = doc ? strlen(doc) : 0;
        r = 0;
        rows = 1;
        if (!doc)
            continue;
        if (len + n + 2 > cap) {
            char *b = realloc(out, cap = 2 * (len + n + 2));
            if (!b) {
                r = -(int)ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                break;
            }
            out = b;
        }
        if (len > 1)
            out[len++] = ',';
        memcpy(out + len, doc, n);
        len += n;
    }
    ad_db_done(s);
    if (r == 0 && !rows)
        r = -(int)AD_ERR_NOT_FOUND;
    if (r < 0) {
        free(out);
        return (ad_code)-r;
    }
    out[len++] = ']';
    out[len] = 0;
    *groups = out;
    return AD_OK;
}

ad_code ad_store_case_groups_put(ad_store *st, int64_t case_id, const char *key,
                                 int64_t new_files, char *const *groups, size_t n, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "INSERT INTO case_groups (case_id, key, new_files, total, made)"
                             " VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE SET key ="
                             " excluded.key, new_files = excluded.new_files, total ="
                             " excluded.total, made = excluded.made",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, case_id);
    ad_bind_text(s, 2, key);
    ad_bind_int(s, 3, new_files);
    ad_bind_int(s, 4, (int64_t)n);
    ad_bind_int(s, 5, ad_store_time());
    rc = ad_db_run(s, err);
    /* the groups: those kept before go, then one row each, numbered 1, 2, ... */
    for (size_t i = 0; rc == AD_OK && i <= n; i++) {
        s = ad_db_stmt(st->db,
                       i ? "INSERT INTO case_group (case_id, id, doc) VALUES (?, ?, ?)"
                         : "DELETE FROM case_group WHERE case_id = ?",
                       err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        ad_bind_int(s, 1, case_id);
        if (i) {
            ad_bind_int(s, 2, (int64_t)i);
            ad_bind_text(s, 3, groups[i - 1]);
        }
        rc = ad_db_run(s, err);
    }
    return ad_store_finish(st, rc, err);
}
