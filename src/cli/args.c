/* args.c: argument parsing, store opening and output helpers shared by the record commands. */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/service.h"
#include "ariadne/util.h"
#include "cli.h"

/* Short options and their long forms: wherever a command takes one spelling it takes both
 * (values are kept under the spelling the command asked for). */
static const struct {
    const char *s, *l;
} aliases[] = {{"-j", "--jobs"}, {"-o", "--output"}};

/* The other spelling of an option, NULL if it has none. */
static const char *alias_of(const char *opt, size_t n)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strlen(aliases[i].s) == n && !strncmp(opt, aliases[i].s, n))
            return aliases[i].l;
        if (strlen(aliases[i].l) == n && !strncmp(opt, aliases[i].l, n))
            return aliases[i].s;
    }
    return NULL;
}

static int same(const char *opt, size_t n, const char *name)
{
    return name && strlen(name) == n && !strncmp(opt, name, n);
}

/* The key under which the value of option opt (its first n bytes) is kept, NULL if the option
 * takes no value here. */
static const char *value_key(const char *opt, size_t n, const char *const *value_opts)
{
    static const char *const common[] = {"--db", "--as"};
    const char *other = alias_of(opt, n);
    for (int i = 0; i < 2; i++)
        if (same(opt, n, common[i]))
            return common[i];
    for (size_t i = 0; value_opts && value_opts[i]; i++)
        if (same(opt, n, value_opts[i]) || (other && !strcmp(other, value_opts[i])))
            return value_opts[i];
    return NULL;
}

int ad_args_usage_error(const ad_args *a, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ariadne %s: ", a->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: ariadne %s\n", a->usage);
    return AD_EXIT_USAGE;
}

static int help_brief; /* while a command's --help lists its sub-commands' usages: 1 for the
                        * first, 2 for the others */

void ad_cli_common_help(FILE *out)
{
    fprintf(out,
            "\nCommon options:\n"
            "  --db URL      the store: sqlite:PATH, a file PATH or postgresql://...\n"
            "                (default: $ARIADNE_DB, else %s)\n"
            "  --as USER     who is acting, for the audit trail (a user name: its agency acts\n"
            "                too; default: $ARIADNE_USER, else local:$USER)\n"
            "  --json        machine output: JSON (JSON Lines for lists), see docs/cli.md\n"
            "  -h, --help    this text\n"
            "Options take their value as '--opt VALUE' or '--opt=VALUE'; common options may\n"
            "also come before the command. Exit status: 0 done, 1 failed, 2 usage error.\n",
            AD_STORE_DEFAULT_URL);
}

static int print_help(const ad_args *a)
{
    if (help_brief) { /* one of the usage lines of a command with sub-commands */
        printf("%s ariadne %s\n", help_brief == 1 ? "usage:" : "   or:", a->usage);
        return AD_EXIT_OK;
    }
    /* the usage line (its continuation lines, "  [--opt X]...", joined to it), then the
     * description that may follow it, one level less indented */
    const char *p = a->usage, *nl = strchr(p, '\n');
    printf("usage: ariadne %.*s", (int)(nl ? nl - p : (int)strlen(p)), p);
    while (nl && nl[1 + strspn(nl + 1, " ")] == '[') {
        p = nl + 1 + strspn(nl + 1, " ");
        nl = strchr(p, '\n');
        printf(" %.*s", (int)(nl ? nl - p : (int)strlen(p)), p);
    }
    printf("\n");
    if (nl)
        printf("\n");
    while (nl) {
        p = nl + 1;
        p += strncmp(p, "  ", 2) ? 0 : 2;
        nl = strchr(p, '\n');
        printf("%.*s\n", (int)(nl ? nl - p : (int)strlen(p)), p);
    }
    /* the long forms of the short options this command takes, with their value's name */
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        for (size_t k = 0; a->value_opts && a->value_opts[k]; k++) {
            if (strcmp(a->value_opts[k], aliases[i].s))
                continue;
            char find[8];
            snprintf(find, sizeof find, "[%s ", aliases[i].s);
            const char *v = strstr(a->usage, find);
            v = v ? v + strlen(find) : "VALUE";
            printf("\nLong form: %s %.*s for %s %.*s.\n", aliases[i].l, (int)strcspn(v, "]"), v,
                   aliases[i].s, (int)strcspn(v, "]"), v);
        }
    ad_cli_common_help(stdout);
    return AD_EXIT_OK;
}

