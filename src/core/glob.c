/* glob.c — ingest.include / ingest.exclude glob matching (see
 * include/rag/glob.h): a small recursive matcher over '/'-separated relative
 * paths, no allocation. */
#include "rag/glob.h"

#include <string.h>

static bool class_match(const char **pp, char c)
{
    const char *p = *pp + 1;
    bool neg = false, ok = false;
    if (*p == '!' || *p == '^') { neg = true; p++; }
    bool first = true;
    while (*p && (*p != ']' || first)) {
        first = false;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            if (c >= p[0] && c <= p[2]) ok = true;
            p += 3;
        } else {
            if (c == *p) ok = true;
            p++;
        }
    }
    if (*p != ']')
        return false; /* unterminated class matches nothing */
    *pp = p + 1;
    return ok != neg;
}

bool rag_glob_match(const char *p, const char *s)
{
    while (*p) {
        if (p[0] == '*' && p[1] == '*') {
            const char *rest = p + 2;
            if (*rest == '/') {
                rest++;
                for (const char *t = s;;) {
                    if (rag_glob_match(rest, t))
                        return true;
                    t = strchr(t, '/');
                    if (!t)
                        return false;
                    t++;
                }
            }
            for (const char *t = s;; t++) {
                if (rag_glob_match(rest, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (*p == '*') {
            p++;
            for (const char *t = s;; t++) {
                if (rag_glob_match(p, t))
                    return true;
                if (!*t || *t == '/')
                    return false;
            }
        }
        if (!*s)
            return false;
        if (*p == '?') {
            if (*s == '/')
                return false;
            p++;
            s++;
            continue;
        }
        if (*p == '[') {
            if (*s == '/' || !class_match(&p, *s))
                return false;
            s++;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}
