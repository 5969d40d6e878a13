// ann.cpp — hnswlib behind include/rag/ann.h (see there); the only C++ in
// ragtop. Every exception is caught here and turned into a message: nothing
// C++ crosses the interface.
//
// Storage: hnswlib takes any "space" (element size + distance function);
// ours keeps each vector as a float scale s = max|x_i| / 127 followed by
// dims int8 values round(x_i / s), and the distance is 1 - s_a s_b sum(a_i b_i)
// (1 - approximate inner product). A query is quantised the same way.
//
// hnswlib 0.6.2 saves and loads only by file name, so the graph goes
// through an anonymous memory file (memfd) between it and the callbacks:
// nothing touches the disk and nothing is left behind on a crash.
#include "rag/ann.h"

#include <hnswlib/hnswlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace {

// Sum of x[i] * y[i] over int8 vectors. SSE2 (every x86-64): sign-extend
// 16 bytes to two 8 x int16 halves, multiply-add pairs into int32 lanes.
int32_t dot_i8(const int8_t *x, const int8_t *y, size_t d)
{
    size_t i = 0;
    int32_t acc = 0;
#if defined(__SSE2__)
    __m128i sum = _mm_setzero_si128();
    for (; i + 16 <= d; i += 16) {
        const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i *>(x + i));
        const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i *>(y + i));
        const __m128i alo = _mm_srai_epi16(_mm_unpacklo_epi8(va, va), 8);
        const __m128i ahi = _mm_srai_epi16(_mm_unpackhi_epi8(va, va), 8);
        const __m128i blo = _mm_srai_epi16(_mm_unpacklo_epi8(vb, vb), 8);
        const __m128i bhi = _mm_srai_epi16(_mm_unpackhi_epi8(vb, vb), 8);
        sum = _mm_add_epi32(sum, _mm_add_epi32(_mm_madd_epi16(alo, blo), _mm_madd_epi16(ahi, bhi)));
    }
    int32_t lanes[4];
    _mm_storeu_si128(reinterpret_cast<__m128i *>(lanes), sum);
    acc = lanes[0] + lanes[1] + lanes[2] + lanes[3];
#endif
    for (; i < d; i++) acc += (int32_t)x[i] * (int32_t)y[i];
    return acc;
}

struct Int8Space : hnswlib::SpaceInterface<float> {
    size_t dims;
    explicit Int8Space(size_t d) : dims(d) {}
    size_t get_data_size() override { return sizeof(float) + dims; }
    hnswlib::DISTFUNC<float> get_dist_func() override { return distance; }
    void *get_dist_func_param() override { return &dims; }

    static float distance(const void *a, const void *b, const void *param)
    {
        const size_t d = *static_cast<const size_t *>(param);
        float sa, sb;
        std::memcpy(&sa, a, sizeof sa);
        std::memcpy(&sb, b, sizeof sb);
        const int8_t *x = static_cast<const int8_t *>(a) + sizeof(float);
        const int8_t *y = static_cast<const int8_t *>(b) + sizeof(float);
        return 1.0f - sa * sb * (float)dot_i8(x, y, d);
    }
};

void quantise(const float *x, size_t dims, unsigned char *out)
{
    float maxabs = 0.0f;
    for (size_t i = 0; i < dims; i++) maxabs = std::max(maxabs, std::fabs(x[i]));
    const float s = maxabs > 0.0f ? maxabs / 127.0f : 0.0f;
    std::memcpy(out, &s, sizeof s);
    int8_t *q = reinterpret_cast<int8_t *>(out + sizeof s);
    for (size_t i = 0; i < dims; i++) {
        float v = s > 0.0f ? std::nearbyint(x[i] / s) : 0.0f;
        q[i] = (int8_t)std::min(127.0f, std::max(-127.0f, v));
    }
}

void set_msg(char *msg, size_t msgsz, const char *what, const char *detail)
{
    if (msg && msgsz) std::snprintf(msg, msgsz, "%s: %s", what, detail);
}

// An anonymous in-memory file, named by its /proc/self/fd path.
struct MemFile {
    int fd = -1;
    MemFile() { fd = memfd_create("ragtop-ann", MFD_CLOEXEC); }
    ~MemFile()
    {
        if (fd >= 0) close(fd);
    }
    std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
};

} // namespace

struct rag_ann {
    Int8Space space;
    hnswlib::HierarchicalNSW<float> *hnsw = nullptr;
    explicit rag_ann(size_t d) : space(d) {}
    ~rag_ann() { delete hnsw; }
};

