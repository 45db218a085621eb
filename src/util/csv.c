/* csv.c: one CSV cell as every CSV Ariadne writes it (the case report, the ICSE export, `hash
 * --csv`): RFC 4180 quoting around the separator, quotes and line breaks, and text that a
 * spreadsheet would take for a formula neutralised. Seized file names, archive member names and
 * EXIF text are hostile input: a cell starting with = + - @, a tab or a carriage return gets a
 * leading single quote, as OWASP recommends against CSV injection (docs/formats.md). */
#include <string.h>

#include "ariadne/util.h"

int ad_csv_formula(const char *s)
{
    return s && *s && strchr("=+-@\t\r", *s) != NULL;
}

void ad_csv_cell(FILE *f, const char *s, char sep)
{
    if (!s)
        return;
    const char *lead = ad_csv_formula(s) ? "'" : "";
    const char special[] = {sep, '"', '\r', '\n', 0};
    if (!strpbrk(s, special)) {
        fputs(lead, f);
        fputs(s, f);
        return;
    }
    putc('"', f);
    fputs(lead, f);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', f);
        putc(*s, f);
    }
    putc('"', f);
}