int ad_args_parse(ad_args *a, const char *prog, const char *usage, int argc, char **argv,
                  const char *const *value_opts, int min_pos, int max_pos)
{
    memset(a, 0, sizeof *a);
    a->prog = prog;
    a->usage = usage;
    a->value_opts = value_opts;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || !s[1]) {
            if (a->npos >= AD_ARGS_MAX)
                return ad_args_usage_error(a, "too many arguments");
            a->pos[a->npos++] = s;
            continue;
        }
        if (!strcmp(s, "--")) {
            only_pos = 1;
            continue;
        }
        /* --opt=value is --opt value */
        const char *eq = s[1] == '-' ? strchr(s, '=') : NULL;
        size_t n = eq ? (size_t)(eq - s) : strlen(s);
        const char *key = value_key(s, n, value_opts);
        if (key) {
            if (!eq && i + 1 >= argc)
                return ad_args_usage_error(a, "%s needs a value", s);
            if (a->nkv >= AD_ARGS_MAX)
                return ad_args_usage_error(a, "too many options");
            a->keys[a->nkv] = key;
            a->vals[a->nkv++] = eq ? eq + 1 : argv[++i];
        } else if (same(s, n, "--help") || same(s, n, "-h") || same(s, n, "--json")) {
            if (eq)
                return ad_args_usage_error(a, "%.*s takes no value", (int)n, s);
            if (!same(s, n, "--json"))
                return print_help(a);
            a->json = 1;
        } else {
            return ad_args_usage_error(a, "unknown option %s", s);
        }
    }
    if (a->npos < min_pos)
        return ad_args_usage_error(a, "missing argument");
    if (a->npos > max_pos)
        return ad_args_usage_error(a, "too many arguments");
    return -1;
}

/* "-j/--jobs" for an option that has another spelling, else the option itself. */
static const char *opt_label(const char *opt, char *buf, size_t n)
{
    const char *other = alias_of(opt, strlen(opt));
    if (!other)
        return opt;
    snprintf(buf, n, "%s/%s", opt[1] == '-' ? other : opt, opt[1] == '-' ? opt : other);
    return buf;
}

