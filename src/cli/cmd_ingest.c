/* cmd_ingest.c: `ariadne ingest`: triage a seizure into a case, then write its report
 * (cmd_report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ariadne/ingest.h"
#include "cli.h"

int ad_cmd_ingest(int argc, char **argv)
{
    static const char *const opts[] = {
        "--case",        "--agency", "--exhibit", "--job",   "--radius",
        "--min-quality", "-j",       "--report",  "--batch", NULL};
    int fast = ad_args_take_flag(&argc, argv, "--fast");
    int thumbs = ad_args_take_flag(&argc, argv, "--thumbnails");
    int no_report = ad_args_take_flag(&argc, argv, "--no-report");
    int no_video = ad_args_take_flag(&argc, argv, "--no-video");
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(
        &a, &st, "ingest",
        "ingest PATH... --case REF --agency NAME [--exhibit ID] [--job ID] [--fast] [-j N]\n"
        "              [--radius 31] [--min-quality 50] [--report DIR] [--thumbnails] "
        "[--no-report] [--no-video]\n"
        "  Triage of a seizure: walks folders and archives, hashes every file (digests, PDQ with\n"
        "  its 8 variants, vPDQ for video, EXIF clues), matches it against the database and\n"
        "  records media, sightings and the match behind each file's class. --job ID resumes a\n"
        "  job that was stopped (ingest prints its id). The report goes to DIR (default\n"
        "  ./report-<case>); --thumbnails adds blurred greyscale thumbnails.",
        argc, argv, opts, 1, AD_ARGS_MAX, 0);
    if (rc >= 0)
        return rc;
    ad_ingest_opts io;
    ad_ingest_opts_default(&io);
    io.case_number = ad_arg(&a, "--case");
    io.agency = ad_arg(&a, "--agency");
    io.exhibit = ad_arg(&a, "--exhibit");
    io.job_id = ad_arg(&a, "--job");
    io.fast = fast;
    io.video = !no_video;
    io.progress = stderr;
    if (!io.case_number || !io.agency)
        return ad_cli_close(st, ad_args_usage_error(&a, "--case and --agency are required"));
    if (ad_arg(&a, "--radius"))
        io.radius = atoi(ad_arg(&a, "--radius"));
    if (ad_arg(&a, "--min-quality"))
        io.min_quality = atoi(ad_arg(&a, "--min-quality"));
    if (ad_arg(&a, "-j"))
        io.threads = atoi(ad_arg(&a, "-j"));
    if (ad_arg(&a, "--batch")) /* rows per transaction (tests use small ones) */
        io.batch = atoi(ad_arg(&a, "--batch"));
    if (io.radius < 0 || io.radius > 64 || io.min_quality < 0 || io.min_quality > 100 ||
        io.threads < 0)
        return ad_cli_close(st, ad_args_usage_error(&a, "bad --radius, --min-quality or -j"));
    ad_ingest_stats s;
    ad_err err;
    if (ad_ingest(st, a.pos, (size_t)a.npos, &io, &s, &err) != AD_OK) {
        if (s.job_id[0])
            fprintf(stderr, "ariadne ingest: stopped; resume with --job %s\n", s.job_id);
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    }
    if (!a.json)
        printf("job %s%s: %llu files (%llu already done, %llu known copies not decoded), %.1f MB "
               "in %.1f s, %llu errors\n",
               s.job_id, s.resumed ? " (resumed)" : "", (unsigned long long)s.files,
               (unsigned long long)s.skipped, (unsigned long long)s.not_decoded, s.bytes / 1e6,
               s.seconds, (unsigned long long)s.errors);
    char dir[1024];
    const char *d = ad_cli_report_dir(ad_arg(&a, "--report"), io.case_number, dir, sizeof dir);
    rc = no_report ? AD_EXIT_OK
                   : ad_cli_make_report(&a, st, io.agency, io.case_number, d, thumbs, 0);
    return ad_cli_close(st, rc);
}
