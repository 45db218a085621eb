/* cmd_report.c: `ariadne report`: the case report made again from the database, and the
 * report step that `ariadne ingest` ends with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ariadne/ingest.h"
#include "ariadne/util.h"
#include "cli.h"

/* The report folder: --out/--report DIR, else ./report-<case> ('/' in the case made '_'). */
const char *ad_cli_report_dir(const char *given, const char *case_no, char *buf, size_t n)
{
    if (given)
        return given;
    snprintf(buf, n, "report-%s", case_no);
    for (char *p = buf; *p; p++)
        if (*p == '/')
            *p = '_';
    return buf;
}

/* Where the report comes from: the store, every job of the case, who made it, the version. */
static void print_provenance(const ad_report *r)
{
    printf("  store: %s\n", r->store);
    for (size_t j = 0; j < r->njobs; j++) {
        const ad_report_job *jb = &r->jobs[j];
        char t0[32], t1[32];
        printf("  job %s (%s, run by %s, %s to %s%s%s):", jb->id, jb->status ? jb->status : "?",
               jb->who ? jb->who : "?", jb->started ? ad_time_iso(jb->started, t0) : "?",
               jb->finished ? ad_time_iso(jb->finished, t1) : "-", jb->exhibit ? ", exhibit " : "",
               jb->exhibit ? jb->exhibit : "");
        const char *it = jb->roots, *root;
        size_t n;
        while (ad_report_job_root(&it, &root, &n))
            printf(" %.*s", (int)n, root);
        putchar('\n');
    }
    printf("  report made %s by %s (operating-system user %s) with Ariadne %s\n", r->generated,
           r->actor, r->os_user[0] ? r->os_user : "unknown", r->version);
    if (r->audit_anchor[0])
        printf("  audit anchor %s (later: ariadne audit verify --anchor %s)\n", r->audit_anchor,
               r->audit_anchor);
}

static void print_summary(const ad_report *r, const char *dir)
{
    printf("\nCase %s (%s): %zu files\n", r->case_number, r->agency, r->n);
    print_provenance(r);
    static const char *const what[AD_RC__COUNT] = {
        "not in the database: review first, a child may be at risk",
        "known series, victim NOT identified: contact the owner",
        "known, in no series",
        "known series, victims identified: set aside",
        "known non-pertinent",
        "could not be read (see the report)",
        "not an image or video (digests recorded)",
    };
    for (int c = 0; c < AD_RC__COUNT; c++)
        printf("  %-20s %7zu  %s\n", ad_report_class_name((ad_report_class)c), r->counts[c],
               what[c]);
    if (r->ngroups)
        printf("  new material grouped into %zu candidate series\n", r->ngroups);
    size_t *first, nfirst;
    if (ad_report_unidentified_series(r, &first, &nfirst, NULL) == AD_OK) {
        for (size_t f = 0; f < nfirst; f++) {
            const ad_report_item *it = &r->items[first[f]];
            printf("  series '%s': owner %s, contact %s\n", it->series_name ? it->series_name : "?",
                   it->series_owner ? it->series_owner : "?",
                   it->series_contact ? it->series_contact : "?");
        }
        free(first);
    }
    if (dir)
        printf("Report: %s/report.html (also report.json, report.csv, case.vics.json)\n", dir);
}

int ad_cli_make_report(const ad_args *a, ad_store *st, const char *agency, const char *case_no,
                       const char *dir, int thumbnails, int quiet)
{
    ad_report_opts ro = {thumbnails, 31, 50, 3600};
    ad_report r;
    ad_err err;
    if (ad_report_build(st, agency, case_no, &ro, &r, &err))
        return ad_cli_fail(a, &err);
    if (dir && ad_report_write_dir(st, &r, dir, &err)) { /* a full disk, say: r was leaked */
        ad_report_free(&r);
        return ad_cli_fail(a, &err);
    }
    if (a->json) {
        ad_report_write_json(&r, stdout, NULL);
    } else if (!quiet) {
        print_summary(&r, dir);
    }
    ad_report_free(&r);
    return AD_EXIT_OK;
}

int ad_cmd_report(int argc, char **argv)
{
    static const char *const opts[] = {"--case", "--agency", "--out", NULL};
    int thumbs = ad_args_take_flag(&argc, argv, "--thumbnails");
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "report",
                          "report --case REF --agency NAME [--out DIR] [--thumbnails] [--json]\n"
                          "  The case report from the database: report.html, report.json, "
                          "report.csv and\n  case.vics.json in DIR (default ./report-<case>); "
                          "--json prints the JSON report too.\n"
                          "  --thumbnails: the thumbnails the agency's ingests kept (ingest "
                          "--thumbnails), blurred\n  and greyscale until clicked; never read "
                          "from the files' paths.",
                          argc, argv, opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    const char *c = ad_arg(&a, "--case"), *ag = ad_arg(&a, "--agency");
    if (!c || !ag)
        return ad_cli_close(st, ad_args_usage_error(&a, "--case and --agency are required"));
    char dir[1024];
    const char *d = ad_cli_report_dir(ad_arg(&a, "--out"), c, dir, sizeof dir);
    return ad_cli_close(st, ad_cli_make_report(&a, st, ag, c, d, thumbs, 0));
}
