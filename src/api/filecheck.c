/* filecheck.c — paced stat() change detection (see filecheck.h). Compares
 * inode, size and mtime (with nanoseconds), so an atomic replace or an
 * append is seen within a second without reading the file. */
#include "filecheck.h"

#include <string.h>

void api_filecheck_init(api_filecheck *c)
{
    memset(c, 0, sizeof *c);
    c->last_check_ms = INT64_MIN;
}

api_file_state api_filecheck_poll(api_filecheck *c, const char *path, int64_t now_mono_ms)
{
    bool first = c->last_check_ms == INT64_MIN;
    if (!first && now_mono_ms - c->last_check_ms < 1000) return API_FILE_SAME;
    c->last_check_ms = now_mono_ms;
    struct stat st;
    if (stat(path, &st) != 0) {
        bool was = c->have_stat;
        c->have_stat = false;
        return was || first ? API_FILE_GONE : API_FILE_SAME;
    }
    if (c->have_stat && st.st_ino == c->st.st_ino && st.st_size == c->st.st_size &&
        st.st_mtim.tv_sec == c->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == c->st.st_mtim.tv_nsec)
        return API_FILE_SAME;
    c->st = st;
    c->have_stat = true;
    return API_FILE_CHANGED;
}
