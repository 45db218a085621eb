/* cmd_ingest.c: `ariadne ingest`: triage a seizure into a case, then write its report
 * (cmd_report.c). Prints the job id first (the first JSON Lines record with --json), a progress
 * line on a terminal (a ticker thread redraws it 4 times a second from the latest snapshot of
 * ingest's stats; the last state stays), and a summary; exit 0 all done, 1 some files failed, 2
 * usage. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "ariadne/ingest.h"
#include "ariadne/json.h"
#include "ariadne/service.h"
#include "ariadne/util.h"
#include "cli.h"

struct view {
    const ad_args *a;
    const ad_ingest_opts *io;
    int tty, quiet, started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    double start;
    ad_ingest_stats s; /* the latest snapshot */
    int have;
    pthread_t ticker;
    int ticking, stop;
};

static void jstr(const char *s)
{
    if (s)
        ad_json_string(stdout, s, strlen(s));
    else
        fputs("null", stdout);
}

/* The roots text (escaped, one a line) as a JSON array. */
static void jroots(const char *text)
{
    putchar('[');
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (p != text)
            putchar(',');
        ad_json_string(stdout, p, n);
        p += n + (e != NULL);
    }
    putchar(']');
}

/* The job, first: a line, or the first JSON record. */
static void print_start(const struct view *v, const ad_ingest_stats *s)
{
    if (v->a->json) {
        printf("{\"job\":");
        jstr(s->job_id);
        printf(",\"resumed\":%s,\"auto_resumed\":%s,\"case\":", s->resumed ? "true" : "false",
               s->auto_resumed ? "true" : "false");
        jstr(v->io->case_number);
        printf(",\"agency\":");
        jstr(v->io->agency);
        printf(",\"exhibit\":");
        jstr(v->io->exhibit);
        printf(",\"roots\":");
        jroots(s->roots);
        printf("}\n");
    } else {
        printf("job %s: %s, case %s\n", s->job_id,
               s->auto_resumed ? "resumed (an unfinished job of this case on the same roots)"
               : s->resumed    ? "resumed"
                               : "new",
               v->io->case_number);
    }
    fflush(stdout);
}

static void human(double b, char *buf, size_t n)
{
    const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000 && i < 4)
        b /= 1000, i++;
    snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

/* One progress line: files and bytes hashed, rates, once the roots are counted the share of
 * their bytes done and an ETA, then the counts per class. Cut to the terminal's width. */
static void draw(const ad_ingest_stats *s)
{
    char line[512], b[32], rate[32];
    double el = s->seconds > 0 ? s->seconds : 1e-9;
    human((double)s->hashed_bytes, b, sizeof b);
    human((double)s->hashed_bytes / el, rate, sizeof rate);
    int n = snprintf(line, sizeof line, "ingest %llu files %s, %.1f files/s %s/s",
                     (unsigned long long)s->hashed, b, (double)s->hashed / el, rate);
    if (!s->counted) {
        n += snprintf(line + n, sizeof line - (size_t)n, ", counting...");
    } else {
        char t[32];
        human((double)s->total_bytes, t, sizeof t);
        double done = s->total_bytes ? (double)s->disk_bytes / (double)s->total_bytes : 1;
        double bps = (double)s->disk_bytes / el;
        double left = bps > 0 ? ((double)s->total_bytes - (double)s->disk_bytes) / bps : 0;
        done = done > 1 ? 1 : done;
        left = left < 0 ? 0 : left;
        n += snprintf(line + n, sizeof line - (size_t)n, ", %.0f%% of %llu files %s, ETA %dm%02ds",
                      100 * done, (unsigned long long)s->total_files, t, (int)(left / 60),
                      (int)left % 60);
    }
    static const char *const label[AD_RC__COUNT] = {
        "new", "unidentified", "unseriesed", "identified", "ignorable", "errors", "other"};
    for (int c = 0; c < AD_RC__COUNT && n < (int)sizeof line; c++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s %llu", c ? ", " : " | ", label[c],
                      (unsigned long long)s->counts[c]);
    struct winsize ws; /* cut to the width, when the terminal says it */
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && strlen(line) >= ws.ws_col)
        line[ws.ws_col - 1] = '\0';
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