int ad_cli_parse_int(const char *text, long long lo, long long hi, long long *out)
{
    char *end;
    if (!text || !(isdigit((unsigned char)text[0]) ||
                   ((text[0] == '-' || text[0] == '+') && isdigit((unsigned char)text[1]))))
        return -1;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int ad_cli_parse_size(const char *text, uint64_t *out)
{
    char *end;
    if (!text || !(text[0] >= '0' && text[0] <= '9'))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    static const char units[] = "KMGT";
    const char *u = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    if (*end && !u)
        return -1;
    int shift = u ? 10 * (int)(u - units + 1) : 0;
    if (shift) {
        end++;
        if (!strcmp(end, "iB") || !strcmp(end, "B"))
            end += strlen(end);
    }
    if (errno || *end || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int ad_cli_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi,
               long long *out)
{
    if (!text || ad_cli_parse_int(text, lo, hi, out) == 0)
        return 0;
    char label[64];
    if (hi == LLONG_MAX)
        ad_cli_error(cmd, "%s takes a whole number from %lld up, not '%s' (see --help)",
                     opt_label(opt, label, sizeof label), lo, text);
    else
        ad_cli_error(cmd, "%s takes a whole number from %lld to %lld, not '%s' (see --help)",
                     opt_label(opt, label, sizeof label), lo, hi, text);
    return AD_EXIT_USAGE;
}

int ad_cli_real(const char *cmd, const char *opt, const char *text, double lo, double hi,
                double *out)
{
    char *end;
    if (!text)
        return 0;
    errno = 0;
    double x = isspace((unsigned char)text[0]) ? NAN : strtod(text, &end);
    if (!errno && !isnan(x) && end != text && !*end && x >= lo && x <= hi) {
        *out = x;
        return 0;
    }
    char label[64];
    ad_cli_error(cmd, "%s takes a number from %g to %g, not '%s' (see --help)",
                 opt_label(opt, label, sizeof label), lo, hi, text);
    return AD_EXIT_USAGE;
}

int ad_cli_getopt_error(const char *cmd, int c, char **argv)
{
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    const char *eq = strchr(word, '=');
    if (c == ':')
        ad_cli_error(cmd, "%s needs a value (see --help)", word);
    else if (word[0] == '-' && word[1] == '-' && eq && optopt)
        ad_cli_error(cmd, "%.*s takes no value (see --help)", (int)(eq - word), word);
    else if (optopt > 0 && optopt < 256 && word[1] != '-')
        ad_cli_error(cmd, "unknown option -%c (see --help)", optopt);
    else
        ad_cli_error(cmd, "unknown option %s (see --help)", word);
    return AD_EXIT_USAGE;
}

int ad_arg_int(const ad_args *a, const char *name, int lo, int hi, int *out)
{
    long long v = *out;
    int rc = ad_cli_int(a->prog, name, ad_arg(a, name), lo, hi, &v);
    *out = (int)v;
    return rc;
}

const char *ad_arg(const ad_args *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->nkv; i++)
        if (!strcmp(a->keys[i], name))
            v = a->vals[i];
    return v;
}

int ad_cli_fail(const ad_args *a, const ad_err *err)
{
    ad_cli_error(a->prog, "%s", err->msg);
    return AD_EXIT_FAIL;
}

void ad_cli_call(ad_store *st, ad_identity *id, ad_call *c)
{
    ad_identity_local(id, ad_store_actor(st), ad_store_actor_agency(st));
    memset(c, 0, sizeof *c);
    c->st = st;
    c->id = id;
}

int ad_cli_svc_fail(const ad_args *a, const ad_err *err)
{
    ad_cli_error(a->prog, "%s", err->msg);
    return AD_EXIT_FAIL;
}

int ad_cli_close(ad_store *st, int rc)
{
    ad_store_close(st);
    return rc;
}

int ad_cli_reply(const ad_args *a, ad_store *st, ad_code rc, json_t *doc, const ad_err *err,
                 ad_cli_text text, const void *ctx)
{
    if (rc != AD_OK)
        return ad_cli_close(st, ad_cli_svc_fail(a, err));
    if (a->json) {
        ad_cli_json(doc);
    } else {
        text(a, doc, ctx);
        json_decref(doc);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}

typedef struct {
    int64_t uid, agency;
} actor_ctx;

static int on_actor(void *ctx, const ad_user *u)
{
    actor_ctx *c = ctx;
    if (u->id != c->uid)
        return 0;
    c->agency = u->agency_id;
    return 1;
}

int ad_cli_open(const ad_args *a, ad_store **st, int flags)
{
    ad_err err;
    *st = NULL;
    /* a URL Ariadne cannot use is a usage error; a store it cannot open, a failure */
    if (ad_store_url_check(ad_arg(a, "--db"), &err) != AD_OK) {
        ad_cli_error(a->prog, "%s (see --help)", err.msg);
        return AD_EXIT_USAGE;
    }
    if (ad_store_open(st, ad_arg(a, "--db"), flags, &err) != AD_OK)
        return ad_cli_fail(a, &err);
    /* the operating-system user comes from the process's real uid, never from $USER */
    char os[160];
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_name[0])
        snprintf(os, sizeof os, "os:%s", pw->pw_name);
    else
        snprintf(os, sizeof os, "os:uid%lu", (unsigned long)getuid());
    const char *who = ad_arg(a, "--as");
    if (!who)
        who = getenv("ARIADNE_USER");
    if (!who || !*who) {
        char local[170];
        snprintf(local, sizeof local, "local:%s", os + 3);
        ad_store_set_actor(*st, local, 0);
        return -1;
    }
    /* a known user acts for its agency; the claim is only a claim on the command line (no key
     * is asked), so the audit names who really ran the program beside it */
    actor_ctx c = {0, 0};
    if (ad_store_user_find(*st, who, &c.uid, NULL) == AD_OK)
        ad_store_user_list(*st, on_actor, &c, NULL);
    ad_store_set_actor(*st, who, c.agency);
    ad_store_set_origin(*st, os);
    return -1;
}

int ad_cli_start(ad_args *a, ad_store **st, const char *prog, const char *usage, int argc,
                 char **argv, const char *const *value_opts, int min_pos, int max_pos, int flags)
{
    int rc = ad_args_parse(a, prog, usage, argc, argv, value_opts, min_pos, max_pos);
    return rc >= 0 ? rc : ad_cli_open(a, st, flags);
}

int ad_cli_rec_start(ad_cli_rec *r, const char *prog, const char *usage, int argc, char **argv,
                     const char *const *value_opts, int min_pos, int max_pos)
{
    memset(r, 0, sizeof *r);
    int rc = ad_cli_start(&r->a, &r->st, prog, usage, argc, argv, value_opts, min_pos, max_pos, 0);
    if (rc < 0)
        ad_cli_call(r->st, &r->id, &r->c);
    return rc;
}

int ad_cli_rec_reply(ad_cli_rec *r, ad_code rc, ad_cli_text text, const void *ctx)
{
    return ad_cli_reply(&r->a, r->st, rc, r->doc, &r->err, text, ctx);
}

int ad_cli_media(const ad_args *a, ad_store *st, const char *hex, int64_t *id)
{
    ad_err err;
    ad_code rc;
    if (!strncmp(hex, "pdq:", 4)) {
        ad_h256 h;
        rc = ad_h256_parse(&h, hex + 4, strlen(hex + 4), &err);
        if (rc == AD_OK)
            rc = ad_store_media_find(st, AD_HASH_PDQ, h.b, id, &err);
    } else {
        rc = ad_store_media_find_hex(st, hex, id, &err);
    }
    return rc == AD_OK ? -1 : ad_cli_fail(a, &err);
}

int ad_cli_agency(const ad_args *a, ad_store *st, const char *name, int64_t *id)
{
    ad_err err;
    *id = 0;
    if (!name)
        return -1;
    if (ad_store_agency_find(st, name, id, &err) != AD_OK)
        return ad_cli_fail(a, &err);
    return -1;
}

void ad_cli_json(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(v);
}

const char *ad_cli_time(int64_t t, char buf[32])
{
    return ad_time_iso(t, buf);
}

int ad_cli_global_option(int argc, char **argv, int i)
{
    const char *s = argv[i];
    if (!strcmp(s, "--json") || !strncmp(s, "--db=", 5) || !strncmp(s, "--as=", 5))
        return 1;
    if (!strcmp(s, "--db") || !strcmp(s, "--as"))
        return i + 1 < argc ? 2 : -1;
    return 0;
}

void ad_cli_globals_after_sub(int argc, char **argv)
{
    int i = 1, k;
    while (i < argc && (k = ad_cli_global_option(argc, argv, i)) > 0)
        i += k;
    if (i == 1 || i >= argc || argv[i][0] == '-')
        return;
    /* argv[1..i-1] are common options, argv[i] the sub-command: rotate it in front of them */
    char *sub = argv[i];
    memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof *argv);
    argv[1] = sub;
}

