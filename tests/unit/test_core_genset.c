/* test_core_genset.c — reading a generation as its segment set (real
 * SQLite files in a temp folder, docs/specs/index.md v2): the descriptor's
 * segments and tombstones, the live-row views readers use, a v1 file read as
 * one segment, and clear errors naming the file for a missing segment, a
 * newer schema version and a segment name that is not a plain file name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rag/genset.h"

typedef struct {
    char dir[64];
} fixture;

static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, text, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("%s: %s", path, msg);
    sqlite3_close(db);
}

static char *in_dir(const fixture *f, const char *name)
{
    size_t n = strlen(f->dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", f->dir, name);
    return p;
}

static const char *const SEG_SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE documents(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT, format TEXT NOT NULL,"
    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, chunk_count INTEGER NOT NULL);"
    "CREATE TABLE chunks(id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id INTEGER NOT NULL,"
    " ordinal INTEGER NOT NULL, text TEXT NOT NULL, start_ms INTEGER, end_ms INTEGER, speaker TEXT, token_count INTEGER NOT NULL);"
    "CREATE TABLE embeddings(chunk_rowid INTEGER PRIMARY KEY, vector BLOB NOT NULL);"
    "CREATE TABLE failures(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, reason TEXT NOT NULL,"
    " class TEXT NOT NULL DEFAULT 'content', sha256 TEXT);";

static const char *const DESC_SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE segments(ord INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, documents INTEGER NOT NULL,"
    " chunks INTEGER NOT NULL, tokens INTEGER NOT NULL, live_documents INTEGER NOT NULL, live_chunks INTEGER NOT NULL,"
    " live_tokens INTEGER NOT NULL, max_doc_id INTEGER NOT NULL, max_chunk_id INTEGER NOT NULL);"
    "CREATE TABLE tombstones(doc_id INTEGER PRIMARY KEY);"
    "CREATE TABLE failures(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, reason TEXT NOT NULL,"
    " class TEXT NOT NULL DEFAULT 'content', sha256 TEXT);";

/* Segment A: documents 1, 2 (chunks 1-3); segment B: document 3 (chunk 4),
 * a new version of document 2's path; the descriptor tombstones 2. */
static void write_two_segments(const fixture *f, const char *version, const char *seg_b_name)
{
    char *a = in_dir(f, "seg-a.sqlite"), *b = in_dir(f, "seg-b.sqlite"), *g = in_dir(f, "gen-x.sqlite");
    sql(a, SEG_SCHEMA);
    sql(a, "INSERT INTO documents VALUES(1,'one.txt',NULL,'txt',1,1,'s1',2),(2,'two.txt',NULL,'txt',1,1,'s2',1);"
           "INSERT INTO chunks VALUES(1,'c1',1,0,'alpha',NULL,NULL,NULL,1),(2,'c2',1,1,'beta',NULL,NULL,NULL,1),"
           "(3,'c3',2,0,'gamma old',NULL,NULL,NULL,2);");
    sql(b, SEG_SCHEMA);
    sql(b, "INSERT INTO documents VALUES(3,'two.txt',NULL,'txt',2,2,'s3',1);"
           "INSERT INTO chunks VALUES(4,'c4',3,0,'gamma new',NULL,NULL,NULL,2);");
    sql(g, DESC_SCHEMA);
    char *text = sqlite3_mprintf(
        "INSERT INTO meta VALUES('index_schema_version',%Q),('chunks','3');"
        "INSERT INTO segments VALUES(0,'seg-a.sqlite',2,3,4,1,2,2,2,3),(1,%Q,1,1,2,1,1,2,3,4);"
        "INSERT INTO tombstones VALUES(2);"
        "INSERT INTO failures VALUES('bad.srt',5,5,'bad.srt:1: no cue','content',NULL);",
        version, seg_b_name);
    sql(g, text);
    sqlite3_free(text);
    free(a);
    free(b);
    free(g);
}

