/* orb.cpp: the one C++ file of the library: ORB keypoints and descriptors behind a C interface
 * (feat_int.h). The picture is reduced here (area averaging) to AD_FEAT_SIDE on its long side.
 *
 * The keypoints are those of OpenCV's cv::ORB (max_points, scale 1.2, 8 levels, edge 19, Harris
 * score, patch 31, FAST threshold 16), bit for bit, computed with less work (docs/features.md,
 * "Decisions"): cv::ORB runs FAST at 16 on every level and scores every corner (about 2,000 on
 * the first level of a photo) to keep the 2n best of the n a level needs. A corner's FAST score
 * does not depend on the threshold asked, and neither does non-maximum suppression among the
 * corners above a threshold, so FAST at a higher threshold T gives exactly the corners of FAST
 * at 16 whose score is >= T; when there are at least 2n of them, the 2n best (with ties) are the
 * same. Each level is therefore detected with a threshold guessed from the level above it (its
 * 2n-th score x 0.9: the levels of one picture are alike), and again at 16 when the guess left
 * fewer than 2n corners. The rest is ORB's own, with OpenCV's pieces where they are public
 * (the pyramid by cv::resize, cv::FAST, cv::KeyPointsFilter, the descriptors by cv::ORB::compute
 * on each level) and two small ones written here (the Harris response and the intensity-centroid
 * angle, which OpenCV does not export). test_features test_orb_same compares every point and
 * descriptor with cv::ORB's (ad_feat_orb_reference). No exception crosses into C. */
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <vector>

#include "feat_int.h"

