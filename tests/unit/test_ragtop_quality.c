/* test_ragtop_quality.c — retrieval quality in ragtop's pure parts: the
 * sparkline levels and glyphs (fixed and relative scale, ASCII fallback),
 * the quality check of the one status evaluation (not measured, pass,
 * warn, crit, forced; its rollback fix and target), the metrics line's
 * quality fields and the watcher's alert identity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/collect.h"
#include "../../src/ragtop/spark.h"
#include "../../src/ragtop/status.h"
#include "rag/alert.h"
#include "rag/confighash.h"

static const int64_t NOW = 1795874400000LL;

static void test_spark_absolute_scale_is_fixed(void **state)
{
    (void)state;
    assert_int_equal(spark_level_absolute(0, 1000), 0);
    assert_int_equal(spark_level_absolute(1000, 1000), 7);
    assert_int_equal(spark_level_absolute(1500, 1000), 7);
    assert_int_equal(spark_level_absolute(500, 1000), 4); /* 3.5 rounds up */
    assert_int_equal(spark_level_absolute(-1, 1000), -1);
    char out[64];
    const int64_t v[] = {900, 600, -1, 300};
    assert_int_equal(spark_render_absolute(v, 4, 12, 1000, false, out, sizeof out), 4);
    assert_string_equal(out, "\u2587\u2585\u2717\u2583");
    assert_int_equal(spark_render_absolute(v, 4, 12, 1000, true, out, sizeof out), 4);
    assert_string_equal(out, "*=x-");
    /* the last w values; never a cut glyph when the buffer is short */
    assert_int_equal(spark_render_absolute(v, 4, 2, 1000, true, out, sizeof out), 2);
    assert_string_equal(out, "x-");
    assert_int_equal(spark_render_absolute(v, 4, 12, 1000, false, out, 7), 2);
    assert_string_equal(out, "\u2587\u2585");
}

static void test_spark_relative_scale_keeps_ui_spark_levels(void **state)
{
    (void)state;
    assert_int_equal(spark_level_relative(10, 10, 70), 1); /* the smallest one step up */
    assert_int_equal(spark_level_relative(70, 10, 70), 7);
    assert_int_equal(spark_level_relative(40, 10, 70), 4);
    assert_int_equal(spark_level_relative(5, 5, 5), 3);    /* all equal */
    assert_int_equal(spark_level_relative(-1, 0, 9), -1);
    assert_string_equal(spark_glyph(-1, true), "x");
    assert_string_equal(spark_glyph(0, true), "_");
    assert_string_equal(spark_glyph(7, false), "\u2588");
}

static void snap_with_quality(rt_snapshot *s, double ndcg, const char *gate)
{
    snapshot_init(s);
    rag_config_defaults(&s->config.cfg, "/tmp");
    s->config.rc = RAG_OK;
    s->config.canonical = rag_config_canonical(&s->config.cfg);
    rag_json_hash(s->config.canonical, s->config.hash);
    s->services_rc = RAG_OK;
    s->manifest.rc = RAG_OK;
    memset(&s->manifest.m, 0, sizeof s->manifest.m);
    snprintf(s->manifest.m.generation, sizeof s->manifest.m.generation, "gen-a.sqlite");
    snprintf(s->manifest.m.config_hash, sizeof s->manifest.m.config_hash, "%s", s->config.hash);
    s->manifest.m.generated_at_ms = s->manifest.m.checked_at_ms = NOW;
    if (!gate) return;
    s->manifest.m.quality.present = true;
    s->manifest.m.quality.ndcg_at_10 = ndcg;
    s->manifest.m.quality.recall_at_k = 0.5;
    s->manifest.m.quality.mrr = 0.25;
    s->manifest.m.quality.k = 10;
    s->manifest.m.quality.queries = 8;
    s->manifest.m.quality.failed = 1;
    s->manifest.m.quality.failed_queries = cJSON_Parse("[{\"id\":\"g-1\",\"query\":\"q\",\"ndcg_at_10\":0}]");
    snprintf(s->manifest.m.quality.gate, sizeof s->manifest.m.quality.gate, "%s", gate);
}

static void free_snap(rt_snapshot *s)
{
    rag_config_free(&s->config.cfg);
    cJSON_Delete(s->config.canonical);
    cJSON_Delete(s->manifest.m.quality.failed_queries);
    free(s->services.items);
}