static void on_progress(void *ctx, const ad_ingest_stats *s)
{
    struct view *v = ctx;
    if (!v->started) { /* the first call: the job is open */
        v->started = 1;
        print_start(v, s);
    }
    pthread_mutex_lock(&v->mu);
    v->s = *s;
    v->s.roots = NULL;
    v->have = 1;
    pthread_mutex_unlock(&v->mu);
}

/* Redraws the line 4 times a second until stopped. */
static void *ticker_main(void *arg)
{
    struct view *v = arg;
    pthread_mutex_lock(&v->mu);
    while (!v->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&v->cv, &v->mu, &ts);
        if (!v->stop && v->have) {
            ad_ingest_stats s = v->s;
            s.seconds = ad_now() - v->start;
            draw(&s);
        }
    }
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

/* Stops the ticker; the last state stays on its line. */
static void end_progress(struct view *v)
{
    if (!v->ticking)
        return;
    pthread_mutex_lock(&v->mu);
    v->stop = 1;
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
    pthread_join(v->ticker, NULL);
    if (v->have) {
        v->s.seconds = ad_now() - v->start;
        draw(&v->s);
        fputc('\n', stderr);
    }
    fflush(stderr);
}

static void print_counts(const ad_ingest_stats *s)
{
    printf("\"counts\":{");
    for (int c = 0; c < AD_RC__COUNT; c++)
        printf("%s\"%s\":%llu", c ? "," : "", ad_report_class_name((ad_report_class)c),
               (unsigned long long)s->counts[c]);
    putchar('}');
}

static void print_summary(const ad_args *a, const ad_ingest_stats *s, const char *report,
                          int exit_code)
{
    if (a->json) {
        printf("{\"summary\":{\"job\":");
        jstr(s->job_id);
        printf(",\"rows\":%llu,\"files\":%llu,\"already_done\":%llu,\"not_decoded\":%llu,"
               "\"errors\":%llu,\"bytes\":%llu,\"memory_budget\":%llu,\"seconds\":%.3f,",
               (unsigned long long)s->rows, (unsigned long long)s->files,
               (unsigned long long)s->skipped, (unsigned long long)s->not_decoded,
               (unsigned long long)s->errors, (unsigned long long)s->bytes,
               (unsigned long long)s->memory_budget, s->seconds);
        print_counts(s);
        printf(",\"report\":");
        jstr(report);
        printf(",\"exit\":%d}}\n", exit_code);
        return;
    }
    printf("job %s%s: %llu files (%llu already done, %llu known copies not decoded), %.1f MB in "
           "%.1f s, %llu errors\n",
           s->job_id, s->resumed ? " (resumed)" : "", (unsigned long long)s->files,
           (unsigned long long)s->skipped, (unsigned long long)s->not_decoded, s->bytes / 1e6,
           s->seconds, (unsigned long long)s->errors);
}

static void print_error(const ad_args *a, const ad_err *err, const ad_ingest_stats *s)
{
    if (a->json) {
        printf("{\"error\":{\"code\":\"%s\",\"message\":", ad_code_name(err->code));
        jstr(err->msg);
        printf(",\"job\":");
        jstr(s->job_id[0] ? s->job_id : NULL);
        printf(",\"refused\":%s}}\n", s->refused ? "true" : "false");
    }
    ad_cli_error(a->prog, "%s", err->msg);
    if (!s->refused && s->job_id[0])
        fprintf(stderr, "ariadne ingest: stopped; resume with --job %s\n", s->job_id);
}

/* The case page's candidate groups computed now (kept in the store), so that the first view of
 * the case costs no more than the next; a failure here only means they are computed then. */
