/* error.c: ad_err, the error value every library call reports through. */
#include "ariadne/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *text;
} codes[AD_ERR__COUNT] = {
    [AD_OK] = {"ok", "success"},
    [AD_ERR_NOMEM] = {"nomem", "out of memory"},
    [AD_ERR_IO] = {"io", "input/output error"},
    [AD_ERR_ARG] = {"arg", "invalid argument"},
    [AD_ERR_UNSUPPORTED] = {"unsupported", "unsupported type or feature"},
    [AD_ERR_CORRUPT] = {"corrupt", "corrupt data"},
    [AD_ERR_TRUNCATED] = {"truncated", "truncated data"},
    [AD_ERR_LIMIT] = {"limit", "limit exceeded"},
    [AD_ERR_EMPTY] = {"empty", "empty input"},
    [AD_ERR_PARSE] = {"parse", "cannot parse"},
    [AD_ERR_NOT_FOUND] = {"not_found", "not found"},
    [AD_ERR_EXISTS] = {"exists", "already exists"},
    [AD_ERR_DB] = {"db", "database error"},
    [AD_ERR_PERM] = {"perm", "not permitted"},
    [AD_ERR_VERSION] = {"version", "incompatible version"},
    [AD_ERR_CHECKSUM] = {"checksum", "checksum mismatch"},
    [AD_ERR_TIMEOUT] = {"timeout", "timed out"},
    [AD_ERR_INTERNAL] = {"internal", "internal error"},
};

const char *ad_code_name(ad_code code)
{
    if ((unsigned)code >= AD_ERR__COUNT)
        return "unknown";
    return codes[code].name;
}

const char *ad_strerror(ad_code code)
{
    if ((unsigned)code >= AD_ERR__COUNT)
        return "unknown error";
    return codes[code].text;
}

/* Library messages sometimes end in a newline or carry control characters: one line, always. */
static void one_line(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            s[i] = ' ';
}

static void set_v(ad_err *err, ad_code code, const char *field, const char *fmt, va_list ap)
{
    err->code = code;
    if (fmt)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    else
        snprintf(err->msg, sizeof err->msg, "%s", ad_strerror(code));
    one_line(err->msg);
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
}

ad_code ad_err_set(ad_err *err, ad_code code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_v(err, code, NULL, fmt, ap);
        va_end(ap);
    }
    return code;
}

ad_code ad_err_field(ad_err *err, ad_code code, const char *field, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_v(err, code, field, fmt, ap);
        va_end(ap);
    }
    return code;
}

void ad_err_prefix(ad_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char buf[2 * sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t used = strlen(buf);
    size_t room = sizeof buf - used;
    int m = snprintf(buf + used, room, ": %s", err->msg);
    (void)m;
    /* the message is cut at the size of err->msg, never overflowed */
    memcpy(err->msg, buf, sizeof err->msg - 1);
    err->msg[sizeof err->msg - 1] = '\0';
}

void ad_err_clear(ad_err *err)
{
    if (err) {
        err->code = AD_OK;
        err->msg[0] = '\0';
        err->field[0] = '\0';
    }
}
