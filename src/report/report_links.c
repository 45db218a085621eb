/* report_links.c: the HTML report's possible links (issue 13, docs/features.md): files that
 * share a scene with a known picture (local features), a weaker finding than a match, shown
 * apart for a person to confirm, with the evidence (consistent matches, matched regions). */
#include "report_html.h"

void ad_report_html_links(FILE *o, const ad_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].nlinks > 0;
    fprintf(o, "<h2 id=\"links\">Possible links: the same scene as a known picture (%zu files)</h2>",
            n);
    if (!n) {
        fputs("<p>None.</p>", o);
        return;
    }
    fputs("<p>Each of these files shares part of a scene (a room, bedding, wallpaper, an object) "
          "with a known picture, found by local features. This is a possible link to the known "
          "picture's series for a person to confirm, not a match: the file keeps its class. "
          "Regions are x0,y0,x1,y1 as fractions of each picture.</p>",
          o);
    fputs("<table><tr><th>file</th><th>class</th><th>known media</th><th>series</th>"
          "<th>consistent matches</th><th>region in known</th><th>region in file</th></tr>",
          o);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *x = &r->items[i];
        for (size_t k = 0; k < x->nlinks; k++) {
            const ad_report_link *l = &x->links[k];
            fputs("<tr>", o);
            ad_html_td_file(o, x);
            ad_html_td(o, NULL, ad_report_class_name(x->cls));
            fprintf(o, "<td class=\"hash\">%lld ", (long long)l->media_id);
            ad_html_esc(o, l->sha256);
            fputs("</td>", o);
            ad_html_td(o, NULL, l->series_id ? l->series_name : "-");
            fprintf(o, "<td>%d of %d</td>", l->inliers, l->matches);
            ad_html_td(o, NULL, l->region_known);
            ad_html_td(o, NULL, l->region_query);
            fputs("</tr>", o);
        }
    }
    fputs("</table>", o);
}
