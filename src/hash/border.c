/* border.c: finding uniform borders (letterbox, pillarbox, frames, padding) on a luma image,
 * tolerant of JPEG noise, trimming a picture's own flat margin alike with or without a border
 * of its colour, and not fooled by a plain sky or a dark photo (ad_border_find's rule is
 * in ariadne/border.h and docs/hash.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"

#define NEAR 8.0f     /* a border pixel is within this many levels of the border's level */
#define NEAR_SHARE 97 /* percent of a border line's pixels that are near */
#define FAR 24.0f     /* a content pixel at the edge is at least this far from the level */
#define FAR_SHARE 25  /* percent of the first content line's pixels that are far */
#define MIN_KEEP 35   /* percent of each side that the content keeps */
#define MIN_CONTENT 16
/* a flat margin (a side without a clear edge trimmed whole): lines whose median stays within
 * FLAT levels of the outermost line's and whose pixels are within FLAT_NEAR of it (97%), at
 * least FLAT_DEEP per mille of the side deep */
#define FLAT 2.0f
#define FLAT_NEAR 6.0f
#define FLAT_DEEP 40

/* One side of the image seen as lines from the edge inward: line i, pixel j. */
struct side {
    const float *l;
    size_t stride;
    int w, h, which; /* 0 top, 1 bottom, 2 left, 3 right */
    int n, m;        /* lines, pixels a line */
};

static float px(const struct side *s, int i, int j)
{
    switch (s->which) {
    case 0:
        return s->l[(size_t)i * s->stride + (size_t)j];
    case 1:
        return s->l[(size_t)(s->h - 1 - i) * s->stride + (size_t)j];
    case 2:
        return s->l[(size_t)j * s->stride + (size_t)i];
    default:
        return s->l[(size_t)j * s->stride + (size_t)(s->w - 1 - i)];
    }
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Percent of line i's pixels within (near) or beyond (!near) d levels of c. */
static int share(const struct side *s, int i, float c, float d, int near)
{
    int k = 0;
    for (int j = 0; j < s->m; j++) {
        float e = px(s, i, j) - c;
        if (e < 0)
            e = -e;
        k += near ? e <= d : e >= d;
    }
    return (int)(100L * k / s->m);
}

/* One side: its uniform lines from the edge (raw), their level, and whether they end at a
 * clear edge. */
struct found {
    int raw, clear, flat;
    float level;
};

/* The median of line i. */
static float line_median(const struct side *s, int i, float *tmp)
{
    for (int j = 0; j < s->m; j++)
        tmp[j] = px(s, i, j);
    qsort(tmp, (size_t)s->m, sizeof *tmp, cmp_f);
    return tmp[s->m / 2];
}

static struct found depth(const struct side *s, float *tmp, unsigned flags)
{
    struct found f = {0, 0, 0, 0};
    const float c = line_median(s, 0, tmp);
    int k = 0, flat = 0;
    while (k < s->n && share(s, k, c, NEAR, 1) >= NEAR_SHARE) {
        flat += flat == k && fabsf(line_median(s, k, tmp) - c) <= FLAT &&
                share(s, k, c, FLAT_NEAR, 1) >= NEAR_SHARE;
        k++;
    }
    f.level = c;
    int min = s->n * 15 / 1000;
    if (k < 2 || k < min || k >= s->n - 1)
        return f;
    f.raw = k;
    /* a clear edge: the first content line, or the one after it (JPEG ringing and the area
     * mean can blur the first), is far from the border's level on a quarter of its pixels */
    f.clear = (flags & AD_BORDER_NO_EDGE) || share(s, k, c, FAR, 0) >= FAR_SHARE ||
              share(s, k + 1, c, FAR, 0) >= FAR_SHARE;
    /* a flat margin: deep, flat (a sky or a dark photo drifts or ripples out of flatness
     * within a few lines); trimmed as deep as its uniform lines go (the last few before the
     * content may ring, JPEG) */
    f.flat = flat >= s->n * FLAT_DEEP / 1000 ? k : 0;
    return f;
}

/* A side without a clear edge (the picture's own edge is near the border's colour there):
 * when it is a deep flat margin (a page, a studio background, a black backdrop), all of it is
 * trimmed, on a bordered copy and on the picture itself alike, so that both give the same
 * content (docs/hash.md "Borders and turns"); else padding is taken to be centred: when its
 * uniform lines reach as deep as the clear border opposite, in the same colour, it is as deep
 * as that one. */
static int depth_of(const struct found *me, const struct found *opp)
{
    if (me->raw && me->clear)
        return me->raw;
    if (me->flat)
        return me->flat;
    if (opp->raw && opp->clear && me->raw >= opp->raw - 1 &&
        fabsf(me->level - opp->level) <= NEAR)
        return me->raw < opp->raw ? me->raw : opp->raw;
    return 0;
}

int ad_border_find(const float *luma, int width, int height, size_t stride, unsigned flags,
                   ad_rect *content)
{
    *content = (ad_rect){0, 0, width, height};
    if (width < MIN_CONTENT || height < MIN_CONTENT)
        return 0;
    float *tmp = malloc((size_t)(width > height ? width : height) * sizeof *tmp);
    if (!tmp)
        return 0;
    struct found f[4];
    for (int k = 0; k < 4; k++) {
        struct side s = {luma, stride, width, height, k, k < 2 ? height : width,
                         k < 2 ? width : height};
        f[k] = depth(&s, tmp, flags);
    }
    free(tmp);
    int d[4];
    for (int k = 0; k < 4; k++)
        d[k] = depth_of(&f[k], &f[k ^ 1]); /* opposite: top-bottom, left-right */
    ad_rect r = {d[2], d[0], width - d[2] - d[3], height - d[0] - d[1]};
    if (!(d[0] | d[1] | d[2] | d[3]) || r.w < MIN_CONTENT || r.h < MIN_CONTENT ||
        r.w * 100 < width * MIN_KEEP || r.h * 100 < height * MIN_KEEP)
        return 0;
    *content = r;
    return 1;
}

void ad_border_reduced_size(int width, int height, int side, int *out_w, int *out_h)
{
    int big = width > height ? width : height;
    if (big <= side) {
        *out_w = width;
        *out_h = height;
        return;
    }
    *out_w = (int)((long)width * side / big);
    *out_h = (int)((long)height * side / big);
    if (*out_w < 1)
        *out_w = 1;
    if (*out_h < 1)
        *out_h = 1;
}
