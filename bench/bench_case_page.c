/* bench_case_page.c: what one page of a large case costs the server (issue 14: "a page of a
 * case of 100,000 files costs the server under 100 ms"). A store holds two cases of one agency,
 * BIG (N files, default 100,000) and SMALL (1,000 files) made alike: 70% new files (each its own
 * media, one in ten a near-duplicate of the one before), 27% exact copies of 3,000 known media
 * (2,000 of them in 20 series of another agency, half with an unidentified victim; 500 trusted
 * ignorable; 500 in no series) and 3% failures. Benign synthetic hashes, no pictures. Each
 * request of the web interface's case page is timed through the service layer as the server
 * calls it (an investigator of the agency, reads to a sink as the server's): the summary (the
 * classes and the known series), the candidate groups (all of them, as the review queue asks,
 * and the first 50, as the case page asks; kept per case after the first request, whose cost
 * is shown apart; the last page of 100, as the review queue asks it last: the timing leaves
 * out the request of one group that finds the total), the first page of 50 files and a deep page (page 900, by its keyset cursor); beside them in the same run the same requests on the
 * SMALL case, and the plain SQL count of the case's items as a floor.
 *   bench_case_page [-n N] [-r REPEATS] [--db URL] [--only sgGlfdc]
 * The store (default sqlite:bench/out/case-page-N.db) is made on the first run and kept; a
 * PostgreSQL URL (an empty database) is filled the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ariadne/service.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "store/store_int.h"

#define SMALL 1000
#define KNOWN 3000
#define SERIES 20
#define PAGE 50

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_case_page: %s: %s\n", what, msg);
    exit(1);
}

static uint64_t mix(uint64_t *s) /* splitmix64: the same store on every run */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void bytes_of(uint64_t seed, uint8_t *out, size_t n)
{
    for (size_t k = 0; k < n; k += 8) {
        uint64_t v = mix(&seed);
        memcpy(out + k, &v, n - k < 8 ? n - k : 8);
    }
}

static int64_t insert_id(ad_stmt *s)
{
    ad_err err;
    if (ad_step(s, &err) <= 0)
        die("insert", err.msg);
    int64_t id = ad_col_int(s, 0);
    s->db->ops->reset(s);
    return id;
}

static const char *MEDIA = "INSERT INTO media (sha256, md5, size, mime, pdq, pdq_quality, flags,"
                           " created, updated) VALUES (?, ?, ?, 'image/jpeg', ?, 100, 0, 1, 1)"
                           " RETURNING id";

/* A media with hashes from seed; the PDQ near that of near_seed (3 bits off) when non-zero. */
static int64_t add_media(ad_store *st, uint64_t seed, uint64_t near_seed)
{
    ad_err err;
    ad_stmt *s = ad_db_stmt(st->db, MEDIA, &err);
    if (!s)
        die("media", err.msg);
    uint8_t sha[32], md5[16], pdq[32];
    bytes_of(seed * 3 + 1, sha, 32);
    bytes_of(seed * 3 + 2, md5, 16);
    bytes_of((near_seed ? near_seed : seed) * 3 + 3, pdq, 32);
    if (near_seed)
        pdq[seed % 32] ^= 0x13;
    ad_bind_blob(s, 1, sha, 32);
    ad_bind_blob(s, 2, md5, 16);
    ad_bind_int(s, 3, (int64_t)(1000 + seed % 100000));
    ad_bind_blob(s, 4, pdq, 32);
    int64_t id = insert_id(s);
    ad_db_done(s);
    return id;
}

static void exec(ad_store *st, const char *sql)
{
    ad_err err;
    if (st->db->ops->exec(st->db, sql, &err) != AD_OK)
        die(sql, err.msg);
}