namespace {

const int LEVELS = 8;
const float SCALE = 1.2f;
const int EDGE = 19;   /* no keypoint closer to a level's edge (the patch needs it) */
const int PATCH = 31;  /* the descriptor's patch */
const int FAST_T = 16; /* FAST's threshold: corners in soft photos too (docs/benchmarks.md) */
const float GUESS = 0.9f; /* a level's first threshold: the level above's 2n-th score x this */

thread_local unsigned retries; /* levels detected twice (ad_feat_orb_retries) */

/* The ORB these parameters make (the descriptors; and the whole of it for the reference). */
cv::Ptr<cv::ORB> make_orb(int max_points, int levels)
{
    return cv::ORB::create(max_points, SCALE, levels, EDGE, 0, 2, cv::ORB::HARRIS_SCORE, PATCH,
                           FAST_T);
}

/* A level's scale as cv::ORB computes it (the factor held as a double, from the float). */
float level_scale(int level)
{
    return (float)std::pow((double)SCALE, (double)level);
}

/* The points each level keeps, as cv::ORB shares them out: a geometric series of ratio 1/1.2,
 * each level's share rounded, the last level what is left. */
void shares(int total, int want[LEVELS])
{
    float ratio = (float)(1.0 / (double)SCALE);
    float share = total * (1 - ratio) / (1 - (float)std::pow((double)ratio, (double)LEVELS));
    int sum = 0;
    for (int l = 0; l < LEVELS - 1; l++) {
        want[l] = cvRound(share);
        sum += want[l];
        share *= ratio;
    }
    want[LEVELS - 1] = std::max(total - sum, 0);
}

/* Harris cornerness over the 7 x 7 pixels around each point: sums of the Sobel derivatives'
 * squares and product, det - 0.04 trace^2, scaled to derivatives of unit range. */
void harris(const cv::Mat &img, std::vector<cv::KeyPoint> &kp)
{
    const int step = (int)img.step;
    const float unit = 1.f / (4 * 7 * 255.f), unit4 = unit * unit * unit * unit;
    for (cv::KeyPoint &p : kp) {
        const int cx = cvRound(p.pt.x), cy = cvRound(p.pt.y);
        int xx = 0, yy = 0, xy = 0;
        for (int y = cy - 3; y <= cy + 3; y++) {
            const uint8_t *row = img.ptr<uint8_t>(y);
            for (int x = cx - 3; x <= cx + 3; x++) {
                const uint8_t *c = row + x, *up = c - step, *dn = c + step;
                int dx = (c[1] - c[-1]) * 2 + (up[1] - up[-1]) + (dn[1] - dn[-1]);
                int dy = (dn[0] - up[0]) * 2 + (dn[-1] - up[-1]) + (dn[1] - up[1]);
                xx += dx * dx;
                yy += dy * dy;
                xy += dx * dy;
            }
        }
        float t = (float)xx + yy;
        p.response = ((float)xx * yy - (float)xy * xy - 0.04f * t * t) * unit4;
    }
}

/* Half the width of each row of the round patch of radius 15 whose intensity centroid gives a
 * point's angle (row v spans -w[v] .. w[v]): round(sqrt(15^2 - v^2)) for the flat rows, then
 * mirrored about the diagonal so that the patch is the same turned by 90 degrees. */
const int HALF = PATCH / 2;
const int row_half[HALF + 1] = {15, 15, 15, 15, 14, 14, 14, 13, 13, 12, 11, 10, 9, 8, 6, 3};

/* The angle from the point to the intensity centroid of the patch, in degrees [0, 360). */
void angles(const cv::Mat &img, std::vector<cv::KeyPoint> &kp)
{
    const int step = (int)img.step;
    for (cv::KeyPoint &p : kp) {
        const uint8_t *c = img.ptr<uint8_t>(cvRound(p.pt.y)) + cvRound(p.pt.x);
        int mx = 0, my = 0;
        for (int u = -HALF; u <= HALF; u++)
            mx += u * c[u];
        for (int v = 1; v <= HALF; v++) {
            int rows = 0;
            for (int u = -row_half[v]; u <= row_half[v]; u++) {
                int below = c[u + v * step], above = c[u - v * step];
                rows += below - above;
                mx += u * (below + above);
            }
            my += v * rows;
        }
        p.angle = cv::fastAtan2((float)my, (float)mx);
    }
}

/* FAST corners of a level at threshold t, none closer than EDGE to its edge. */
void corners(const cv::Mat &img, int t, std::vector<cv::KeyPoint> &kp)
{
    kp.clear();
    cv::FAST(img, kp, t, true);
    cv::KeyPointsFilter::runByImageBorder(kp, img.size(), EDGE);
}

/* Strongest first; then by position, so the order does not depend on how they were found. */
bool stronger(const cv::KeyPoint &a, const cv::KeyPoint &b)
{
    if (a.response != b.response)
        return a.response > b.response;
    if (a.pt.y != b.pt.y)
        return a.pt.y < b.pt.y;
    return a.pt.x < b.pt.x;
}

/* One level's keypoints (level coordinates) with their descriptors. *guess: the threshold to
 * try first (FAST_T: none), set for the level below. */
void detect_level(const cv::Mat &img, int want, const cv::Ptr<cv::ORB> &desc_orb, int *guess,
                  std::vector<cv::KeyPoint> &kp, cv::Mat &desc)
{
    const size_t need = (size_t)want * 2; /* Harris chooses among twice as many */
    corners(img, *guess, kp);
    if (kp.size() < need && *guess > FAST_T) {
        retries++;
        corners(img, FAST_T, kp);
    }
    *guess = FAST_T;
    if (need && kp.size() >= need) {
        cv::KeyPointsFilter::retainBest(kp, (int)need);
        float least = kp[0].response;
        for (const cv::KeyPoint &p : kp)
            least = std::min(least, p.response);
        *guess = std::max(FAST_T, (int)(least * GUESS));
    }
    harris(img, kp);
    cv::KeyPointsFilter::retainBest(kp, want);
    angles(img, kp);
    std::sort(kp.begin(), kp.end(), stronger);
    if (kp.empty())
        return;
    size_t n = kp.size();
    desc_orb->compute(img, kp, desc);
    if (kp.size() != n || desc.rows != (int)n)
        throw std::runtime_error("ORB dropped keypoints it was given");
}

ad_code to_raw(const std::vector<cv::KeyPoint> &kp, const cv::Mat &desc, struct ad_feat_raw *out,
               ad_err *err)
{
    if (kp.empty())
        return AD_OK;
    if (desc.rows != (int)kp.size() || desc.cols != 32 || desc.type() != CV_8U)
        return ad_err_set(err, AD_ERR_INTERNAL, "ORB gave descriptors of an unexpected form");
    out->n = kp.size();
    out->pt = (ad_feat_point *)calloc(out->n, sizeof *out->pt);
    out->desc = (uint8_t *)malloc(out->n * 32);
    if (!out->pt || !out->desc) {
        ad_feat_raw_free(out);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for keypoints");
    }
    for (size_t i = 0; i < out->n; i++) {
        out->pt[i].x = kp[i].pt.x;
        out->pt[i].y = kp[i].pt.y;
        out->pt[i].angle = kp[i].angle < 0 ? 0 : kp[i].angle;
        out->pt[i].octave = kp[i].octave;
        out->pt[i].response = kp[i].response;
        memcpy(out->desc + 32 * i, desc.ptr<uint8_t>((int)i), 32);
    }
    return AD_OK;
}

/* The picture at AD_FEAT_SIDE at most on its long side (a view of it when it is not larger). */
cv::Mat reduced(const uint8_t *grey, int width, int height, size_t stride)
{
    cv::Mat src(height, width, CV_8UC1, const_cast<uint8_t *>(grey), stride);
    int side = width > height ? width : height;
    if (side <= AD_FEAT_SIDE)
        return src;
    double s = (double)AD_FEAT_SIDE / side;
    int w = (int)(width * s + 0.5), h = (int)(height * s + 0.5);
    cv::Mat img;
    cv::resize(src, img, cv::Size(w < 1 ? 1 : w, h < 1 ? 1 : h), 0, 0, cv::INTER_AREA);
    return img;
}

ad_code orb_whole(const uint8_t *grey, int width, int height, size_t stride, int max_points,
                  struct ad_feat_raw *out, ad_err *err)
{
    cv::Mat img = reduced(grey, width, height, stride);
    out->width = img.cols;
    out->height = img.rows;
    int want[LEVELS];
    shares(max_points, want);
    /* the pyramid, as far as a level can hold a keypoint (wider and higher than 2 x EDGE) */
    std::vector<cv::Mat> pyr;
    for (int l = 0; l < LEVELS; l++) {
        float inv = 1.0f / level_scale(l); /* cv::ORB's sizes: by the inverse, in float */
        cv::Size sz(cvRound(img.cols * inv), cvRound(img.rows * inv));
        if (sz.width <= 2 * EDGE || sz.height <= 2 * EDGE)
            break;
        if (l == 0) {
            pyr.push_back(img);
        } else {
            cv::Mat m;
            cv::resize(pyr.back(), m, sz, 0, 0, cv::INTER_LINEAR_EXACT);
            pyr.push_back(m);
        }
    }
    const int levels = (int)pyr.size();
    std::vector<std::vector<cv::KeyPoint>> kp(levels);
    std::vector<cv::Mat> desc(levels);
    cv::Ptr<cv::ORB> desc_orb = make_orb(max_points, 1);
    int guess = FAST_T;
    for (int l = levels - 1; l >= 0; l--) /* coarse to fine: each guesses the next */
        detect_level(pyr[l], want[l], desc_orb, &guess, kp[l], desc[l]);
    std::vector<cv::KeyPoint> all;
    std::vector<cv::Mat> descs;
    for (int l = 0; l < levels; l++) {
        float s = level_scale(l);
        for (cv::KeyPoint p : kp[l]) {
            p.octave = l;
            p.pt *= s;
            all.push_back(p);
        }
        if (!kp[l].empty())
            descs.push_back(desc[l]);
    }
    cv::Mat d;
    if (!descs.empty())
        cv::vconcat(descs, d);
    return to_raw(all, d, out, err);
}

ad_code orb_reference(const uint8_t *grey, int width, int height, size_t stride, int max_points,
                      struct ad_feat_raw *out, ad_err *err)
{
    cv::Mat img = reduced(grey, width, height, stride);
    out->width = img.cols;
    out->height = img.rows;
    std::vector<cv::KeyPoint> kp;
    cv::Mat desc;
    make_orb(max_points, LEVELS)->detectAndCompute(img, cv::noArray(), kp, desc);
    return to_raw(kp, desc, out, err);
}

typedef ad_code (*orb_fn)(const uint8_t *, int, int, size_t, int, struct ad_feat_raw *, ad_err *);

ad_code guarded(orb_fn fn, const uint8_t *grey, int width, int height, size_t stride,
                int max_points, struct ad_feat_raw *out, ad_err *err)
{
    *out = ad_feat_raw{};
    try {
        static const int once = (cv::setNumThreads(1), 0); /* the pipeline runs one per core */
        (void)once;
        return fn(grey, width, height, stride, max_points, out, err);
    } catch (const std::bad_alloc &) {
        ad_feat_raw_free(out);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory in ORB");
    } catch (const std::exception &e) {
        ad_feat_raw_free(out);
        return ad_err_set(err, AD_ERR_INTERNAL, "ORB failed: %s", e.what());
    } catch (...) {
        ad_feat_raw_free(out);
        return ad_err_set(err, AD_ERR_INTERNAL, "ORB failed");
    }
}

} // namespace

extern "C" ad_code ad_feat_orb(const uint8_t *grey, int width, int height, size_t stride,
                               int max_points, struct ad_feat_raw *out, ad_err *err)
{
    return guarded(orb_whole, grey, width, height, stride, max_points, out, err);
}

extern "C" unsigned ad_feat_orb_retries(void)
{
    return retries;
}

extern "C" ad_code ad_feat_orb_reference(const uint8_t *grey, int width, int height,
                                         size_t stride, int max_points, struct ad_feat_raw *out,
                                         ad_err *err)
{
    return guarded(orb_reference, grey, width, height, stride, max_points, out, err);
}
