/* orb.cpp: the one C++ file of the library: OpenCV's ORB detector and descriptor behind a C
 * interface (feat_int.h). The picture is reduced here (area averaging) to AD_FEAT_SIDE on its
 * long side; keypoints come back with their 32-byte descriptors. No exception crosses into C. */
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <exception>
#include <vector>

#include "feat_int.h"

extern "C" ad_code ad_feat_orb(const uint8_t *grey, int width, int height, size_t stride,
                               int max_points, struct ad_feat_raw *out, ad_err *err)
{
    *out = ad_feat_raw{};
    try {
        static const int once = (cv::setNumThreads(1), 0); /* the pipeline runs one per core */
        (void)once;
        cv::Mat src(height, width, CV_8UC1, const_cast<uint8_t *>(grey), stride);
        cv::Mat img;
        int side = width > height ? width : height;
        if (side > AD_FEAT_SIDE) {
            double s = (double)AD_FEAT_SIDE / side;
            int w = (int)(width * s + 0.5), h = (int)(height * s + 0.5);
            cv::resize(src, img, cv::Size(w < 1 ? 1 : w, h < 1 ? 1 : h), 0, 0, cv::INTER_AREA);
        } else {
            img = src;
        }
        out->width = img.cols;
        out->height = img.rows;
        /* FAST threshold 16: corners in soft photos too (12 found the same copies at 10% more
         * instructions: docs/benchmarks.md "Cheaper features in ingest"); edge 19 as the
         * patch needs */
        cv::Ptr<cv::ORB> orb = cv::ORB::create(max_points, 1.2f, 8, 19, 0, 2,
                                               cv::ORB::HARRIS_SCORE, 31, 16);
        std::vector<cv::KeyPoint> kp;
        cv::Mat desc;
        orb->detectAndCompute(img, cv::noArray(), kp, desc);
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