int ad_cli_dispatch(const char *cmd, int argc, char **argv, const ad_subcmd *subs, size_t n)
{
    ad_cli_globals_after_sub(argc, argv);
    int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    if (argc < 2 || help) {
        FILE *out = help ? stdout : stderr;
        const char *what = ad_cli_command_help(cmd);
        if (help) {
            /* each sub-command's usage line, as its own --help gives it */
            fflush(stdout);
            for (size_t i = 0; i < n; i++) {
                char name[32], flag[] = "--help";
                snprintf(name, sizeof name, "%s", subs[i].name);
                char *av[] = {name, flag, NULL};
                help_brief = i ? 2 : 1;
                subs[i].fn(2, av);
            }
            help_brief = 0;
        } else {
            fprintf(out, "usage: ariadne %s <sub-command> [options] [args]\n", cmd);
        }
        if (what)
            fprintf(out, "\n%c%s.\n", toupper((unsigned char)what[0]), what + 1);
        fprintf(out, "\nSub-commands:\n");
        for (size_t i = 0; i < n; i++)
            fprintf(out, "  %-10s %s\n", subs[i].name, subs[i].help);
        if (!help) {
            fprintf(out, "\n'ariadne %s --help' describes each.\n", cmd);
            return AD_EXIT_USAGE;
        }
        ad_cli_common_help(stdout);
        return AD_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].fn(argc - 1, argv + 1);
    ad_cli_error(cmd, "unknown sub-command '%s' (see 'ariadne %s --help')", argv[1], cmd);
    return AD_EXIT_USAGE;
}

int ad_args_take_flag(int *argc, char **argv, const char *name)
{
    int found = 0, o = 0;
    for (int i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], name))
            found = 1;
        else
            argv[o++] = argv[i];
    }
    argv[o] = NULL;
    *argc = o;
    return found;
}