static void warm_groups(ad_store *st, const ad_ingest_opts *io)
{
    int64_t agency, case_id;
    ad_identity id;
    ad_call c;
    ad_err err;
    if (ad_store_agency_find(st, io->agency, &agency, &err) != AD_OK ||
        ad_store_case_find(st, agency, io->case_number, &case_id, &err) != AD_OK)
        return;
    ad_cli_call(st, &id, &c);
    ad_svc_case_groups_refresh(&c, case_id, &err);
}

static const char usage[] =
    "ingest PATH... --case REF --agency NAME [--exhibit ID] [--job ID | --new-job] [--fast]\n"
    "              [-j|--jobs N] [--radius 31] [--min-quality 50] [--report DIR]\n"
    "              [--thumbnails | --no-thumbnails] [--max-memory SIZE] [--no-report]\n"
    "              [--no-video] [--no-features] [-q|--quiet] [--json]\n"
    "  Triage of a seizure: walks folders and archives, hashes every file (digests, PDQ with\n"
    "  its 8 variants, vPDQ for video, EXIF clues; exact copies of known media are not\n"
    "  decoded), matches it against the database, decides each file's class as 'media show'\n"
    "  does and records media, sightings and the match that decided it. Prints the job id\n"
    "  first. The same roots again in the same case: an unfinished job on them is resumed; a\n"
    "  finished one makes ingest refuse (exit 2) unless --job ID (resume that job: only what it\n"
    "  has not recorded) or --new-job (ingest them again as a new job, which then replaces the\n"
    "  earlier one in the report).\n"
    "  --max-memory SIZE: the memory the whole run may use (bytes, or with K, M, G, T: 2G,\n"
    "  512M; at least 128M; default 3/4 of the memory available, from MemAvailable and the\n"
    "  cgroup's limit). Files and archive members that need more than it allows are error rows\n"
    "  'limit'; big ones are hashed one at a time.\n"
    "  Local features (docs/features.md) of every image decoded are stored, and an image that\n"
    "  digests and PDQ did not find is searched by them: a crop, tilt, re-share or bordered copy\n"
    "  of a known picture takes its class (match kind 'feature'); a picture of the same scene is\n"
    "  reported as a possible link. --no-features: neither.\n"
    "  --quiet: no progress line and no summary. Progress shows on stderr when it is a terminal.\n"
    "  The report goes to DIR (default ./report-<case>). A small thumbnail of every image and\n"
    "  video decoded is kept in the database for this agency, made from the bytes hashed (exact\n"
    "  copies of known media are not decoded and make none); --no-thumbnails: none.\n"
    "  --thumbnails: also shows them in the report (blurred and greyscale until clicked).\n"
    "  --json: JSON Lines on stdout\n"
    "  (docs/schemas/ingest.schema.json): the job, then a summary (or an error).\n"
    "  Exit status: 0 every file done, 1 some files failed (errors in the report) or ingest\n"
    "  stopped, 2 usage (a root that does not exist, the same roots already ingested...).";