static void test_status_quality_check(void **state)
{
    (void)state;
    rt_snapshot s;
    rt_status st;
    snap_with_quality(&s, 0, NULL); /* not measured */
    status_evaluate(&s, NOW, &st);
    const rt_check *q = status_find(&st, "quality");
    assert_non_null(q);
    assert_int_equal(q->severity, RT_OK);
    assert_non_null(strstr(q->summary, "not measured"));
    status_free(&st);
    free_snap(&s);

    snap_with_quality(&s, 0.6, "passed"); /* no thresholds (defaults 0 = off) */
    status_evaluate(&s, NOW, &st);
    q = status_find(&st, "quality");
    assert_int_equal(q->severity, RT_OK);
    assert_string_equal(q->summary, "nDCG@10 0.600, recall@10 0.500, MRR 0.250 on 8 golden queries");
    status_free(&st);
    s.config.cfg.quality.warn_ndcg = 0.7;
    status_evaluate(&s, NOW, &st);
    q = status_find(&st, "quality");
    assert_int_equal(q->severity, RT_WARN);
    assert_string_equal(q->fix, "rollback");
    assert_non_null(strstr(q->summary, "below quality.warn_ndcg 0.700"));
    assert_non_null(strstr(q->details, "1 of 8 golden queries fail: g-1"));
    assert_non_null(strstr(q->details, "rag-ingest --rollback"));
    assert_string_equal(q->target, ""); /* no service has a rollback action */
    status_free(&st);
    s.config.cfg.quality.min_ndcg = 0.65;
    char *argv[] = {"make", "rollback", NULL};
    rag_action rb = {.name = "rollback", .argv = argv, .argc = 2, .confirm = true};
    s.services.count = 1;
    s.services.items = calloc(1, sizeof *s.services.items);
    s.services.items[0].name = "rag_ingest";
    s.services.items[0].kind = RAG_SERVICE_JOB;
    s.services.items[0].actions = &rb;
    s.services.items[0].n_actions = 1;
    status_evaluate(&s, NOW, &st);
    q = status_find(&st, "quality");
    assert_int_equal(q->severity, RT_CRIT);
    assert_int_equal(st.overall, RT_CRIT);
    assert_string_equal(q->target, "rag_ingest");
    assert_ptr_equal(status_fix_action(&s, q, NULL), &rb);
    assert_int_equal(status_fix_def(q->fix)->key, 'b');
    status_free(&st);
    free_snap(&s);

    snap_with_quality(&s, 0.9, "forced"); /* above every threshold, but forced past the gate */
    s.config.cfg.quality.warn_ndcg = 0.7;
    status_evaluate(&s, NOW, &st);
    q = status_find(&st, "quality");
    assert_int_equal(q->severity, RT_WARN);
    assert_non_null(strstr(q->summary, "--force"));
    status_free(&st);
    free_snap(&s);
}

static void test_runs_parse_quality_fields(void **state)
{
    (void)state;
    const char *line = "{\"run_id\":\"R1\",\"status\":\"failed\",\"quality_ndcg_at_10\":0.41,\"quality_recall_at_k\":0.5,"
                       "\"quality_mrr\":0.3,\"quality_failed\":4,\"quality_gate\":\"refused\"}";
    rt_run r;
    assert_true(collect_runs_parse_line(line, strlen(line), &r));
    assert_true(r.has_quality);
    assert_true(r.quality_ndcg > 0.409 && r.quality_ndcg < 0.411);
    assert_true(r.quality_mrr > 0.29 && r.quality_mrr < 0.31);
    assert_int_equal(r.quality_failed, 4);
    assert_string_equal(r.quality_gate, "refused");
    const char *skipped = "{\"run_id\":\"R2\",\"status\":\"published\",\"quality_gate\":\"skipped\"}";
    assert_true(collect_runs_parse_line(skipped, strlen(skipped), &r));
    assert_false(r.has_quality); /* absent figures are tolerated, not zero */
    assert_string_equal(r.quality_gate, "skipped");
    const char *old = "{\"run_id\":\"R3\",\"status\":\"published\"}";
    assert_true(collect_runs_parse_line(old, strlen(old), &r));
    assert_false(r.has_quality);
    assert_string_equal(r.quality_gate, "");
}

static void test_alert_identity_of_quality(void **state)
{
    (void)state;
    char name[64], service[96];
    rag_alert_identity("quality", name, sizeof name, service, sizeof service);
    assert_string_equal(name, "RagQualityLow");
    assert_string_equal(service, "rag_ingest");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spark_absolute_scale_is_fixed),
        cmocka_unit_test(test_spark_relative_scale_keeps_ui_spark_levels),
        cmocka_unit_test(test_status_quality_check),
        cmocka_unit_test(test_runs_parse_quality_fields),
        cmocka_unit_test(test_alert_identity_of_quality),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
