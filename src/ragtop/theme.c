/* theme.c — theme files and colour pairs. A theme file has one line per
 * role: "ok = 114|green default bold" (foreground, optional background,
 * optional attributes; a colour is a name, a 0-255 index or default, and
 * "256|8" gives a 256-colour value with its 8-colour fallback). Pair i+1
 * belongs to role i; with colours off only the attributes are used. */
#include "theme.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rag/fsutil.h"

static const char *role_names[ROLE_COUNT] = {
    "normal", "muted", "accent", "header", "title", "border", "focus", "selected", "ok", "warn",
    "fail", "stale", "debug", "info", "key", "keylabel", "dialog", "progress",
};

static const char *color_names[] = {"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"};

/* Pairs and attributes in effect (UI thread only). */
static int role_attr[ROLE_COUNT];

const char *theme_role_name(theme_role r) { return r < ROLE_COUNT ? role_names[r] : "?"; }

static const char builtin_text[] =
    "normal   = default default\n"
    "muted    = 244|white default\n"
    "accent   = 75|cyan default bold\n"
    "header   = 255|white 24|blue bold\n"
    "title    = 75|cyan default bold\n"
    "border   = 240|white default\n"
    "focus    = 214|yellow default bold\n"
    "selected = default 237|blue\n"
    "ok       = 114|green default\n"
    "warn     = 214|yellow default bold\n"
    "fail     = 203|red default bold\n"
    "stale    = 176|magenta default\n"
    "debug    = 244|white default dim\n"
    "info     = default default\n"
    "key      = 16|black 75|cyan bold\n"
    "keylabel = 252|white 236|black\n"
    "dialog   = 255|white 24|blue\n"
    "progress = 16|black 114|green\n";

void theme_builtin(theme *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "default-dark");
    for (int i = 0; i < ROLE_COUNT; i++) t->roles[i] = (theme_entry){{-1, -1}, {-1, -1}, 0};
    rag_error err;
    theme_parse("builtin", builtin_text, t, &err);
    t->path[0] = '\0';
}

static int parse_one(const char *s, short *out)
{
    if (strcasecmp(s, "default") == 0 || strcmp(s, "-1") == 0) { *out = -1; return 0; }
    bool bright = strncasecmp(s, "bright-", 7) == 0;
    const char *n = bright ? s + 7 : s;
    for (int i = 0; i < 8; i++)
        if (strcasecmp(n, color_names[i]) == 0) { *out = (short)(i + (bright ? 8 : 0)); return 0; }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && v >= 0 && v <= 255) { *out = (short)v; return 0; }
    return -1;
}

static int parse_color(const char *s, theme_color *c)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *bar = strchr(buf, '|');
    if (bar) *bar = '\0';
    if (parse_one(buf, &c->c256) != 0) return -1;
    if (bar) {
        if (parse_one(bar + 1, &c->c8) != 0 || c->c8 > 15) return -1;
    } else {
        c->c8 = c->c256 < 16 ? c->c256 : -1;
    }
    return 0;
}

static int parse_attr(const char *s)
{
    static const struct { const char *n; int a; } attrs[] = {
        {"bold", THEME_A_BOLD}, {"dim", THEME_A_DIM}, {"reverse", THEME_A_REVERSE},
        {"underline", THEME_A_UNDERLINE}, {"italic", THEME_A_ITALIC}, {"standout", THEME_A_STANDOUT},
        {"none", 0},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
        if (strcasecmp(s, attrs[i].n) == 0) return attrs[i].a;
    return -1;
}

int theme_parse(const char *name, const char *text, theme *t, rag_error *err)
{
    char *copy = rag_xstrdup(text), *save = NULL;
    int lineno = 0, rc = RAG_OK;
    /* strtok_r would skip empty lines and lose numbering: split by hand */
    for (char *line = copy; line && rc == RAG_OK; line = save) {
        lineno++;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *eq = strchr(line, '=');
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) continue;
        if (!eq) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s:%d: expected 'role = colour [background] [attributes]'", name, lineno);
            break;
        }
        *eq = '\0';
        char key[64] = "";
        sscanf(p, "%63s", key);
        if (strcmp(key, "name") == 0) {
            char v[64] = "";
            sscanf(eq + 1, "%63s", v);
            snprintf(t->name, sizeof t->name, "%s", v);
            continue;
        }
        int role = -1;
        for (int i = 0; i < ROLE_COUNT; i++)
            if (strcmp(key, role_names[i]) == 0) role = i;
        if (role < 0) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s:%d: unknown role '%s'", name, lineno, key);
            break;
        }
        theme_entry e = {{-1, -1}, {-1, -1}, 0};
        int field = 0;
        char *tsave = NULL;
        for (char *tok = strtok_r(eq + 1, " \t\r", &tsave); tok; tok = strtok_r(NULL, " \t\r", &tsave)) {
            int a;
            if (field < 2 && parse_color(tok, field == 0 ? &e.fg : &e.bg) == 0) {
                field++;
            } else if ((a = parse_attr(tok)) >= 0) {
                e.attrs |= a;
                field = 2;
            } else {
                rc = rag_error_set(err, RAG_ECORRUPT, "%s:%d: %s: unknown colour or attribute '%s'", name, lineno, key, tok);
                break;
            }
        }
        if (rc == RAG_OK && field == 0 && e.attrs == 0) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s:%d: %s: no colour given", name, lineno, key);
        }
        if (rc == RAG_OK) t->roles[role] = e;
    }
    free(copy);
    return rc;
}