/* The files of one case's job: new media, copies of the known, failures. */
static void fill_case(ad_store *st, int64_t agency, int64_t case_id, const char *job, size_t n,
                      const int64_t *known, uint64_t salt)
{
    ad_err err;
    ad_job j = {job, case_id, agency, "EX-1", "/seized", "bench", "done", 0, 0, "bench"};
    int resumed;
    if (ad_store_job_open(st, &j, &resumed, &err) != AD_OK)
        die("job", err.msg);
    exec(st, "BEGIN");
    ad_stmt *sg = ad_db_stmt(st->db,
                             "INSERT INTO sighting (media_id, agency_id, case_id, exhibit, path,"
                             " size, ingested, job_id) VALUES (?, ?, ?, 'EX-1', ?, 1000, 1, ?)"
                             " RETURNING id",
                             &err);
    if (!sg)
        die("sighting", err.msg);
    const char *item_sql = "INSERT INTO ingest_item (job_id, key, ordinal, path, sighting_id,"
                           " media_id, error_code, error_message, match_media_id, match_kind,"
                           " match_distance, match_variant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                           " ?, ?, 0)";
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        char key[32], path[64];
        snprintf(key, sizeof key, "%016llx", (unsigned long long)i);
        snprintf(path, sizeof path, "/seized/d%03zu/f%06zu.jpg", i / 500, i);
        int64_t media = 0, match = 0, sighting = 0;
        size_t r = i % 100;
        if (r < 3) { /* a failure */
        } else if (r < 30) { /* an exact copy of a known media */
            media = match = known[(i * 7919) % KNOWN];
        } else { /* new; one in ten a near-duplicate of the new file before */
            uint64_t seed = salt + i;
            media = add_media(st, seed, (i % 10 == 9 && prev) ? prev : 0);
            prev = seed;
        }
        if (media) {
            ad_bind_int(sg, 1, media);
            ad_bind_int(sg, 2, agency);
            ad_bind_int(sg, 3, case_id);
            ad_bind_text(sg, 4, path);
            ad_bind_text(sg, 5, job);
            sighting = insert_id(sg);
        }
        ad_stmt *it = ad_db_stmt(st->db, item_sql, &err);
        if (!it)
            die("item", err.msg);
        ad_bind_text(it, 1, job);
        ad_bind_text(it, 2, key);
        ad_bind_int(it, 3, (int64_t)i);
        ad_bind_text(it, 4, path);
        ad_bind_id_opt(it, 5, sighting);
        ad_bind_id_opt(it, 6, media);
        ad_bind_text_opt(it, 7, media ? NULL : "corrupt");
        ad_bind_text_opt(it, 8, media ? NULL : "not a picture");
        ad_bind_id_opt(it, 9, match);
        ad_bind_text_opt(it, 10, match ? "sha256" : NULL);
        ad_bind_int(it, 11, 0);
        if (ad_db_run(it, &err) != AD_OK)
            die("item", err.msg);
    }
    ad_db_done(sg);
    exec(st, "COMMIT");
    if (ad_store_job_finish(st, job, &err) != AD_OK)
        die("job finish", err.msg);
}

static void make_store(ad_store *st, size_t n)
{
    ad_err err;
    ad_agency hub = {0, "Hub", "NL", "hub", 0}, unit = {0, "Unit", "GB", "police", 0};
    int64_t hub_id, unit_id, uid, big, small;
    char key[AD_API_KEY_MAX];
    if (ad_store_agency_add(st, &hub, &hub_id, &err) != AD_OK ||
        ad_store_agency_add(st, &unit, &unit_id, &err) != AD_OK ||
        ad_store_user_add(st, unit_id, "inv", AD_ROLE_INVESTIGATOR, &uid, key, &err) != AD_OK)
        die("agencies", err.msg);
    ad_case cb = {0, unit_id, NULL, "BIG", NULL, "open", 0};
    ad_case cs = {0, unit_id, NULL, "SMALL", NULL, "open", 0};
    if (ad_store_case_open(st, &cb, &big, &err) != AD_OK ||
        ad_store_case_open(st, &cs, &small, &err) != AD_OK)
        die("cases", err.msg);
    int64_t series[SERIES];
    ad_store_set_actor(st, "bench", hub_id);
    for (int s = 0; s < SERIES; s++) {
        char name[32], code[32], contact[64];
        snprintf(name, sizeof name, "Series %02d", s);
        snprintf(contact, sizeof contact, "vid%02d@hub.example", s);
        snprintf(code, sizeof code, "V-%02d", s);
        ad_series x = {0, name, hub_id, NULL, contact, "active", 0, 0, 0, 0};
        int64_t pid;
        if (ad_store_series_create(st, &x, &series[s], &err) != AD_OK ||
            ad_store_person_add(st, AD_VICTIM, code, series[s], &pid, &err) != AD_OK ||
            (s % 2 && ad_store_person_identify(st, AD_VICTIM, code, hub_id, "NL", &err) != AD_OK))
            die("series", err.msg);
    }
    static int64_t known[KNOWN];
    exec(st, "BEGIN");
    for (size_t k = 0; k < KNOWN; k++) {
        known[k] = add_media(st, 1000000000ull + k, 0);
        if (k >= 2500)
            continue; /* in no series, not ignorable */
        ad_stmt *s = ad_db_stmt(st->db,
                                k < 2000 ? "INSERT INTO series_media (series_id, media_id, added)"
                                           " VALUES (?, ?, 1)"
                                         : "INSERT INTO trusted_category (media_id, scheme,"
                                           " code, since) VALUES (?, 'vics-us', '0', 1)",
                                &err);
        if (!s)
            die("known", err.msg);
        if (k < 2000) {
            ad_bind_int(s, 1, series[k % SERIES]);
            ad_bind_int(s, 2, known[k]);
        } else {
            ad_bind_int(s, 1, known[k]);
        }
        if (ad_db_run(s, &err) != AD_OK)
            die("known", err.msg);
    }
    exec(st, "COMMIT");
    fill_case(st, unit_id, big, "J-BIG", n, known, 0);
    fill_case(st, unit_id, small, "J-SMALL", SMALL, known, 500000000ull);
    exec(st, "ANALYZE");
}