extern "C" {

rag_ann *rag_ann_new(int dims, size_t capacity, int m, int ef_construction, char *msg, size_t msgsz)
{
    rag_ann *a = nullptr;
    try {
        a = new rag_ann((size_t)dims);
        a->hnsw = new hnswlib::HierarchicalNSW<float>(&a->space, capacity ? capacity : 1, (size_t)m,
                                                      (size_t)ef_construction);
        return a;
    } catch (const std::exception &e) {
        delete a;
        set_msg(msg, msgsz, "creating the vector graph", e.what());
        return nullptr;
    }
}

int rag_ann_add(rag_ann *a, size_t n, const float *x, size_t first_id, int threads, char *msg, size_t msgsz)
{
    const size_t dims = a->space.dims, esz = a->space.get_data_size();
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::string why;
    auto work = [&]() {
        std::vector<unsigned char> buf(esz);
        for (size_t i; !failed && (i = next++) < n;) {
            try {
                quantise(x + i * dims, dims, buf.data());
                a->hnsw->addPoint(buf.data(), first_id + i);
            } catch (const std::exception &e) {
                if (!failed.exchange(true)) why = e.what();
            }
        }
    };
    try {
        std::vector<std::thread> pool;
        for (int t = 1; t < threads && (size_t)t < n; t++) pool.emplace_back(work);
        work();
        for (auto &t : pool) t.join();
    } catch (const std::exception &e) { // no thread could be started: the work ran (or runs) here
        failed = true;
        why = e.what();
    }
    if (failed) {
        set_msg(msg, msgsz, "adding to the vector graph", why.c_str());
        return -1;
    }
    return 0;
}

size_t rag_ann_count(const rag_ann *a) { return a->hnsw->cur_element_count; }
int rag_ann_dims(const rag_ann *a) { return (int)a->space.dims; }

size_t rag_ann_memory(const rag_ann *a)
{
    const auto *h = a->hnsw;
    return h->max_elements_ * (h->size_data_per_element_ + sizeof(std::mutex) + sizeof(int) + sizeof(void *));
}

void rag_ann_set_ef(rag_ann *a, int ef) { a->hnsw->setEf((size_t)(ef > 0 ? ef : 1)); }

int rag_ann_save(const rag_ann *a, rag_ann_write_fn fn, void *ud, char *msg, size_t msgsz)
{
    try {
        MemFile mf;
        if (mf.fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
        a->hnsw->saveIndex(mf.path());
        off_t size = lseek(mf.fd, 0, SEEK_END);
        if (size < 0 || lseek(mf.fd, 0, SEEK_SET) != 0) throw std::runtime_error("cannot seek the saved graph");
        std::vector<char> buf(1 << 20);
        for (off_t done = 0; done < size;) {
            ssize_t got = read(mf.fd, buf.data(), std::min((off_t)buf.size(), size - done));
            if (got <= 0) throw std::runtime_error("cannot read the saved graph back");
            if (fn(ud, buf.data(), (size_t)got) != (size_t)got) throw std::runtime_error("the sink refused the bytes");
            done += got;
        }
        return 0;
    } catch (const std::exception &e) {
        set_msg(msg, msgsz, "saving the vector graph", e.what());
        return -1;
    }
}

rag_ann *rag_ann_load(int dims, rag_ann_read_fn fn, void *ud, char *msg, size_t msgsz)
{
    rag_ann *a = nullptr;
    try {
        MemFile mf;
        if (mf.fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
        std::vector<char> buf(1 << 20);
        for (size_t got; (got = fn(ud, buf.data(), buf.size())) > 0;)
            for (size_t off = 0; off < got;) {
                ssize_t w = write(mf.fd, buf.data() + off, got - off);
                if (w <= 0) throw std::runtime_error(std::string("memfd write: ") + std::strerror(errno));
                off += (size_t)w;
            }
        a = new rag_ann((size_t)dims);
        // hnswlib trusts the file's header; check it against what we expect
        // before letting it allocate from it
        size_t hdr[4];
        if (pread(mf.fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) throw std::runtime_error("truncated header");
        const size_t max_elements = hdr[1], count = hdr[2], per_element = hdr[3];
        if (count > max_elements || per_element < a->space.get_data_size() || per_element > (1u << 20))
            throw std::runtime_error("not a vector graph of this dimension");
        a->hnsw = new hnswlib::HierarchicalNSW<float>(&a->space);
        a->hnsw->loadIndex(mf.path(), &a->space, count);
        if (a->hnsw->data_size_ != a->space.get_data_size())
            throw std::runtime_error("element size does not match the dimension");
        return a;
    } catch (const std::exception &e) {
        delete a;
        set_msg(msg, msgsz, "loading the vector graph", e.what());
        return nullptr;
    }
}

long rag_ann_search(const rag_ann *a, const float *q, size_t k, int64_t *ids, float *scores)
{
    if (k == 0 || a->hnsw->cur_element_count == 0) return 0;
    try {
        std::vector<unsigned char> qq(sizeof(float) + a->space.dims);
        quantise(q, a->space.dims, qq.data());
        auto res = a->hnsw->searchKnn(qq.data(), k); // max-heap on distance: worst on top
        long n = (long)res.size();
        for (long i = n - 1; i >= 0; i--) {
            ids[i] = (int64_t)res.top().second;
            scores[i] = 1.0f - res.top().first;
            res.pop();
        }
        return n;
    } catch (const std::exception &) {
        return -1;
    }
}

void rag_ann_free(rag_ann *a) { delete a; }

} // extern "C"
