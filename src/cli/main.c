/* main.c: the `ariadne` program: dispatches to one sub-command per file (cmd_*.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ariadne/version.h"
#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"ingest", ad_cmd_ingest, "triage a seizure: hash, match, classify, record, report"},
    {"report", ad_cmd_report, "the triage report of a case, from the database"},
    {"hash", ad_cmd_hash, "digests and PDQ hashes of image files and folders"},
    {"match", ad_cmd_match, "exact Hamming-radius matching of hash lists (match index)"},
    {"db", ad_cmd_db, "create the database or migrate its schema"},
    {"agency", ad_cmd_agency, "agencies (police units, hotlines, platforms, hubs)"},
    {"user", ad_cmd_user, "users and their API keys"},
    {"series", ad_cmd_series, "series: owner, contact, victims, offenders, media"},
    {"victim", ad_cmd_victim, "victims of a series and their identification"},
    {"offender", ad_cmd_offender, "offenders of a series and their identification"},
    {"case", ad_cmd_case, "an agency's cases"},
    {"media", ad_cmd_media, "what is known about a media, by any hash"},
    {"vote", ad_cmd_vote, "a category vote on a media"},
    {"note", ad_cmd_note, "notes and clues on records"},
    {"import", ad_cmd_import, "import VICS JSON, ICSE CSV or hash lists into the database"},
    {"export", ad_cmd_export, "export the database (or a list, a series) as VICS, ICSE CSV or hashes"},
    {"audit", ad_cmd_audit, "verify and show the tamper-evident audit trail"},
    {"vpdq", ad_cmd_vpdq, "vPDQ frame hashes of videos; 'vpdq match A B' compares two"},
};

void ad_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ariadne %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: ariadne <command> [options] [args]\n\n"
                 "Ariadne finds known and new material in seized media and shares hash lists.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'ariadne <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return AD_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return AD_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ariadne %s\n", AD_VERSION);
        return AD_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ariadne: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return AD_EXIT_USAGE;
}