static void sink(void *ctx, const char *who, int64_t agency_id, const char *action,
                 const char *object, const char *detail)
{
    (void)who, (void)agency_id, (void)action, (void)object, (void)detail;
    ++*(size_t *)ctx;
}

typedef struct {
    ad_call c;
    int64_t big, small;
    char deep[256]; /* the cursor of page 900 of BIG */
} ctx_t;

typedef enum { Q_SUMMARY, Q_GROUPS, Q_GROUPS50, Q_LATE, Q_FIRST, Q_DEEP, Q_COUNT } query;
static const char *const QNAME[] = {"summary (classes, known series)", "candidate groups, all",
                                    "candidate groups, first 50 (the page)",
                                    "candidate groups, the last page of 100",
                                    "first page of 50 files", "page 900 (keyset cursor)",
                                    "floor: SELECT count(*) of the items"};

static double cpu_now(void) /* this thread's CPU time: SQLite runs in it, the load does not */
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double last_cpu_ms;

static double run_one(ctx_t *x, query q, int64_t case_id, const char *cursor, size_t *out_n)
{
    ad_err err;
    json_t *doc = NULL;
    ad_code rc = AD_OK;
    double c0 = cpu_now(), t0 = ad_now();
    switch (q) {
    case Q_SUMMARY:
        rc = ad_svc_case_summary(&x->c, case_id, &doc, &err);
        break;
    case Q_GROUPS:
    case Q_GROUPS50:
        rc = ad_svc_case_groups(&x->c, case_id, q == Q_GROUPS ? 0 : 50, &doc, &err);
        break;
    case Q_LATE: /* the review queue's last page: after the group 100 before the last */
        rc = ad_svc_case_groups(&x->c, case_id, 1, &doc, &err);
        if (rc == AD_OK) {
            json_int_t total = json_integer_value(json_object_get(doc, "total"));
            json_decref(doc);
            doc = NULL;
            c0 = cpu_now(), t0 = ad_now();
            rc = ad_svc_case_groups_page(&x->c, case_id, total > 100 ? total - 100 : 0, 100,
                                         &doc, &err);
        }
        break;
    case Q_FIRST:
    case Q_DEEP:
        rc = ad_svc_case_files(&x->c, case_id, cursor, PAGE, &doc, &err);
        break;
    case Q_COUNT: {
        ad_stmt *s = ad_db_stmt(x->c.st->db,
                                "SELECT count(*) FROM ingest_item i JOIN ingest_job j ON"
                                " j.id = i.job_id WHERE j.case_id = ?",
                                &err);
        int64_t v = 0;
        if (!s)
            rc = err.code;
        else {
            ad_bind_int(s, 1, case_id);
            rc = ad_db_int(s, &v, &err);
        }
        *out_n = (size_t)v;
        break;
    }
    }
    double ms = (ad_now() - t0) * 1000.0;
    last_cpu_ms = (cpu_now() - c0) * 1000.0;
    if (rc != AD_OK)
        die(QNAME[q], err.msg);
    if (doc) {
        char *text = json_dumps(doc, JSON_COMPACT);
        *out_n = text ? strlen(text) : 0;
        free(text);
        json_decref(doc);
    }
    return ms;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median wall time of reps runs, and their median CPU time in *cpu. */
static double median(ctx_t *x, query q, int64_t case_id, const char *cursor, int reps,
                     size_t *n, double *cpu)
{
    double v[64], c[64];
    reps = reps > 64 ? 64 : reps;
    for (int r = 0; r < reps; r++) {
        v[r] = run_one(x, q, case_id, cursor, n);
        c[r] = last_cpu_ms;
    }
    qsort(v, (size_t)reps, sizeof *v, cmp_d);
    qsort(c, (size_t)reps, sizeof *c, cmp_d);
    *cpu = c[reps / 2];
    return v[reps / 2];
}

int main(int argc, char **argv)
{
    size_t n = 100000;
    int reps = 5;
    const char *url = NULL, *only = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            url = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i]; /* a subset of the requests: letters s g G l f d c */
        else {
            printf("usage: bench_case_page [-n FILES] [-r REPEATS] [--db URL] [--only sgGlfdc]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (n < 50000 || reps < 1)
        die("usage", "-n takes at least 50000 (page 900), -r at least 1");
    char def[256];
    if (!url) {
        mkdir("bench/out", 0700);
        snprintf(def, sizeof def, "sqlite:bench/out/case-page-%zu.db", n);
        url = def;
    }
    ad_store *st;
    ad_err err;
    if (ad_store_open(&st, url, AD_STORE_CREATE, &err) != AD_OK)
        die(url, err.msg);
    int64_t unit, big = 0, small = 0;
    if (ad_store_agency_find(st, "Unit", &unit, &err) != AD_OK) {
        double t0 = ad_now();
        make_store(st, n);
        printf("store made in %.1f s (%s)\n", ad_now() - t0, url);
        if (ad_store_agency_find(st, "Unit", &unit, &err) != AD_OK)
            die("agency", err.msg);
    }
    exec(st, "DELETE FROM case_groups"); /* so that the first groups request computes them */
    if (ad_store_case_find(st, unit, "BIG", &big, &err) != AD_OK ||
        ad_store_case_find(st, unit, "SMALL", &small, &err) != AD_OK)
        die("cases", err.msg);
    ad_identity id = {0};
    id.agency_id = unit;
    snprintf(id.user, sizeof id.user, "inv");
    snprintf(id.agency, sizeof id.agency, "Unit");
    id.role = AD_ROLE_INVESTIGATOR;
    int64_t uid;
    if (ad_store_user_find(st, "inv", &uid, &err) != AD_OK)
        die("user", err.msg);
    id.user_id = uid;
    ad_store_set_identity(st, &id);
    size_t reads = 0;
    ad_store_set_read_sink(st, sink, &reads);
    ctx_t x = {{st, NULL, &id, NULL}, big, small, ""};
    char hexjob[32];
    ad_hex_encode((const uint8_t *)"J-BIG", 5, hexjob);
    snprintf(x.deep, sizeof x.deep, "%s.%d.%016llx", hexjob, 900 * PAGE - 1,
             (unsigned long long)(900 * PAGE - 1));
    double load[3] = {0};
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = -1;
        fclose(la);
    }
    printf("case of %zu files against one of %d, %s, median of %d runs; load %.2f %.2f %.2f\n",
           n, SMALL, st->db->is_pg ? "PostgreSQL" : "SQLite", reps, load[0], load[1], load[2]);
    printf("(ms: wall clock; cpu: this thread's CPU time, which the machine's load does not"
           " inflate; ratio: big / small by wall clock)\n");
    printf("%-38s %9s %9s %9s %7s %10s\n", "request", "big ms", "big cpu", "small ms", "ratio",
           "big bytes");
    for (query q = Q_SUMMARY; q <= Q_COUNT; q++) {
        size_t nb = 0, ns = 0;
        if (only && !strchr(only, "sgGlfdc"[q]))
            continue;
        double c0 = cpu_now(), t0 = ad_now(), cb, cs;
        run_one(&x, q, big, q == Q_DEEP ? x.deep : NULL, &nb); /* the first: fills caches */
        double first = (ad_now() - t0) * 1000.0, first_cpu = (cpu_now() - c0) * 1000.0;
        double mb = median(&x, q, big, q == Q_DEEP ? x.deep : NULL, reps, &nb, &cb);
        double ms = median(&x, q, small, NULL, reps, &ns, &cs);
        printf("%-38s %9.2f %9.2f %9.2f %7.1f %10zu%s\n", QNAME[q], mb, cb, ms,
               ms > 0 ? mb / ms : 0, nb, q != Q_COUNT && cb >= 100.0 ? "  OVER 100 ms" : "");
        if (q == Q_GROUPS)
            printf("%-38s %9.2f %9.2f  (the first request: none kept)\n",
                   "  candidate groups, computed and kept", first, first_cpu);
    }
    ad_store_close(st);
    return 0;
}
