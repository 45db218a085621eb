/* job.c: ingest jobs and their items: what a triage run did with every row of a seizure, so a
 * killed run can be resumed and a case report can be made again from the database. A case's
 * report takes, for each set of roots, one job: the latest finished one (or the latest when
 * none has finished), so that ingesting the same roots again as a new job counts them once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

ad_code ad_store_job_open(ad_store *st, const ad_job *j, int *resumed, ad_err *err)
{
    *resumed = 0;
    if (!j->id || !*j->id)
        return ad_err_set(err, AD_ERR_ARG, "a job needs an id");
    ad_code rc = ad_store_begin(st, err);
    if (rc)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db, "SELECT case_id FROM ingest_job WHERE id = ?", err);
    int64_t case_id = 0;
    if (!s)
        return ad_store_finish(st, AD_ECODE(err), err);
    ad_bind_text(s, 1, j->id);
    rc = ad_db_int(s, &case_id, err);
    if (rc == AD_OK) {
        if (case_id != j->case_id)
            return ad_store_finish(
                st, ad_err_set(err, AD_ERR_EXISTS, "job %s belongs to another case", j->id), err);
        *resumed = 1;
        s = ad_db_stmt(st->db,
                       "UPDATE ingest_job SET status = 'running', finished = NULL"
                       " WHERE id = ?",
                       err);
        if (!s)
            return ad_store_finish(st, AD_ECODE(err), err);
        ad_bind_text(s, 1, j->id);
        rc = ad_db_run(s, err);
        rc = ad_store_auditf(st, rc, "job.resume", NULL, 0, err, "job=%s", j->id);
        return ad_store_finish(st, rc, err);
    }
    if (rc != AD_ERR_NOT_FOUND)
        return ad_store_finish(st, rc, err);
    ad_err_clear(err);
    s = ad_db_stmt(st->db,
                   "INSERT INTO ingest_job (id, case_id, agency_id, exhibit, roots, options, who,"
                   " status, started) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                   err);
    if (!s)
        return ad_store_finish(st, AD_ECODE(err), err);
    ad_bind_text(s, 1, j->id);
    ad_bind_id_opt(s, 2, j->case_id);
    ad_bind_id_opt(s, 3, j->agency_id ? j->agency_id : st->agency_id);
    ad_bind_text_opt(s, 4, j->exhibit);
    ad_bind_text_opt(s, 5, j->roots);
    ad_bind_text_opt(s, 6, j->options);
    ad_bind_text(s, 7, st->who);
    ad_bind_int(s, 8, j->started ? j->started : ad_store_time());
    rc = ad_db_run(s, err);
    rc = ad_store_auditf(st, rc, "job.start", "case", j->case_id, err, "job=%s roots=%s", j->id,
                         j->roots ? j->roots : "");
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_job_finish(ad_store *st, const char *job_id, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st, "UPDATE ingest_job SET status = 'done', finished = ? WHERE id = ?",
                             &s, err);
    if (rc)
        return rc;
    ad_bind_int(s, 1, ad_store_time());
    ad_bind_text(s, 2, job_id);
    rc = ad_db_run(s, err);
    if (rc == AD_OK)
        rc = ad_store_job_tally(st, job_id, err);
    rc = ad_store_auditf(st, rc, "job.finish", NULL, 0, err, "job=%s", job_id);
    return ad_store_finish(st, rc, err);
}

static int job_row(void *ctx, ad_stmt *s)
{
    void **c = ctx;
    ad_job j = {
        .id = ad_col_str(s, 0),
        .case_id = ad_col_int(s, 1),
        .agency_id = ad_col_int(s, 2),
        .exhibit = ad_col_str(s, 3),
        .roots = ad_col_str(s, 4),
        .options = ad_col_str(s, 5),
        .who = ad_col_str(s, 6),
        .status = ad_col_str(s, 7),
        .started = ad_col_int(s, 8),
        .finished = ad_col_int(s, 9),
    };
    return ((ad_job_fn)c[0])(c[1], &j);
}

ad_code ad_store_job_list(ad_store *st, int64_t case_id, ad_job_fn fn, void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st,
                         case_id
                             ? "SELECT id, case_id, agency_id, exhibit, roots, options, who,"
                               " status, started, finished FROM ingest_job WHERE case_id = ?"
                               " ORDER BY started, id"
                             : "SELECT id, case_id, agency_id, exhibit, roots, options, who,"
                               " status, started, finished FROM ingest_job ORDER BY started, id",
                         case_id, job_row, c, err);
}

static void bind_item(void *ctx, ad_stmt *s, size_t i)
{
    const ad_job_item *it = &((const ad_job_item *)ctx)[i];
    ad_bind_text(s, 1, it->job_id);
    ad_bind_text(s, 2, it->key);
    ad_bind_int(s, 3, it->ordinal);
    ad_bind_text(s, 4, it->path ? it->path : "");
    ad_bind_id_opt(s, 5, it->sighting_id);
    ad_bind_id_opt(s, 6, it->media_id);
    ad_bind_text_opt(s, 7, it->error_code);
    ad_bind_text_opt(s, 8, it->error_message);
    ad_bind_id_opt(s, 9, it->match_media_id);
    ad_bind_text_opt(s, 10, it->match_kind);
    if (it->match_media_id) {
        ad_bind_int(s, 11, it->match_distance);
        ad_bind_int(s, 12, it->match_variant);
    } else {
        ad_bind_null(s, 11);
        ad_bind_null(s, 12);
    }
    ad_bind_text_opt(s, 13, it->match_ranges);
}

ad_code ad_store_job_items_add(ad_store *st, const ad_job_item *it, size_t n, ad_err *err)
{
    if (!n)
        return AD_OK;
    ad_code rc = ad_store_begin_batch(st, err);
    if (rc)
        return rc;
    rc = ad_db_many(st->db,
                    "INSERT INTO ingest_item (job_id, key, ordinal, path, sighting_id, media_id,"
                    " error_code, error_message, match_media_id, match_kind, match_distance,"
                    " match_variant, match_ranges) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    n, bind_item, NULL, (void *)it, err);
    rc = ad_store_auditf(st, rc, "job.items", NULL, 0, err, "job=%s n=%zu first=%s", it[0].job_id,
                         n, it[0].path ? it[0].path : "");
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_job_keys(ad_store *st, const char *job_id, ad_job_key_fn fn, void *ctx,
                          ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT key FROM ingest_item WHERE job_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, job_id);
    int r;
    while ((r = ad_step(s, err)) > 0)
        if (fn(ctx, ad_col_str(s, 0)))
            break;
    ad_db_done(s);
    return r < 0 ? (ad_code)-r : AD_OK;
}

#define ITEM_COLUMNS                                                                               \
    "i.job_id, i.key, i.ordinal, i.path, i.sighting_id, i.media_id, i.error_code,"                 \
    " i.error_message, i.match_media_id, i.match_kind, i.match_distance, i.match_variant,"         \
    " i.match_ranges, s.id, s.agency_id, s.case_id, s.exhibit, s.path, s.mtime, s.ctime,"          \
    " s.atime, s.btime, s.parent_path, s.inner_path, s.size, s.ingested, s.user_id"

/* The item and sighting of the row at s (the columns of ITEM_COLUMNS) given to fn. */
static int item_row(ad_stmt *s, const char *job, ad_job_item_fn fn, void *ctx)
{
    ad_job_item it = {
        .job_id = job,
        .key = ad_col_str(s, 1),
        .ordinal = ad_col_int(s, 2),
        .path = ad_col_str(s, 3),
        .sighting_id = ad_col_int(s, 4),
        .media_id = ad_col_int(s, 5),
        .error_code = ad_col_str(s, 6),
        .error_message = ad_col_str(s, 7),
        .match_media_id = ad_col_int(s, 8),
        .match_kind = ad_col_str(s, 9),
        .match_distance = (int)ad_col_int(s, 10),
        .match_variant = (int)ad_col_int(s, 11),
        .match_ranges = ad_col_str(s, 12),
    };
    ad_sighting sg = {
        .id = ad_col_int(s, 13),
        .media_id = it.media_id,
        .agency_id = ad_col_int(s, 14),
        .case_id = ad_col_int(s, 15),
        .exhibit = ad_col_str(s, 16),
        .path = ad_col_str(s, 17),
        .mtime = ad_col_int(s, 18),
        .ctime = ad_col_int(s, 19),
        .atime = ad_col_int(s, 20),
        .btime = ad_col_int(s, 21),
        .parent_path = ad_col_str(s, 22),
        .inner_path = ad_col_str(s, 23),
        .size = ad_col_null(s, 24) ? -1 : ad_col_int(s, 24),
        .ingested = ad_col_int(s, 25),
        .user_id = ad_col_int(s, 26),
        .job_id = it.job_id,
    };
    return fn(ctx, &it, it.sighting_id ? &sg : NULL);
}