static int64_t scalar(sqlite3 *db, const char *q)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_segments_tombstones_and_live_views(void **state)
{
    fixture *f = *state;
    write_two_segments(f, "2", "seg-b.sqlite");
    char *g = in_dir(f, "gen-x.sqlite");
    rag_genset gs;
    rag_error err = {0};
    assert_int_equal(rag_genset_load(g, &gs, &err), RAG_OK);
    assert_int_equal(gs.version, 2);
    assert_int_equal(gs.n, 2);
    assert_string_equal(gs.segs[1].file, "seg-b.sqlite");
    assert_int_equal(gs.segs[0].max_chunk_id, 3);
    assert_int_equal(gs.n_tombstones, 1);
    assert_true(rag_genset_deleted(&gs, 2));
    assert_false(rag_genset_deleted(&gs, 1));
    assert_false(rag_genset_deleted(&gs, 3));
    sqlite3 *db = NULL;
    assert_int_equal(rag_genset_open_db(&gs, &db, &err), RAG_OK);
    assert_int_equal(scalar(db, "SELECT count(*) FROM documents"), 2);
    assert_int_equal(scalar(db, "SELECT count(*) FROM documents WHERE path='two.txt'"), 1);
    assert_int_equal(scalar(db, "SELECT id FROM documents WHERE path='two.txt'"), 3);
    assert_int_equal(scalar(db, "SELECT count(*) FROM chunks"), 3);
    assert_int_equal(scalar(db, "SELECT count(*) FROM chunks WHERE text='gamma old'"), 0);
    assert_int_equal(scalar(db, "SELECT count(*) FROM failures"), 1);
    sqlite3_close(db);
    rag_genset_free(&gs);
    free(g);
}

static void test_a_missing_segment_is_named(void **state)
{
    fixture *f = *state;
    write_two_segments(f, "2", "seg-gone.sqlite");
    char *g = in_dir(f, "gen-x.sqlite");
    rag_genset gs;
    rag_error err = {0};
    assert_int_equal(rag_genset_load(g, &gs, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "seg-gone.sqlite is missing"));
    assert_non_null(strstr(err.msg, "gen-x.sqlite"));
    free(g);
}

static void test_a_segment_name_with_a_slash_is_refused(void **state)
{
    fixture *f = *state;
    write_two_segments(f, "2", "../seg-b.sqlite");
    char *g = in_dir(f, "gen-x.sqlite");
    rag_genset gs;
    rag_error err = {0};
    assert_int_equal(rag_genset_load(g, &gs, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "not a plain name"));
    free(g);
}

static void test_a_newer_version_is_refused(void **state)
{
    fixture *f = *state;
    write_two_segments(f, "3", "seg-b.sqlite");
    char *g = in_dir(f, "gen-x.sqlite");
    rag_genset gs;
    rag_error err = {0};
    assert_int_equal(rag_genset_load(g, &gs, &err), RAG_EVERSION);
    assert_non_null(strstr(err.msg, "index schema version 3 is not supported"));
    free(g);
}

static void test_a_v1_file_is_one_segment(void **state)
{
    fixture *f = *state;
    char *a = in_dir(f, "seg-a.sqlite");
    sql(a, SEG_SCHEMA);
    sql(a, "INSERT INTO meta VALUES('index_schema_version','1');"
           "INSERT INTO documents VALUES(7,'one.txt',NULL,'txt',1,1,'s1',1);"
           "INSERT INTO chunks VALUES(9,'c1',7,0,'alpha',NULL,NULL,NULL,1);");
    rag_genset gs;
    rag_error err = {0};
    assert_int_equal(rag_genset_load(a, &gs, &err), RAG_OK);
    assert_int_equal(gs.version, 1);
    assert_int_equal(gs.n, 1);
    assert_string_equal(gs.segs[0].path, a);
    assert_int_equal(gs.segs[0].live_chunks, 1);
    assert_int_equal(gs.segs[0].max_doc_id, 7);
    assert_int_equal(gs.segs[0].max_chunk_id, 9);
    sqlite3 *db = NULL;
    assert_int_equal(rag_genset_open_db(&gs, &db, &err), RAG_OK);
    assert_int_equal(scalar(db, "SELECT count(*) FROM chunks"), 1);
    sqlite3_close(db);
    rag_genset_free(&gs);
    free(a);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/genset-test.XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    const char *names[] = {"seg-a.sqlite", "seg-b.sqlite", "gen-x.sqlite"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = in_dir(f, names[i]);
        unlink(p);
        free(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_segments_tombstones_and_live_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_missing_segment_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_segment_name_with_a_slash_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_newer_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_v1_file_is_one_segment, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
