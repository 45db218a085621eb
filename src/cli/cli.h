/* cli.h: the sub-commands of the `ariadne` program and helpers they share. */
#ifndef ARIADNE_CLI_H
#define ARIADNE_CLI_H

#include <stdint.h>
#include <stdio.h>

/* Exit codes shared by every sub-command. */
enum { AD_EXIT_OK = 0, AD_EXIT_FAIL = 1, AD_EXIT_USAGE = 2 };

/* One entry per sub-command; each lives in cmd_<name>.c. */
int ad_cmd_hash(int argc, char **argv);
int ad_cmd_ingest(int argc, char **argv);
int ad_cmd_report(int argc, char **argv);
int ad_cmd_import(int argc, char **argv);
int ad_cmd_export(int argc, char **argv);
int ad_cmd_match(int argc, char **argv);
int ad_cmd_vpdq(int argc, char **argv);
int ad_cmd_similar(int argc, char **argv);

int ad_cmd_db(int argc, char **argv);
int ad_cmd_agency(int argc, char **argv);
int ad_cmd_user(int argc, char **argv);
int ad_cmd_series(int argc, char **argv);
int ad_cmd_victim(int argc, char **argv);
int ad_cmd_offender(int argc, char **argv);
int ad_cmd_case(int argc, char **argv);
int ad_cmd_media(int argc, char **argv);
int ad_cmd_vote(int argc, char **argv);
int ad_cmd_note(int argc, char **argv);
int ad_cmd_audit(int argc, char **argv);
int ad_cmd_serve(int argc, char **argv);
int ad_cmd_list(int argc, char **argv);
int ad_cmd_instance(int argc, char **argv);
int ad_cmd_peer(int argc, char **argv);
int ad_cmd_bundle(int argc, char **argv);
int ad_cmd_sync(int argc, char **argv);

/* Prints "ariadne <cmd>: <message>" on stderr. */
void ad_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The one-line description of a command (main.c's table), NULL if there is no such command. */
const char *ad_cli_command_help(const char *cmd);
/* The words a common option at argv[i] takes: 1 (--json, --db=URL), 2 (--db URL, --as USER),
 * 0 when argv[i] is not one, -1 when its value is missing. */
int ad_cli_global_option(int argc, char **argv, int i);
/* `CMD --db x --json SUB ...` becomes `CMD SUB --db x --json ...` (argv reordered in place). */
void ad_cli_globals_after_sub(int argc, char **argv);
/* The "Common options" paragraph of every --help. */
void ad_cli_common_help(FILE *out);

/* Option values as numbers, checked (args.c): the whole text must be a number in [lo, hi].
 * ad_cli_parse_int returns 0 or -1, quietly. ad_cli_int and ad_cli_real leave *out alone and
 * return 0 when text is NULL (option absent); on a bad value they print "ariadne CMD: OPT takes
 * a whole number from LO to HI, not 'TEXT'" and return AD_EXIT_USAGE. */
int ad_cli_parse_int(const char *text, long long lo, long long hi, long long *out);
/* A size: bytes, or a whole number with K, M, G or T (powers of 1024; "KiB", "MB" read the same):
 * 0, or -1 when text is not one. */
int ad_cli_parse_size(const char *text, uint64_t *out);
int ad_cli_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi,
               long long *out);
/* After getopt_long (opterr = 0, optstring starting with ':') returned c = '?' or ':': prints
 * which option is unknown, lacks its value or takes none; returns AD_EXIT_USAGE. */
int ad_cli_getopt_error(const char *cmd, int c, char **argv);
int ad_cli_real(const char *cmd, const char *opt, const char *text, double lo, double hi,
                double *out);

#endif