/* Items of one job (job_id) or of the given jobs of a case (jobs: NULL-terminated ids). */
static ad_code items(ad_store *st, int64_t case_id, const char *job_id, char *const *jobs,
                     ad_job_item_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s =
        ad_db_stmt(st->db,
                   job_id ? "SELECT i.job_id, i.key, i.ordinal, i.path, i.sighting_id, i.media_id,"
                            " i.error_code, i.error_message, i.match_media_id, i.match_kind,"
                            " i.match_distance, i.match_variant, i.match_ranges, s.id, s.agency_id,"
                            " s.case_id, s.exhibit, s.path, s.mtime, s.ctime, s.atime, s.btime,"
                            " s.parent_path, s.inner_path, s.size, s.ingested, s.user_id"
                            " FROM ingest_item i LEFT JOIN sighting s ON s.id = i.sighting_id"
                            " WHERE i.job_id = ? ORDER BY i.ordinal"
                          : "SELECT i.job_id, i.key, i.ordinal, i.path, i.sighting_id, i.media_id,"
                            " i.error_code, i.error_message, i.match_media_id, i.match_kind,"
                            " i.match_distance, i.match_variant, i.match_ranges, s.id, s.agency_id,"
                            " s.case_id, s.exhibit, s.path, s.mtime, s.ctime, s.atime, s.btime,"
                            " s.parent_path, s.inner_path, s.size, s.ingested, s.user_id"
                            " FROM ingest_item i JOIN ingest_job j ON j.id = i.job_id"
                            " LEFT JOIN sighting s ON s.id = i.sighting_id"
                            " WHERE j.case_id = ? ORDER BY j.started, j.id, i.ordinal",
                   err);
    if (!s)
        return AD_ECODE(err);
    if (job_id)
        ad_bind_text(s, 1, job_id);
    else
        ad_bind_int(s, 1, case_id);
    int r;
    while ((r = ad_step(s, err)) > 0) {
        const char *job = ad_col_str(s, 0);
        int take = job_id != NULL;
        for (size_t k = 0; jobs && jobs[k] && !take; k++)
            take = !strcmp(jobs[k], job);
        if (!take)
            continue;
        if (item_row(s, job, fn, ctx))
            break;
    }
    ad_db_done(s);
    return r < 0 ? (ad_code)-r : AD_OK;
}

