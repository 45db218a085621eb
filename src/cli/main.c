/* main.c: the `ariadne` program: puts the common options given before the command after it,
 * then dispatches to one command per file (cmd_*.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
    {"list", ad_cmd_list, "hash lists and the platform agencies they are granted to"},
    {"import", ad_cmd_import, "import VICS JSON, ICSE CSV or hash lists into the database"},
    {"export", ad_cmd_export,
     "export the database (or a list, a series) as VICS, ICSE CSV or hashes"},
    {"audit", ad_cmd_audit, "verify and show the tamper-evident audit trail"},
    {"similar", ad_cmd_similar, "known media sharing content with a picture (crops, tilts, scenes)"},
    {"vpdq", ad_cmd_vpdq, "vPDQ frame hashes of videos; 'vpdq match A B' compares two"},
    {"serve", ad_cmd_serve, "the HTTP API over the store (keys, TLS, access log, metrics)"},
    {"instance", ad_cmd_instance, "this instance's federation identity (UUID, Ed25519 key)"},
    {"peer", ad_cmd_peer, "the peer instances this one trusts, by public key"},
    {"bundle", ad_cmd_bundle, "signed change sets as a file, for and from a peer (offline)"},
    {"sync", ad_cmd_sync, "exchange change sets with a peer over HTTP"},
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

const char *ad_cli_command_help(const char *cmd)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].help;
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: ariadne [--db URL] [--as USER] [--json] <command> [options] [args]\n\n"
                 "Ariadne finds known and new material in seized media and shares hash lists.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'ariadne <command> --help' describes each command.\n");
    if (out == stdout) {
        ad_cli_common_help(out);
        fprintf(out, "  --version     the version of Ariadne\n");
    }
}

/* Moves the common options given before the command right after it, where every command
 * reads them: `ariadne --db x.db series list` runs as `ariadne series --db x.db list` (commands
 * with sub-commands move them once more, after the sub-command). Returns the new argument
 * count, or -1 after a usage error. */
static int normalise(int argc, char **argv, char **out)
{
    char *globals[16];
    int ng = 0, i = 1;
    for (int k; i < argc && (k = ad_cli_global_option(argc, argv, i)) != 0; i += k) {
        if (k < 0 || ng + k > (int)(sizeof globals / sizeof globals[0])) {
            if (k < 0)
                fprintf(stderr, "ariadne: %s needs a value\n", argv[i]);
            else
                fprintf(stderr, "ariadne: too many common options\n");
            return -1;
        }
        for (int j = 0; j < k; j++)
            globals[ng++] = argv[i + j];
    }
    int n = 0;
    if (i < argc)
        out[n++] = argv[i++]; /* the command */
    for (int j = 0; j < ng; j++)
        out[n++] = globals[j];
    while (i < argc)
        out[n++] = argv[i++];
    out[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    char **av = calloc((size_t)argc + 1, sizeof *av);
    if (!av) {
        fprintf(stderr, "ariadne: out of memory\n");
        return AD_EXIT_FAIL;
    }
    int n = normalise(argc, argv, av);
    int rc = AD_EXIT_USAGE;
    if (n < 0) {
        usage(stderr);
    } else if (n == 0 || av[0][0] == '-') {
        const char *s = n ? av[0] : "";
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(stdout);
            rc = AD_EXIT_OK;
        } else if (!strcmp(s, "--version")) {
            printf("ariadne %s\n", AD_VERSION);
            rc = AD_EXIT_OK;
        } else {
            if (*s)
                fprintf(stderr, "ariadne: unknown option '%s'\n", s);
            usage(stderr);
        }
    } else if (!strcmp(av[0], "help")) {
        usage(stdout);
        rc = AD_EXIT_OK;
    } else {
        size_t i = 0;
        while (i < sizeof commands / sizeof commands[0] && strcmp(av[0], commands[i].name))
            i++;
        if (i < sizeof commands / sizeof commands[0]) {
            rc = commands[i].fn(n, av);
        } else {
            fprintf(stderr, "ariadne: unknown command '%s'\n", av[0]);
            usage(stderr);
        }
    }
    free(av);
    return rc;
}
