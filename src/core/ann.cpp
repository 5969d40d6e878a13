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

// hnswlib 0.6.2's prefetches (USE_SSE) read one neighbour id past the end
// of a full upper-level link list — a 4-byte heap over-read ASan reports;
// its SIMD distances are for float spaces we do not use. Its own switch
// turns both off; our int8 distance has its own SSE2 code below.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <queue>
#include <string>
#include <thread>
#include <vector>

namespace {

// Sum of x[i] * y[i] over int8 vectors. SSE2 (every x86-64): sign-extend
// 16 bytes to two 8 x int16 halves, multiply-add pairs into int32 lanes.
int32_t dot_i8_sse2(const int8_t *x, const int8_t *y, size_t d)
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

#if defined(__x86_64__) && defined(__GNUC__)
// The same with AVX2 (most x86-64 CPUs since 2013), chosen at run time;
// integer sums, so both give the same result bit for bit (graphs built with
// either are the same). 32 values at a time: |x_i| (unsigned) times y_i
// with x_i's sign, multiplied and summed in pairs into int16 by one
// instruction (maddubs) — exact, since quantised values are within
// -127..127 and a pair sums to at most 2 x 128 x 127 < 32768; then 16 at a
// time widened to int16, as SSE2 does with 8.
__attribute__((target("avx2"))) int32_t dot_i8_avx2(const int8_t *x, const int8_t *y, size_t d)
{
    size_t i = 0;
    __m256i sum = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    for (; i + 32 <= d; i += 32) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(y + i));
        const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, ones));
    }
    for (; i + 16 <= d; i += 16) {
        const __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(x + i)));
        const __m256i b = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(y + i)));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(a, b));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    int32_t acc = _mm_cvtsi128_si32(s);
    for (; i < d; i++) acc += (int32_t)x[i] * (int32_t)y[i];
    return acc;
}
#endif

using dot_fn = int32_t (*)(const int8_t *, const int8_t *, size_t);
dot_fn pick_dot()
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return dot_i8_avx2;
#endif
    return dot_i8_sse2;
}
const dot_fn dot_i8 = pick_dot();

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

// hnswlib's loadIndex trusts what it reads (neighbour ids, list lengths,
// levels) and its destructor frees members a failed load never set. So the
// saved bytes are checked here first, completely: the header against the
// layout our space implies, then every link list (lengths, ids in range,
// neighbours present on that level). Returns nullptr or what is wrong.
const char *check_saved(const unsigned char *p, size_t size, size_t dims, size_t expect_count)
{
    size_t off = 0;
    auto take = [&](void *out, size_t n) {
        if (size - off < n) return false;
        std::memcpy(out, p + off, n);
        off += n;
        return true;
    };
    size_t offset0, max_elements, count, per_element, label_offset, offset_data, max_m, max_m0, m, efc;
    int max_level;
    unsigned int entry;
    double mult;
    if (!take(&offset0, 8) || !take(&max_elements, 8) || !take(&count, 8) || !take(&per_element, 8) ||
        !take(&label_offset, 8) || !take(&offset_data, 8) || !take(&max_level, 4) || !take(&entry, 4) ||
        !take(&max_m, 8) || !take(&max_m0, 8) || !take(&m, 8) || !take(&mult, 8) || !take(&efc, 8))
        return "truncated header";
    const size_t links0 = max_m0 * sizeof(unsigned) + sizeof(unsigned), data_size = sizeof(float) + dims;
    if (count != expect_count) return "vector count differs";
    if (max_m0 == 0 || max_m0 > 4096 || max_m == 0 || max_m > 4096 || m == 0 || offset0 != 0 ||
        offset_data != links0 || label_offset != offset_data + data_size ||
        per_element != label_offset + sizeof(size_t) || max_elements < count)
        return "header does not match this dimension and layout";
    if (count == 0) return size == off ? nullptr : "trailing bytes";
    if (max_level < 0 || max_level > 64 || entry >= count) return "bad entry point";
    if ((size - off) / per_element < count) return "truncated vectors";
    const unsigned char *level0 = p + off;
    off += count * per_element;
    const size_t links = max_m * sizeof(unsigned) + sizeof(unsigned);
    std::vector<const unsigned char *> upper(count);
    std::vector<int> level(count);
    for (size_t i = 0; i < count; i++) {
        unsigned int bytes;
        if (!take(&bytes, 4)) return "truncated link lists";
        if (bytes % links || bytes / links > (size_t)max_level || size - off < bytes) return "bad link list size";
        level[i] = (int)(bytes / links);
        upper[i] = p + off;
        off += bytes;
    }
    if (off != size) return "trailing bytes";
    if (level[entry] != max_level) return "entry point is not on the top level";
    auto check_list = [&](const unsigned char *ll, size_t cap, int lev) {
        unsigned short n;
        std::memcpy(&n, ll, sizeof n);
        if (n > cap) return false;
        for (size_t k = 0; k < n; k++) {
            unsigned id;
            std::memcpy(&id, ll + sizeof(unsigned) + k * sizeof id, sizeof id);
            if (id >= count || level[id] < lev) return false;
        }
        return true;
    };
    std::vector<bool> seen(count);
    for (size_t i = 0; i < count; i++) {
        const unsigned char *e = level0 + i * per_element;
        size_t label; // our id; threads add in any order, so not necessarily i
        std::memcpy(&label, e + label_offset, sizeof label);
        if (label >= count || seen[label]) return "ids are not the positions 0..count-1";
        seen[label] = true;
        if (!check_list(e, max_m0, 0)) return "bad neighbour list";
        for (int l = 1; l <= level[i]; l++)
            if (!check_list(upper[i] + (size_t)(l - 1) * links, max_m, l)) return "bad neighbour list";
    }
    return nullptr;
}