ad_code ad_store_job_items(ad_store *st, const char *job_id, ad_job_item_fn fn, void *ctx,
                           ad_err *err)
{
    return items(st, 0, job_id, NULL, fn, ctx, err);
}

/* The roots of a job as a key: its lines sorted, so that the same roots in another order are
 * the same roots. */
static char *roots_key(const char *roots)
{
    size_t n = 1, len = roots ? strlen(roots) : 0;
    for (size_t i = 0; i < len; i++)
        n += roots[i] == '\n';
    char *copy = malloc(len + 1), **line = malloc(n * sizeof *line), *key = malloc(len + 1);
    if (!copy || !line || !key) {
        free(copy), free(line), free(key);
        return NULL;
    }
    memcpy(copy, roots ? roots : "", len + 1);
    size_t k = 0;
    for (char *p = copy, *q; p; p = q) {
        q = strchr(p, '\n');
        if (q)
            *q++ = '\0';
        line[k++] = p;
    }
    for (size_t i = 1; i < k; i++) /* insertion sort: a job has a few roots */
        for (size_t j = i; j > 0 && strcmp(line[j - 1], line[j]) > 0; j--) {
            char *t = line[j];
            line[j] = line[j - 1];
            line[j - 1] = t;
        }
    key[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        if (i)
            strcat(key, "\n");
        strcat(key, line[i]);
    }
    free(copy);
    free(line);
    return key;
}

struct current {
    struct cur_job {
        char *id, *key;
        int done;
    } * v;
    size_t n, cap;
    int oom;
};

static int add_job(void *ctx, const ad_job *j)
{
    struct current *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        struct cur_job *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return c->oom = 1;
        c->v = v;
        c->cap = cap;
    }
    struct cur_job *x = &c->v[c->n];
    x->id = strdup(j->id);
    x->key = roots_key(j->roots);
    x->done = j->status && !strcmp(j->status, "done");
    if (!x->id || !x->key) {
        free(x->id), free(x->key);
        return c->oom = 1;
    }
    c->n++;
    return 0;
}

/* The current jobs of a case (NULL-terminated ids, malloc'd, oldest first): per set of roots,
 * the latest finished job, or the latest job when none has finished. */
