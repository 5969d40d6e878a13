/* settings.c — the console's remembered settings (see settings.h): a small
 * YAML mapping read with the shared yamldoc layer (unknown keys and bad
 * values are problems with file:line:col), written with rag_atomic_write. */
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rag/fsutil.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"
#include "rag/yamldoc.h"

static const char *const level_names[] = {"debug", "info", "warn", "error", NULL};
static const char *const pane_names[] = {"freshness", "config", "services", "runs", "logs", NULL};

void settings_defaults(rt_settings *s)
{
    memset(s, 0, sizeof *s);
    s->log_level = -1;
    s->log_lines = RT_LOG_RING;
}

bool settings_path(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(out, n, "%s/ragtop/settings.yaml", xdg);
    else if (home && *home) snprintf(out, n, "%s/.config/ragtop/settings.yaml", home);
    else return false;
    return true;
}

static int one_of(const char *v, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) return i;
    return -1;
}

int settings_parse(const char *name, const char *buf, size_t len, rt_settings *s, char *why, size_t whyn)
{
    settings_defaults(s);
    why[0] = '\0';
    rag_problems pr = {0};
    rt_settings got;
    settings_defaults(&got);
    rag_ydoc d = {0};
    if (rag_ydoc_load(&d, name, buf, len, &pr) == RAG_OK && rag_ydoc_root(&d)) {
        static const char *const known[] = {"theme", "refresh", "zoom", "log_level", "wrap", "log_lines", NULL};
        yaml_node_t *root = rag_ydoc_root(&d);
        if (rag_ydoc_check_mapping(&d, root, NULL, known)) {
            char *str = NULL;
            if (rag_ydoc_get_str(&d, root, NULL, "theme", &str) == 1) rt_fmt(got.theme, sizeof got.theme, "%s", str);
            free(str);
            str = NULL;
            rag_ydoc_get_duration(&d, root, NULL, "refresh", 250, 60000, &got.refresh_ms);
            if (rag_ydoc_get_str(&d, root, NULL, "zoom", &str) == 1 && strcmp(str, "none") != 0) {
                if (one_of(str, pane_names) < 0)
                    rag_ydoc_problem(&d, rag_ydoc_get(&d, root, "zoom"), "zoom",
                                     "'%s' is not a pane (none, freshness, config, services, runs, logs)", str);
                else rt_fmt(got.zoom, sizeof got.zoom, "%s", str);
            }
            free(str);
            str = NULL;
            if (rag_ydoc_get_str(&d, root, NULL, "log_level", &str) == 1 && strcmp(str, "all") != 0) {
                got.log_level = one_of(str, level_names);
                if (got.log_level < 0)
                    rag_ydoc_problem(&d, rag_ydoc_get(&d, root, "log_level"), "log_level",
                                     "'%s' is not a level (all, debug, info, warn, error)", str);
            }
            free(str);
            rag_ydoc_get_bool(&d, root, NULL, "wrap", &got.wrap);
            int lines = 0;
            if (rag_ydoc_get_int(&d, root, NULL, "log_lines", RT_LOG_RING_MIN, RT_LOG_RING_MAX, &lines) == 1) got.log_lines = lines;
        }
    }
    rag_ydoc_free(&d);
    if (pr.count) {
        snprintf(why, whyn, "%s%s", pr.items[0], pr.count > 1 ? " (and more)" : "");
        rag_problems_free(&pr);
        return -1;
    }
    rag_problems_free(&pr);
    *s = got;
    return 0;
}

int settings_load(const char *path, rt_settings *s, char *why, size_t whyn)
{
    settings_defaults(s);
    why[0] = '\0';
    rag_problems pr = {0};
    char *buf = NULL;
    size_t len = 0;
    int rc = rag_ydoc_read_file(path, 64 * 1024, &buf, &len, &pr);
    if (rc == RAG_ENOENT) {
        rag_problems_free(&pr);
        return 0;
    }
    if (rc != RAG_OK) {
        snprintf(why, whyn, "%s", pr.count ? pr.items[0] : path);
        rag_problems_free(&pr);
        free(buf);
        return -1;
    }
    rag_problems_free(&pr);
    rc = settings_parse(path, buf, len, s, why, whyn);
    free(buf);
    return rc;
}

int settings_save(const char *path, const rt_settings *s, char *why, size_t whyn)
{
    char refresh[32] = "";
    /* whole units only: what the duration parser reads back */
    if (s->refresh_ms > 0 && s->refresh_ms % 1000 == 0) snprintf(refresh, sizeof refresh, "%llds", (long long)(s->refresh_ms / 1000));
    else if (s->refresh_ms > 0) snprintf(refresh, sizeof refresh, "%lldms", (long long)s->refresh_ms);
    char *text = rag_xasprintf("# ragtop settings: written by ragtop when you change one (see ragtop(1))\n"
                               "%s%s%s"
                               "%s%s%s"
                               "zoom: %s\n"
                               "log_level: %s\n"
                               "wrap: %s\n"
                               "log_lines: %lld\n",
                               s->theme[0] ? "theme: \"" : "", s->theme, s->theme[0] ? "\"\n" : "",
                               refresh[0] ? "refresh: " : "", refresh, refresh[0] ? "\n" : "",
                               s->zoom[0] ? s->zoom : "none",
                               s->log_level >= 0 && s->log_level <= 3 ? level_names[s->log_level] : "all",
                               s->wrap ? "true" : "false", (long long)s->log_lines);
    char *dir = rag_dirname(path);
    rag_error err = {0};
    int rc = rag_mkdir_p(dir, 0755, &err);
    if (rc == RAG_OK) rc = rag_atomic_write(path, text, strlen(text), &err);
    free(dir);
    free(text);
    if (rc != RAG_OK) {
        snprintf(why, whyn, "%s", err.msg);
        return -1;
    }
    return 0;
}