using Hnsw = hnswlib::HierarchicalNSW<float>;

// Every cache line of element id's vector (scale + int8 values), so that
// the distances of a whole neighbour list wait for memory once, together.
inline void prefetch_vector(const Hnsw &h, hnswlib::tableint id, size_t bytes)
{
    const char *p = h.getDataByInternalId(id);
    for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
}

// A binary heap over a vector the calling thread keeps between searches:
// the operations std::priority_queue performs (push_heap / pop_heap with
// the same comparator, so the same order, ties included), without
// allocating per search.
struct WalkHeap {
    std::vector<std::pair<float, hnswlib::tableint>> v;
    void clear() { v.clear(); }
    bool empty() const { return v.empty(); }
    size_t size() const { return v.size(); }
    const std::pair<float, hnswlib::tableint> &top() const { return v.front(); }
    void push(float d, hnswlib::tableint id)
    {
        v.emplace_back(d, id);
        std::push_heap(v.begin(), v.end(), Hnsw::CompareByFirst());
    }
    void pop()
    {
        std::pop_heap(v.begin(), v.end(), Hnsw::CompareByFirst());
        v.pop_back();
    }
};

// hnswlib's searchKnn for a graph without deletions, step for step (the
// same distances, visits and heap operations in the same order, so the
// same answer), with one change: the unvisited neighbours of a node are
// collected first and all their vectors prefetched before any distance is
// computed, and the next candidate's neighbour list is prefetched while
// they are. The graph walk is memory-bound (a node's vector is ~6 cache
// lines that are not cached), and hnswlib's own prefetches are off (see
// NO_MANUAL_VECTORIZATION above). The heaps and the neighbour buffer are
// the calling thread's, kept between searches. Leaves the best k as
// (distance, label) in out, in the order the heap pops them (worst
// distance first); search() sorts them.
void search_prefetching(const Hnsw &h, const void *q, size_t k, size_t data_size,
                        std::vector<std::pair<float, hnswlib::labeltype>> &out)
{
    thread_local WalkHeap top, candidates;
    thread_local std::vector<hnswlib::tableint> fresh;
    out.clear();
    if (h.cur_element_count == 0) return;
    const auto dist = [&](hnswlib::tableint id) {
        return h.fstdistfunc_(q, h.getDataByInternalId(id), h.dist_func_param_);
    };
    hnswlib::tableint cur = h.enterpoint_node_;
    float curdist = dist(cur);
    for (int level = h.maxlevel_; level > 0; level--) {
        for (bool changed = true; changed;) {
            changed = false;
            const unsigned *ll = h.get_linklist(cur, level);
            const size_t size = h.getListCount(const_cast<unsigned *>(ll));
            for (size_t i = 1; i <= size; i++) prefetch_vector(h, ll[i], data_size);
            for (size_t i = 1; i <= size; i++) {
                const float d = dist(ll[i]);
                if (d < curdist) {
                    curdist = d;
                    cur = ll[i];
                    changed = true;
                }
            }
        }
    }

    const size_t ef = std::max(h.ef_, k);
    hnswlib::VisitedList *vl = h.visited_list_pool_->getFreeVisitedList();
    hnswlib::vl_type *visited = vl->mass;
    const hnswlib::vl_type tag = vl->curV;
    top.clear();
    candidates.clear();
    fresh.resize(h.maxM0_);
    float lower = dist(cur);
    top.push(lower, cur);
    candidates.push(-lower, cur);
    visited[cur] = tag;
    while (!candidates.empty()) {
        const auto node = candidates.top();
        if (-node.first > lower) break;
        candidates.pop();
        // the next node to expand, unless a neighbour below does better:
        // its neighbour list starts on its way while this one's are scored
        if (!candidates.empty()) __builtin_prefetch(h.get_linklist0(candidates.top().second));
        const unsigned *ll = h.get_linklist0(node.second);
        const size_t size = std::min<size_t>(h.getListCount(const_cast<unsigned *>(ll)), fresh.size());
        size_t n = 0;
        for (size_t j = 1; j <= size; j++) {
            const hnswlib::tableint id = ll[j];
            if (visited[id] == tag) continue;
            visited[id] = tag;
            fresh[n++] = id;
            prefetch_vector(h, id, data_size);
        }
        for (size_t j = 0; j < n; j++) {
            const float d = dist(fresh[j]);
            if (top.size() < ef || lower > d) {
                candidates.push(-d, fresh[j]);
                top.push(d, fresh[j]);
                if (top.size() > ef) top.pop();
                lower = top.top().first;
            }
        }
    }
    h.visited_list_pool_->releaseVisitedList(vl);
    while (top.size() > k) top.pop();
    for (; !top.empty(); top.pop()) out.emplace_back(top.top().first, h.getExternalLabel(top.top().second));
}

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