static ad_code current_jobs(ad_store *st, int64_t case_id, struct current *c, char ***out,
                           ad_err *err)
{
    ad_code rc = ad_store_job_list(st, case_id, add_job, c, err);
    if (!rc && c->oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    /* jobs come oldest first */
    char **jobs = rc ? NULL : calloc(c->n + 1, sizeof *jobs);
    if (!rc && !jobs)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t nj = 0;
    for (size_t i = 0; !rc && i < c->n; i++) {
        int later = 0, later_done = 0, any_done = c->v[i].done;
        for (size_t k = 0; k < c->n; k++)
            if (k != i && !strcmp(c->v[k].key, c->v[i].key)) {
                any_done |= c->v[k].done;
                later |= k > i;
                later_done |= k > i && c->v[k].done;
            }
        if (c->v[i].done ? !later_done : !any_done && !later)
            jobs[nj++] = c->v[i].id;
    }
    *out = jobs;
    return rc;
}

static void current_free(struct current *c, char **jobs)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].id), free(c->v[i].key);
    free(c->v);
    free(jobs);
}

ad_code ad_store_case_current_jobs(ad_store *st, int64_t case_id, char ***out, ad_err *err)
{
    struct current c = {0};
    char **jobs = NULL;
    ad_code rc = current_jobs(st, case_id, &c, &jobs, err);
    size_t n = 0;
    while (!rc && jobs[n])
        n++;
    *out = rc ? NULL : calloc(n + 1, sizeof **out);
    if (!rc && !*out)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        if (!((*out)[i] = strdup(jobs[i])))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc && *out) {
        ad_store_strv_free(*out);
        *out = NULL;
    }
    current_free(&c, jobs);
    return rc;
}

void ad_store_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

ad_code ad_store_case_items(ad_store *st, int64_t case_id, ad_job_item_fn fn, void *ctx,
                            ad_err *err)
{
    struct current c = {0};
    char **jobs = NULL;
    ad_code rc = current_jobs(st, case_id, &c, &jobs, err);
    if (!rc)
        rc = items(st, case_id, NULL, jobs, fn, ctx, err);
    current_free(&c, jobs);
    return rc;
}

ad_code ad_store_case_items_page(ad_store *st, int64_t case_id, const ad_item_cursor *after,
                                 size_t limit, ad_job_item_fn fn, void *ctx, ad_err *err)
{
    struct current c = {0};
    char **jobs = NULL;
    ad_code rc = current_jobs(st, case_id, &c, &jobs, err);
    size_t j = 0;
    if (!rc && after) {
        while (jobs[j] && strcmp(jobs[j], after->job_id))
            j++;
        if (!jobs[j])
            rc = ad_err_set(err, AD_ERR_NOT_FOUND,
                            "the cursor names no current job of case %lld", (long long)case_id);
    }
    size_t given = 0;
    for (; !rc && jobs[j] && given < limit; j++) {
        int first = after && !strcmp(jobs[j], after->job_id);
        ad_stmt *s = ad_db_stmt(st->db,
                                "SELECT " ITEM_COLUMNS " FROM ingest_item i"
                                " LEFT JOIN sighting s ON s.id = i.sighting_id"
                                " WHERE i.job_id = ? AND i.ordinal >= ? AND (i.ordinal > ?"
                                " OR i.key > ?) ORDER BY i.ordinal, i.key LIMIT ?",
                                err);
        if (!s) {
            rc = AD_ECODE(err);
            break;
        }
        ad_bind_text(s, 1, jobs[j]);
        ad_bind_int(s, 2, first ? after->ordinal : INT64_MIN);
        ad_bind_int(s, 3, first ? after->ordinal : INT64_MIN);
        ad_bind_text(s, 4, first ? after->key : "");
        ad_bind_int(s, 5, (int64_t)(limit - given));
        int r, stop = 0;
        while (!stop && (r = ad_step(s, err)) > 0) {
            given++;
            stop = item_row(s, ad_col_str(s, 0), fn, ctx);
        }
        ad_db_done(s);
        if (r < 0)
            rc = (ad_code)-r;
        if (stop)
            break;
    }
    current_free(&c, jobs);
    return rc;
}

ad_code ad_store_job_last_ordinal(ad_store *st, const char *job_id, int64_t *ordinal,
                                  ad_err *err)
{
    ad_stmt *s = ad_db_stmt(
        st->db, "SELECT COALESCE(MAX(ordinal), -1) FROM ingest_item WHERE job_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, job_id);
    return ad_db_int(s, ordinal, err);
}
