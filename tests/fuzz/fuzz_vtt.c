/* fuzz_vtt.c — libFuzzer harness for the WebVTT transcript parser: any bytes
 * give RAG_OK or a clean RAG_ECORRUPT, never a crash, leak or read past the
 * input; valid UTF-8 in gives valid UTF-8 out that the chunker accepts (the
 * checks are in fuzz_transcript.h, shared with the other transcript formats). */
#include "fuzz_transcript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_transcript_run(parse_vtt, "fuzz.vtt", data, size);
}
