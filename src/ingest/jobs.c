/* jobs.c: which job an ingest runs as, and on which roots.
 *
 * Roots: each must exist (else AD_ERR_NOT_FOUND, and no case or job is created). A new job walks
 * and stores their absolute forms (a relative root joined to the current folder; "." parts and
 * repeated or trailing "/" dropped; ".." and symbolic links kept as given), stored escaped as
 * logical paths are, one a line. Two lists of roots are the same roots when the real paths
 * (realpath) of their roots are the same, in any order (a stored root that no longer resolves is
 * compared as it is stored).
 *
 * The job: --job ID resumes that job (it must be of this case and on the same roots) or starts
 * one with that id; --new-job starts a new job; otherwise an unfinished job of the case on the
 * same roots is resumed, and a finished one makes ingest refuse (AD_ERR_EXISTS, naming the job).
 * A resumed job, or a new job on roots a job of the case already had, walks the roots as that
 * job stored them, so that row keys, logical paths and the report's grouping of jobs by roots
 * (ad_store_case_items) stay the same. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_internal.h"

/* ---- roots ---- */

static char *absolute(const char *root)
{
    char cwd[PATH_MAX] = "";
    if (root[0] != '/' && !getcwd(cwd, sizeof cwd))
        return strdup(root); /* no current folder: kept as given */
    size_t n = strlen(cwd) + strlen(root) + 2;
    char *joined = malloc(n), *out = malloc(n);
    if (!joined || !out) {
        free(joined);
        free(out);
        return NULL;
    }
    snprintf(joined, n, "%s/%s", cwd, root);
    size_t o = 0;
    for (const char *p = joined; *p;) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && !(len == 1 && p[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    if (!o)
        out[o++] = '/';
    out[o] = '\0';
    free(joined);
    return out;
}

/* The stored form of a root: its logical path (escaped). */
static char *escaped(const char *raw)
{
    size_t need = ad_path_escape(raw, strlen(raw), NULL, 0);
    char *s = malloc(need + 1);
    if (s)
        ad_path_escape(raw, strlen(raw), s, need + 1);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of a stored roots text, unescaped (raw paths to walk). */
static char **split(const char *text, size_t *n)
{
    size_t k = 1;
    for (const char *p = text; *p; p++)
        k += *p == '\n';
    char **v = calloc(k + 1, sizeof *v);
    if (!v)
        return NULL;
    *n = 0;
    for (const char *p = text;;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *line = malloc(len + 1), *raw = malloc(len + 1);
        if (!line || !raw) {
            free(line);
            free(raw);
            for (size_t i = 0; i < *n; i++)
                free(v[i]);
            free(v);
            return NULL;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        ad_path_unescape(line, raw);
        free(line);
        v[(*n)++] = raw;
        if (!e)
            break;
        p = e + 1;
    }
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Real paths of raw roots, sorted. */
static char **real_sorted(char *const *raw, size_t n)
{
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        v[i] = realpath(raw[i], NULL);
        if (!v[i] && !(v[i] = strdup(raw[i]))) {
            free_list(v, i);
            return NULL;
        }
    }
    if (v)
        qsort(v, n, sizeof *v, cmp_str);
    return v;
}

/* ---- the jobs of the case ---- */

struct scan {
    char **real; /* the given roots' real paths, sorted */
    size_t n;
    const char *want; /* --job ID */
    int oom, elsewhere;
    /* the latest unfinished and finished jobs on the same roots, and --job ID's job */
    struct found {
        char id[64];
        char *roots;
        int64_t finished;
        int set, same;
    } running, done, wanted;
};

static int same_roots(const struct scan *c, const char *stored)
{
    size_t n = 0;
    char **raw = split(stored ? stored : "", &n);
    char **real = raw ? real_sorted(raw, n) : NULL;
    int same = real && n == c->n;
    for (size_t i = 0; same && i < n; i++)
        same = !strcmp(real[i], c->real[i]);
    free_list(raw, n);
    free_list(real, n);
    return same;
}

static int keep(struct found *f, const ad_job *j, int same)
{
    free(f->roots);
    snprintf(f->id, sizeof f->id, "%s", j->id);
    f->roots = strdup(j->roots ? j->roots : "");
    f->finished = j->finished;
    f->set = 1;
    f->same = same;
    return !f->roots;
}

static int scan_job(void *ctx, const ad_job *j)
{
    struct scan *c = ctx;
    int same = same_roots(c, j->roots);
    if (c->want && !strcmp(j->id, c->want) && keep(&c->wanted, j, same))
        return c->oom = 1;
    if (same && keep(j->status && !strcmp(j->status, "done") ? &c->done : &c->running, j, 1))
        return c->oom = 1;
    return 0;
}

/* Whether the --job id is a job of another case (listing every job, when it is not this
 * case's). */
static int other_case(void *ctx, const ad_job *j)
{
    struct scan *c = ctx;
    return c->elsewhere = !strcmp(j->id, c->want);
}

static void new_id(char out[64])
{
    char t[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof t, "%Y%m%dT%H%M%SZ", &tm);
    uint8_t rnd[3] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(rnd, 1, 3, f) != 3)
            rnd[0] = (uint8_t)getpid();
        fclose(f);
    }
    snprintf(out, 64, "%s-%02x%02x%02x", t, rnd[0], rnd[1], rnd[2]);
}

/* ---- resuming ---- */

static int64_t key64(const char *hex)
{
    uint8_t b[8];
    if (ad_hex_decode(hex, 16, b, 8, NULL))
        return 0;
    int64_t v;
    memcpy(&v, b, 8);
    return v;
}

static int resume_item(void *ctx, const ad_job_item *it, const ad_sighting *s)
{
    (void)s;
    struct run *r = ctx;
    ad_idset_add(&r->done_keys, key64(it->key));
    if (it->media_id && !it->match_media_id)
        ad_idset_add(&r->job_new, it->media_id);
    return 0;
}

/* A refusal: nothing was done, the command must change (the CLI's usage exit). */
static ad_code refuse(struct run *r, ad_code rc)
{
    r->stats->refused = 1;
    return rc;
}

static ad_code check_roots(struct run *r, const char *const *roots, size_t n, ad_err *err)
{
    if (!n)
        return refuse(r, ad_err_set(err, AD_ERR_ARG, "no roots to ingest"));
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(roots[i], &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
            return refuse(
                r, ad_err_set(err, AD_ERR_NOT_FOUND, "no such file or folder: %s", roots[i]));
    }
    return AD_OK;
}

/* The stored text and the raw roots a new job walks: the absolute forms of the given roots. */
static ad_code new_roots(struct run *r, const char *const *roots, size_t n, ad_err *err)
{
    size_t len = 1;
    r->roots = calloc(n + 1, sizeof *r->roots);
    for (size_t i = 0; r->roots && i < n; i++) {
        if (!(r->roots[i] = absolute(roots[i])))
            break;
        r->nroots = i + 1;
        char *e = escaped(r->roots[i]);
        if (!e)
            break;
        len += strlen(e) + 1;
        char *t = realloc(r->roots_text, len);
        if (!t) {
            free(e);
            break;
        }
        if (!r->roots_text)
            t[0] = '\0';
        r->roots_text = t;
        if (i)
            strcat(t, "\n");
        strcat(t, e);
        free(e);
    }
    return r->roots && r->nroots == n && r->roots_text
               ? AD_OK
               : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

/* A job's stored roots: walked as they are. */
static ad_code stored_roots(struct run *r, const char *text, ad_err *err)
{
    r->roots_text = strdup(text);
    r->roots = r->roots_text ? split(text, &r->nroots) : NULL;
    return r->roots ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

static const char *iso_time(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

ad_code ad_ingest_open_job(struct run *r, const char *const *roots, size_t nroots, ad_err *err)
{
    const ad_ingest_opts *o = r->o;
    ad_ingest_stats *st = r->stats;
    if (o->job_id && o->new_job)
        return refuse(r, ad_err_set(err, AD_ERR_ARG, "--job and --new-job exclude each other"));
    ad_code rc = check_roots(r, roots, nroots, err);
    if (rc)
        return rc;
    if ((rc = ad_store_agency_find(r->st, o->agency, &r->agency_id, err)))
        return rc == AD_ERR_NOT_FOUND ? refuse(r, rc) : rc;
    rc = ad_store_case_find(r->st, r->agency_id, o->case_number, &r->case_id, err);
    if (rc == AD_ERR_NOT_FOUND) {
        ad_err_clear(err);
        r->case_id = 0;
        rc = AD_OK;
    }
    char **given = NULL;
    struct scan c = {.want = o->job_id, .n = nroots};
    if (!rc && !(given = calloc(nroots + 1, sizeof *given)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nroots; i++)
        if (!(given[i] = strdup(roots[i])))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rc && !(c.real = real_sorted(given, nroots)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rc && r->case_id)
        rc = ad_store_job_list(r->st, r->case_id, scan_job, &c, err);
    if (!rc && c.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    const struct found *same = c.done.set ? &c.done : &c.running; /* a job on these roots */
    const char *walk = NULL; /* stored roots to walk; NULL: the given ones */
    if (rc) {
    } else if (o->job_id) {
        snprintf(r->job, sizeof r->job, "%s", o->job_id);
        if (c.wanted.set && !c.wanted.same)
            rc = refuse(r, ad_err_set(err, AD_ERR_ARG,
                                      "job %s of case %s was started on other roots (%s): give "
                                      "the same roots to resume it",
                                      o->job_id, o->case_number, c.wanted.roots));
        else if (!c.wanted.set &&
                 (rc = ad_store_job_list(r->st, 0, other_case, &c, err)) == AD_OK &&
                 c.elsewhere) /* before the case is opened: a refusal makes nothing */
            rc = refuse(
                r, ad_err_set(err, AD_ERR_EXISTS, "job %s belongs to another case", o->job_id));
        walk = c.wanted.set ? c.wanted.roots : same->set ? same->roots : NULL;
    } else if (o->new_job) {
        new_id(r->job);
        walk = same->set ? same->roots : NULL;
    } else if (c.running.set) {
        snprintf(r->job, sizeof r->job, "%s", c.running.id);
        walk = c.running.roots;
        st->auto_resumed = 1;
    } else if (c.done.set) {
        char when[32];
        snprintf(st->job_id, sizeof st->job_id, "%s", c.done.id);
        rc = refuse(r, ad_err_set(err, AD_ERR_EXISTS,
                                  "case %s already holds job %s on these roots (finished %s): "
                                  "nothing done. --job %s adds what that job has not recorded; "
                                  "--new-job ingests the roots again as a new job (the report "
                                  "then counts the new job instead)",
                                  o->case_number, c.done.id, iso_time(c.done.finished, when),
                                  c.done.id));
    } else {
        new_id(r->job);
    }
    if (!rc)
        rc = walk ? stored_roots(r, walk, err) : new_roots(r, roots, nroots, err);
    free_list(given, nroots);
    free_list(c.real, nroots);
    free(c.running.roots);
    free(c.done.roots);
    free(c.wanted.roots);
    if (rc)
        return rc;
    if (!r->case_id) {
        ad_case cs = {.agency_id = r->agency_id, .number = o->case_number};
        rc = ad_store_case_open(r->st, &cs, &r->case_id, err);
        if (rc == AD_ERR_EXISTS) { /* opened meanwhile by another process: an ingest of another
                                      exhibit of the case, at the same time */
            ad_err_clear(err);
            rc = ad_store_case_find(r->st, r->agency_id, o->case_number, &r->case_id, err);
        }
        if (rc)
            return rc;
    }
    char opts[160];
    snprintf(opts, sizeof opts, "fast=%d radius=%d min_quality=%d video=%d thumbnails=%d", o->fast,
             o->radius, o->min_quality, o->video, o->thumbnails != 0);
    ad_job j = {.id = r->job,
                .case_id = r->case_id,
                .agency_id = r->agency_id,
                .exhibit = o->exhibit,
                .roots = r->roots_text,
                .options = opts};
    rc = ad_store_job_open(r->st, &j, &st->resumed, err);
    if (rc == AD_ERR_EXISTS) /* the id is another case's job */
        refuse(r, rc);
    snprintf(st->job_id, sizeof st->job_id, "%s", r->job);
    st->roots = r->roots_text;
    if (!rc && st->resumed)
        rc = ad_store_job_items(r->st, r->job, resume_item, r, err);
    return rc;
}

void ad_ingest_close_job(struct run *r)
{
    free_list(r->roots, r->nroots);
    free(r->roots_text);
    r->roots = NULL;
    r->roots_text = NULL;
    r->stats->roots = NULL;
}