int rag_ann_add(rag_ann *a, size_t n, const float *x, size_t first_id, int threads, const volatile int *stop,
                char *msg, size_t msgsz)
{
    const size_t dims = a->space.dims, esz = a->space.get_data_size();
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false}, stopped{false};
    std::string why;
    auto work = [&]() {
        std::vector<unsigned char> buf(esz);
        for (size_t i; !failed && (i = next++) < n;) {
            if (stop && *stop) {
                stopped = true;
                break;
            }
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
    return stopped ? 1 : 0;
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

rag_ann *rag_ann_load(int dims, size_t expect_count, rag_ann_read_fn fn, void *ud, char *msg, size_t msgsz)
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
        const off_t size = lseek(mf.fd, 0, SEEK_END);
        if (size <= 0) throw std::runtime_error("no data");
        void *map = mmap(nullptr, (size_t)size, PROT_READ, MAP_PRIVATE, mf.fd, 0);
        if (map == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
        const char *bad = check_saved(static_cast<const unsigned char *>(map), (size_t)size, (size_t)dims, expect_count);
        munmap(map, (size_t)size);
        if (bad) throw std::runtime_error(bad);
        a = new rag_ann((size_t)dims);
        a->hnsw = new hnswlib::HierarchicalNSW<float>(&a->space);
        // the default constructor leaves these unset; a load that throws
        // (out of memory) must leave the destructor something to free
        a->hnsw->data_level0_memory_ = nullptr;
        a->hnsw->linkLists_ = nullptr;
        a->hnsw->visited_list_pool_ = nullptr;
        a->hnsw->cur_element_count = 0;
        try {
            a->hnsw->loadIndex(mf.path(), &a->space, expect_count);
        } catch (...) {
            a->hnsw->cur_element_count = 0; // link lists may be half-read: leak them rather than free garbage
            throw;
        }
        return a;
    } catch (const std::exception &e) {
        delete a;
        set_msg(msg, msgsz, "loading the vector graph", e.what());
        return nullptr;
    }
}

// Both searches: ours (prefetching) or hnswlib's own, same answer: the
// best k by (distance, label), as searchKnn's queue orders them.
static long search(const rag_ann *a, const float *q, size_t k, int64_t *ids, float *scores, bool prefetching)
{
    if (k == 0 || a->hnsw->cur_element_count == 0) return 0;
    try {
        thread_local std::vector<unsigned char> qq;
        thread_local std::vector<std::pair<float, hnswlib::labeltype>> best;
        qq.resize(sizeof(float) + a->space.dims);
        quantise(q, a->space.dims, qq.data());
        if (prefetching) {
            search_prefetching(*a->hnsw, qq.data(), k, qq.size(), best);
            std::sort(best.begin(), best.end());
        } else {
            auto res = a->hnsw->searchKnn(qq.data(), k); // max-heap on (distance, label): worst on top
            best.resize(res.size());
            for (size_t i = best.size(); i-- > 0; res.pop()) best[i] = res.top();
        }
        for (size_t i = 0; i < best.size(); i++) {
            ids[i] = (int64_t)best[i].second;
            scores[i] = 1.0f - best[i].first;
        }
        return (long)best.size();
    } catch (const std::exception &) {
        return -1;
    }
}

long rag_ann_search(const rag_ann *a, const float *q, size_t k, int64_t *ids, float *scores)
{
    return search(a, q, k, ids, scores, true);
}

long rag_ann_search_hnswlib(const rag_ann *a, const float *q, size_t k, int64_t *ids, float *scores)
{
    return search(a, q, k, ids, scores, false);
}

void rag_ann_free(rag_ann *a) { delete a; }

} // extern "C"
