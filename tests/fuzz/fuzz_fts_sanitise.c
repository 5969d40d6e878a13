/* fuzz_fts_sanitise.c — libFuzzer harness for the FTS5 query sanitiser.
 * Every non-empty output is run as a MATCH against a real FTS5 table: any
 * SQLite error (an FTS5 syntax error) aborts. The output must also consist
 * only of double-quoted terms joined by " OR ". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../../src/api/sanitise.h"

static sqlite3 *db;
static sqlite3_stmt *st;

static void setup(void)
{
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61');"
                         "INSERT INTO t VALUES ('calvin cycle fixes carbon dioxide'), ('budget review office');",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1", -1, &st, NULL) != SQLITE_OK)
        abort();
}

/* "term" ( OR "term")* with no bare quote inside a term. */
static void check_shape(const char *s)
{
    const char *p = s;
    for (;;) {
        if (*p++ != '"') abort();
        for (;;) {
            if (*p == '\0') abort();
            if (*p == '"') {
                if (p[1] == '"') { p += 2; continue; }
                p++;
                break;
            }
            p++;
        }
        if (*p == '\0') return;
        if (strncmp(p, " OR ", 4) != 0) abort();
        p += 4;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db) setup();
    char out[API_FTS_MAX_TERMS * (API_FTS_MAX_TERM_BYTES + 6) + 1];
    size_t n = api_fts_sanitise((const char *)data, size, out, sizeof out);
    if (n == 0) {
        if (out[0] != '\0') abort();
        return 0;
    }
    check_shape(out);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, out, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
    if (rc != SQLITE_DONE) abort();
    return 0;
}