int ad_cmd_ingest(int argc, char **argv)
{
    static const char *const opts[] = {"--case",   "--agency",      "--exhibit",    "--job",
                                       "--radius", "--min-quality", "-j",           "--jobs",
                                       "--report", "--batch",       "--max-memory", NULL};
    int fast = ad_args_take_flag(&argc, argv, "--fast");
    int thumbs = ad_args_take_flag(&argc, argv, "--thumbnails"); /* made anyway: shown */
    int no_thumbs = ad_args_take_flag(&argc, argv, "--no-thumbnails");
    int no_report = ad_args_take_flag(&argc, argv, "--no-report");
    int no_video = ad_args_take_flag(&argc, argv, "--no-video");
    int no_features = ad_args_take_flag(&argc, argv, "--no-features");
    int new_job = ad_args_take_flag(&argc, argv, "--new-job");
    int quiet = ad_args_take_flag(&argc, argv, "--quiet");
    quiet |= ad_args_take_flag(&argc, argv, "-q");
    ad_args a;
    int rc = ad_args_parse(&a, "ingest", usage, argc, argv, opts, 1, AD_ARGS_MAX);
    if (rc >= 0)
        return rc;
    ad_ingest_opts io;
    ad_ingest_opts_default(&io);
    io.case_number = ad_arg(&a, "--case");
    io.agency = ad_arg(&a, "--agency");
    io.exhibit = ad_arg(&a, "--exhibit");
    io.job_id = ad_arg(&a, "--job");
    io.new_job = new_job;
    io.fast = fast;
    io.video = !no_video;
    io.features = !no_features;
    io.thumbnails = !no_thumbs;
    if (!io.case_number || !io.agency)
        return ad_args_usage_error(&a, "--case and --agency are required");
    if (io.job_id && new_job)
        return ad_args_usage_error(&a, "--job and --new-job exclude each other");
    if (thumbs && no_thumbs)
        return ad_args_usage_error(&a, "--thumbnails and --no-thumbnails exclude each other");
    if (ad_arg_int(&a, "--radius", 0, 64, &io.radius) ||
        ad_arg_int(&a, "--min-quality", 0, 100, &io.min_quality) ||
        ad_arg_int(&a, "-j", 0, 1024, &io.threads) ||
        ad_arg_int(&a, "--jobs", 0, 1024, &io.threads) ||
        ad_arg_int(&a, "--batch", 1, 512, &io.batch)) /* rows per transaction (tests use small) */
        return AD_EXIT_USAGE;
    const char *mm = ad_arg(&a, "--max-memory");
    if (mm && (ad_cli_parse_size(mm, &io.max_memory) || io.max_memory < (128ull << 20)))
        return ad_args_usage_error(&a,
                                   "--max-memory takes a size of at least 128M (bytes, or with "
                                   "K, M, G, T: 2G, 512M), not '%s'",
                                   mm);
    for (int i = 0; i < a.npos; i++) {
        struct stat st;
        if (stat(a.pos[i], &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
            return ad_args_usage_error(&a, "no such file or folder: %s", a.pos[i]);
    }
    ad_store *st;
    if ((rc = ad_cli_open(&a, &st, 0)) >= 0)
        return rc;
    struct view v = {.a = &a, .io = &io, .quiet = quiet};
    v.tty = !quiet && isatty(STDERR_FILENO);
    pthread_mutex_init(&v.mu, NULL);
    pthread_cond_init(&v.cv, NULL);
    v.start = ad_now();
    io.progress = on_progress;
    io.progress_ctx = &v;
    io.count = v.tty;
    if (v.tty && pthread_create(&v.ticker, NULL, ticker_main, &v) == 0)
        v.ticking = 1;
    ad_ingest_stats s;
    ad_err err;
    ad_code ic = ad_ingest(st, (const char *const *)a.pos, (size_t)a.npos, &io, &s, &err);
    end_progress(&v);
    pthread_mutex_destroy(&v.mu);
    pthread_cond_destroy(&v.cv);
    if (ic != AD_OK) {
        print_error(&a, &err, &s);
        return ad_cli_close(st, s.refused ? AD_EXIT_USAGE : AD_EXIT_FAIL);
    }
    warm_groups(st, &io);
    char dir[1024];
    const char *d =
        no_report ? NULL
                  : ad_cli_report_dir(ad_arg(&a, "--report"), io.case_number, dir, sizeof dir);
    rc = s.errors ? AD_EXIT_FAIL : AD_EXIT_OK;
    if (!a.json && !quiet)
        print_summary(&a, &s, d, rc);
    if (d) {
        ad_args ra = a; /* the report's files are written; with --json its summary is not printed */
        ra.json = 0;
        int r2 = ad_cli_make_report(&ra, st, io.agency, io.case_number, d, thumbs, quiet || a.json);
        if (r2 != AD_EXIT_OK)
            rc = r2;
    }
    if (a.json)
        print_summary(&a, &s, d, rc);
    return ad_cli_close(st, rc);
}
