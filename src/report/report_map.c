/* report_map.c: the HTML report's location clues: the GPS positions of the case's files over the
 * world basemap compiled in from data/basemap (Natural Earth 1:110m, public domain), numbered as
 * in the table below the map. Equirectangular in degrees, as the basemap: x = longitude,
 * y = -latitude. The view is the points' extent with a margin (at least 40 x 20 degrees, 2:1,
 * inside the world), so the countries and seas around them give context; smaller countries are
 * named only when the view is zoomed in. Files at the same position share one marker. No tiles,
 * no network, no image content. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

extern const char ad_basemap_svg[]; /* generated from data/basemap/world-110m.svg */
extern const size_t ad_basemap_svg_len;

struct pt {
    double lat, lon;
    size_t item, num; /* index in the report, number in the table (from 1) */
};

static int by_position(const void *a, const void *b)
{
    const struct pt *x = a, *y = b;
    if (x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    if (x->lon != y->lon)
        return x->lon < y->lon ? -1 : 1;
    return (x->num > y->num) - (x->num < y->num);
}

static int located(const ad_report_item *x)
{
    return x->has_gps && isfinite(x->lat) && isfinite(x->lon) && fabs(x->lat) <= 90 &&
           fabs(x->lon) <= 180;
}

/* The visible part of the world: x0, y0 (top-left, in map units), width, height. */
static void view_of(const struct pt *v, size_t n, double box[4])
{
    double lo_x = 180, hi_x = -180, lo_y = 90, hi_y = -90;
    for (size_t i = 0; i < n; i++) {
        lo_x = fmin(lo_x, v[i].lon), hi_x = fmax(hi_x, v[i].lon);
        lo_y = fmin(lo_y, v[i].lat), hi_y = fmax(hi_y, v[i].lat);
    }
    double w = fmax(hi_x - lo_x + 20, 40), h = fmax(hi_y - lo_y + 10, 20);
    if (w < 2 * h)
        w = 2 * h;
    else
        h = w / 2;
    if (w > 360)
        w = 360, h = 180;
    double x0 = fmin(fmax((lo_x + hi_x) / 2 - w / 2, -180), 180 - w);
    double y0 = fmin(fmax((lo_y + hi_y) / 2 - h / 2, -90), 90 - h); /* latitude of the bottom */
    box[0] = x0, box[1] = -(y0 + h), box[2] = w, box[3] = h;
}

/* One marker for the files at v[0..n) (one position): coloured by the most urgent class, with
 * their numbers beside it and their paths as its tooltip. */
static void marker(FILE *o, const ad_report *r, const struct pt *v, size_t n, double px)
{
    ad_report_class c = AD_RC__COUNT;
    for (size_t i = 0; i < n; i++)
        if (r->items[v[i].item].cls < c)
            c = r->items[v[i].item].cls;
    fprintf(o, "<g class=\"pt\"><circle cx=\"%.5f\" cy=\"%.5f\" r=\"%.4f\" fill=\"%s\"><title>",
            v[0].lon, -v[0].lat, 4 * px, ad_html_class_color(c));
    for (size_t i = 0; i < n && i < 10; i++) {
        fprintf(o, "%s#%zu ", i ? "\n" : "", v[i].num);
        ad_html_esc(o, r->items[v[i].item].path);
    }
    if (n > 10)
        fprintf(o, "\nand %zu more", n - 10);
    fprintf(o, "</title></circle><text x=\"%.5f\" y=\"%.5f\">", v[0].lon + 6 * px,
            -v[0].lat + 4 * px);
    for (size_t i = 0; i < n && i < 3; i++)
        fprintf(o, "%s%zu", i ? ", " : "", v[i].num);
    if (n > 3)
        fprintf(o, " +%zu", n - 3);
    fputs("</text></g>", o);
}

static void plot(FILE *o, const ad_report *r, struct pt *v, size_t n)
{
    double box[4];
    view_of(v, n, box);
    const double px = box[2] / 960; /* map units per pixel at the drawn width */
    fprintf(o,
            "<svg class=\"map%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" "
            "height=\"480\" viewBox=\"%.4f %.4f %.4f %.4f\" role=\"img\" "
            "aria-label=\"GPS positions of %zu files over a world map\">"
            /* line widths in map units for this view (1px of a 960px wide map) */
            "<style>.map .land,.map .border,.map .pt circle{stroke-width:%.4fpx}"
            ".map text{stroke-width:%.4fpx}</style>"
            "<rect x=\"%.4f\" y=\"%.4f\" width=\"%.4f\" height=\"%.4f\" fill=\"#dbe7f1\"></rect>"
            "<g class=\"basemap\" font-size=\"%.4f\">",
            box[2] <= 120 ? " near" : "", box[0], box[1], box[2], box[3], n, 0.8 * px, 2.5 * px,
            box[0], box[1], box[2], box[3], 10 * px);
    fwrite(ad_basemap_svg, 1, ad_basemap_svg_len, o);
    fprintf(o, "</g><g class=\"points\" font-size=\"%.4f\">", 12 * px);
    qsort(v, n, sizeof *v, by_position);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && v[j].lat == v[i].lat && v[j].lon == v[i].lon; j++)
            ;
        marker(o, r, v + i, j - i, px);
    }
    fputs("</g></svg>", o);
}

void ad_report_html_locations(FILE *o, const ad_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += located(&r->items[i]);
    fprintf(o, "<h2 id=\"gps\">Location clues (%zu files with GPS)</h2>", n);
    if (!n) {
        fputs("<p>No file carries GPS coordinates.</p>", o);
        return;
    }
    struct pt *v = malloc(n * sizeof *v);
    if (v) {
        for (size_t i = 0, k = 0; i < r->n; i++)
            if (located(&r->items[i])) {
                v[k] = (struct pt){r->items[i].lat, r->items[i].lon, i, k + 1};
                k++;
            }
        plot(o, r, v, n);
        free(v);
    } else {
        fputs("<p>(Out of memory drawing the map: the positions are in the table.)</p>", o);
    }
    fputs("<p class=\"note\">Positions as the files' EXIF gives them (WGS 84), numbered as in the "
          "table; a marker takes the colour of its most urgent class. Basemap: Natural Earth "
          "1:110m (public domain), drawn offline.</p>"
          "<table><tr><th>#</th><th>file</th><th>class</th><th>latitude</th><th>longitude</th>"
          "<th>captured</th><th>camera make</th><th>camera model</th></tr>",
          o);
    for (size_t i = 0, k = 0; i < r->n; i++) {
        const ad_report_item *x = &r->items[i];
        if (!located(x))
            continue;
        k++;
        fprintf(o, "<tr id=\"gps-%zu\"><td>%zu</td>", k, k);
        ad_html_td_file(o, x);
        fprintf(o, "<td>%s</td><td>%.6f</td><td>%.6f</td>", ad_report_class_name(x->cls), x->lat,
                x->lon);
        ad_html_td_captured(o, x);
        ad_html_td(o, NULL, x->camera_make);
        ad_html_td(o, NULL, x->camera_model);
        fputs("</tr>", o);
    }
    fputs("</table>", o);
}