static char *program_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return NULL;
    buf[n] = '\0';
    return rag_dirname(buf);
}

int theme_load(const char *name, theme *t, rag_error *err)
{
    char *cands[8] = {0};
    size_t nc = 0;
    if (strchr(name, '/')) {
        cands[nc++] = rag_xstrdup(name);
    } else {
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        if (xdg && *xdg) cands[nc++] = rag_xasprintf("%s/ragtop/themes/%s.theme", xdg, name);
        else if (home && *home) cands[nc++] = rag_xasprintf("%s/.config/ragtop/themes/%s.theme", home, name);
        const char *env = getenv("RAGTOP_THEMES_DIR");
        if (env && *env) cands[nc++] = rag_xasprintf("%s/%s.theme", env, name);
        char *pd = program_dir();
        if (pd) {
            cands[nc++] = rag_xasprintf("%s/../../themes/%s.theme", pd, name);
            cands[nc++] = rag_xasprintf("%s/../share/ragtop/themes/%s.theme", pd, name);
            free(pd);
        }
        cands[nc++] = rag_xasprintf("themes/%s.theme", name);
    }
    int rc = RAG_ENOENT;
    char searched[900] = "";
    for (size_t i = 0; i < nc; i++) {
        char *text = NULL;
        size_t len;
        rag_error e2 = {0};
        if (rc == RAG_ENOENT) {
            int r = rag_read_file(cands[i], 256 * 1024, &text, &len, &e2);
            if (r == RAG_OK) {
                theme_builtin(t);
                snprintf(t->name, sizeof t->name, "%s", name);
                rc = theme_parse(cands[i], text, t, err);
                if (rc == RAG_OK) snprintf(t->path, sizeof t->path, "%s", cands[i]);
                free(text);
            } else {
                size_t l = strlen(searched);
                snprintf(searched + l, sizeof searched - l, "%s%s", l ? ", " : "", cands[i]);
            }
        }
        free(cands[i]);
    }
    if (rc == RAG_ENOENT)
        rag_error_set(err, RAG_ENOENT, "theme '%s' not found (looked in %s)", name, searched);
    return rc;
}

static short pick(theme_color c, bool many)
{
    if (many) return c.c256;
    if (c.c8 < 0) return -1;
    return (short)(c.c8 % 8);
}

void theme_apply(const theme *t, bool colors)
{
    bool many = colors && COLORS >= 256;
    for (int i = 0; i < ROLE_COUNT; i++) {
        const theme_entry *e = &t->roles[i];
        int a = 0;
        if (e->attrs & THEME_A_BOLD) a |= A_BOLD;
        if (e->attrs & THEME_A_DIM) a |= A_DIM;
        if (e->attrs & THEME_A_REVERSE) a |= A_REVERSE;
        if (e->attrs & THEME_A_UNDERLINE) a |= A_UNDERLINE;
        if (e->attrs & THEME_A_STANDOUT) a |= A_STANDOUT;
#ifdef A_ITALIC
        if (e->attrs & THEME_A_ITALIC) a |= A_ITALIC;
#endif
        if (colors && has_colors()) {
            short fg = pick(e->fg, many), bg = pick(e->bg, many);
            /* bright 8-colour fallbacks (8..15) become bold */
            if (!many && e->fg.c8 >= 8) a |= A_BOLD;
            init_pair((short)(i + 1), fg, bg);
            a |= COLOR_PAIR(i + 1);
        }
        role_attr[i] = a;
    }
}

int theme_attr(theme_role r) { return r < ROLE_COUNT ? role_attr[r] : 0; }
