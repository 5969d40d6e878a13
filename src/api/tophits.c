/* tophits.c — see tophits.h. */
#include "tophits.h"

/* a ranks below b: lower score, or the same score and a larger rowid */
static bool worse(const api_scored *a, const api_scored *b)
{
    if (a->score != b->score) return a->score < b->score;
    return a->rowid > b->rowid;
}

static void swap(api_scored *a, api_scored *b)
{
    const api_scored t = *a;
    *a = *b;
    *b = t;
}

static void sift_down(api_scored *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(&h[l], &h[m])) m = l;
        if (r < n && worse(&h[r], &h[m])) m = r;
        if (m == i) return;
        swap(&h[i], &h[m]);
        i = m;
    }
}

void api_top_offer(api_top *t, int64_t rowid, double score)
{
    const api_scored s = {rowid, score};
    if (t->n < t->cap) {
        size_t i = t->n++;
        t->hit[i] = s;
        while (i > 0 && worse(&t->hit[i], &t->hit[(i - 1) / 2])) { /* up to its place */
            swap(&t->hit[i], &t->hit[(i - 1) / 2]);
            i = (i - 1) / 2;
        }
    } else if (t->cap > 0 && worse(&t->hit[0], &s)) {
        t->hit[0] = s;
        sift_down(t->hit, t->n, 0);
    }
}

void api_top_sort(api_top *t)
{
    /* heapsort: the worst kept goes to the end, one at a time */
    for (size_t n = t->n; n > 1; n--) {
        swap(&t->hit[0], &t->hit[n - 1]);
        sift_down(t->hit, n - 1, 0);
    }
}
