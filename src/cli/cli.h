/* cli.h: the sub-commands of the `ariadne` program and helpers they share. */
#ifndef ARIADNE_CLI_H
#define ARIADNE_CLI_H

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

/* Prints "ariadne <cmd>: <message>" on stderr. */
void ad_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
