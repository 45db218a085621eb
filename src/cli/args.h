/* args.h: argument parsing and store opening shared by the record commands (agency, user,
 * series, victim, offender, case, media, vote, note, audit, db). */
#ifndef AD_CLI_ARGS_H
#define AD_CLI_ARGS_H

#include <jansson.h>
#include <stddef.h>

#include "ariadne/service.h"
#include "ariadne/store.h"

#define AD_ARGS_MAX 32

typedef struct ad_args {
    const char *prog;              /* "series create", for messages */
    const char *usage;             /* the usage text (after "usage: ariadne ") */
    const char *const *value_opts; /* the options that take a value, as given to ad_args_parse */
    const char *keys[AD_ARGS_MAX], *vals[AD_ARGS_MAX];
    int nkv;
    const char *pos[AD_ARGS_MAX];
    int npos;
    int json;
} ad_args;

/* Parses argv (argv[0] is the sub-command's name). value_opts lists the options that take a
 * value besides the common --db and --as (NULL-terminated, e.g. {"--kind", NULL}); --json and
 * --help (-h) are flags. A value comes as `--opt VALUE` or `--opt=VALUE`; -j and --jobs, -o and
 * --output are one option (kept under the spelling value_opts lists). Positional arguments must
 * number between min_pos and max_pos. Returns -1 to go on, or the exit code to return now (0 after
 * --help, 2 on a usage error). */
int ad_args_parse(ad_args *a, const char *prog, const char *usage, int argc, char **argv,
                  const char *const *value_opts, int min_pos, int max_pos);
/* Removes every `name` from argv (a boolean flag the common parser does not know); returns 1 if
 * it was there. *argc is updated and argv stays NULL-terminated. */
int ad_args_take_flag(int *argc, char **argv, const char *name);
/* Value of an option, NULL if absent. */
const char *ad_arg(const ad_args *a, const char *name);
/* Value of option `name` as a whole number in [lo, hi] into *out (left alone when the option is
 * absent). Returns 0, or AD_EXIT_USAGE after a message naming the option (ad_cli_int). */
int ad_arg_int(const ad_args *a, const char *name, int lo, int hi, int *out);
/* Usage error: message and usage on stderr; returns 2. */
int ad_args_usage_error(const ad_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Opens the store of --db (or $ARIADNE_DB / the default) and sets the actor from --as (a user
 * name: its agency is taken too) or $ARIADNE_USER, else "local:$USER". Prints the error and
 * returns 2 for a URL it cannot use (ad_store_url_check), 1 when the store does not open, -1 on
 * success. */
int ad_cli_open(const ad_args *a, ad_store **st, int flags);
/* The CLI's caller for the service layer (ad_svc_*): the local operator of the store, named and
 * acting for the agency as ad_cli_open set them; st as the call's connection. */
void ad_cli_call(ad_store *st, ad_identity *id, ad_call *c);
/* Prints a service error for the command and returns its exit code (1). */
int ad_cli_svc_fail(const ad_args *a, const ad_err *err);
/* Prints err for the command and returns the exit code for it (1). */
int ad_cli_fail(const ad_args *a, const ad_err *err);
/* Closes the store and passes rc through. */
int ad_cli_close(ad_store *st, int rc);
/* How a record command says its document to a person (with --json the document is the answer). */
typedef void (*ad_cli_text)(const ad_args *a, json_t *doc, const void *ctx);
/* The end every record command shares, after its ad_svc_* call returned rc with doc or err: a
 * failure said as ad_cli_svc_fail does (exit 1), else the document printed (one JSON line with
 * --json, through text(a, doc, ctx) otherwise) and released (exit 0); the store closed either
 * way. */
int ad_cli_reply(const ad_args *a, ad_store *st, ad_code rc, json_t *doc, const ad_err *err,
                 ad_cli_text text, const void *ctx);

/* A record command (series, victim, offender, vote, list ...): its arguments, its store, the
 * store's local operator as the service layer's caller, and the call's document or error.
 * c.id points at id: an ad_cli_rec is never copied. */
typedef struct ad_cli_rec {
    ad_args a;
    ad_store *st;
    ad_identity id;
    ad_call c;
    json_t *doc;
    ad_err err;
} ad_cli_rec;
/* ad_cli_start (flags 0), then the caller (ad_cli_call). Returns -1 to go on, or the exit code. */
int ad_cli_rec_start(ad_cli_rec *r, const char *prog, const char *usage, int argc, char **argv,
                     const char *const *value_opts, int min_pos, int max_pos);
/* ad_cli_reply for r: rc is what its ad_svc_* call (into r->doc, r->err) returned. */
int ad_cli_rec_reply(ad_cli_rec *r, ad_code rc, ad_cli_text text, const void *ctx);

/* ad_args_parse, then ad_cli_open with flags. Returns -1 to go on, or the exit code. */
int ad_cli_start(ad_args *a, ad_store **st, const char *prog, const char *usage, int argc,
                 char **argv, const char *const *value_opts, int min_pos, int max_pos, int flags);
/* Finds a media by hash text of any kind. Returns -1 or an exit code (message printed). */
int ad_cli_media(const ad_args *a, ad_store *st, const char *hex, int64_t *id);

/* Resolves an agency by id or name, 0 when name is NULL. Returns -1 or an exit code. */
int ad_cli_agency(const ad_args *a, ad_store *st, const char *name, int64_t *id);

/* Prints a JSON value on one line and releases it. */
void ad_cli_json(json_t *v);
/* Time as ISO-8601 UTC into buf (empty for 0). */
const char *ad_cli_time(int64_t t, char buf[32]);

/* Sub-command table of one command: dispatches argv[1], lists the subs on --help. */
typedef struct ad_subcmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} ad_subcmd;
int ad_cli_dispatch(const char *cmd, int argc, char **argv, const ad_subcmd *subs, size_t n);

/* The report folder of a case: `given`, else ./report-<case> ('/' in the case made '_'). */
const char *ad_cli_report_dir(const char *given, const char *case_no, char *buf, size_t n);
/* Builds the case report from the store, writes it into dir (NULL: not written) and prints the
 * summary (or the JSON report with --json). Returns the exit code. */
int ad_cli_make_report(const ad_args *a, ad_store *st, const char *agency, const char *case_no,
                       const char *dir, int thumbnails, int quiet);

#endif
