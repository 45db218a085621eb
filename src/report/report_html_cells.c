/* report_html_cells.c: the HTML report's escaping, table cells, times and class colours. */
#include "report_html.h"

#include "ariadne/util.h"

void ad_html_esc(FILE *o, const char *s)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fputs("&#xfffd;", o);
            else
                fputc(*p, o);
        }
    }
}

void ad_html_time(FILE *o, int64_t t)
{
    char buf[32];
    if (t <= 0)
        fputs("&ndash;", o);
    else
        fputs(ad_time_iso(t, buf), o);
}

void ad_html_captured(FILE *o, const ad_report_item *x)
{
    if (!x->captured_text[0]) {
        fputs("&ndash;", o);
        return;
    }
    ad_html_esc(o, x->captured_text);
    if (!x->captured_zone)
        fputs(" <small class=\"note\">camera clock, zone unknown</small>", o);
}

void ad_html_td(FILE *o, const char *cls, const char *text)
{
    if (cls)
        fprintf(o, "<td class=\"%s\">", cls);
    else
        fputs("<td>", o);
    ad_html_esc(o, text);
    fputs("</td>", o);
}

void ad_html_td_file(FILE *o, const ad_report_item *x)
{
    fputs("<td class=\"path\">", o);
    if (x->thumbnail) {
        fputs("<img class=\"thumb\" alt=\"thumbnail (blurred: click to show)\" "
              "title=\"click to show or blur\" src=\"",
              o);
        ad_html_esc(o, x->thumbnail);
        fputs("\">", o);
    }
    ad_html_esc(o, x->path);
    if (x->thumbnail_note) {
        fputs(" <small class=\"note nothumb\">", o);
        ad_html_esc(o, x->thumbnail_note);
        fputs("</small>", o);
    }
    fputs("</td>", o);
}

void ad_html_td_time(FILE *o, int64_t t)
{
    fputs("<td class=\"time\">", o);
    ad_html_time(o, t);
    fputs("</td>", o);
}

void ad_html_td_captured(FILE *o, const ad_report_item *x)
{
    fputs("<td class=\"time\">", o);
    ad_html_captured(o, x);
    fputs("</td>", o);
}

const char *ad_html_class_color(ad_report_class c)
{
    static const char *const colors[AD_RC__COUNT] = {"#c62828", "#ef6c00", "#f9a825", "#2e7d32",
                                                     "#9e9e9e", "#424242", "#b0bec5"};
    return (unsigned)c < AD_RC__COUNT ? colors[c] : "#000";
}
