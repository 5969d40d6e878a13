#!/usr/bin/env python3
"""bench/quality/cranfield.py — read the Cranfield collection (SMART format)
and turn it into what the quality benchmark needs, with no data committed:

  cranfield.py transcripts DATASET OUT_DIR   one cran-NNNN.txt per document
                                             (the abstract, which starts with
                                             the title)
  cranfield.py queries DATASET               225 queries as JSON Lines
                                             {"qid": 1.., "q": "..."}
  cranfield.py qrels DATASET                 judgments as JSON Lines
                                             {"qid", "doc", "grade"} (grades 1-4)

Queries are numbered 1..225 in file order (the `.I` ids skip numbers; this
is the usual mapping the judgments use). Documents with an empty text are
skipped (1398 of 1400 remain)."""
import json
import os
import sys


def smart_records(path):
    """Yield (id, {field: text}) for a SMART file (.I id, then .X fields)."""
    rec_id, fields, field = None, {}, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".I "):
                if rec_id is not None:
                    yield rec_id, fields
                rec_id, fields, field = int(line[3:].strip()), {}, None
            elif len(line) == 2 and line[0] == "." and line[1].isalpha():
                field = line[1]
                fields.setdefault(field, [])
            elif field is not None:
                fields[field].append(line)
    if rec_id is not None:
        yield rec_id, fields


def text_of(fields, key):
    return " ".join(" ".join(fields.get(key, [])).split())


def documents(dataset):
    for doc_id, fields in smart_records(os.path.join(dataset, "cran.all.1400")):
        body = text_of(fields, "W")
        if body:
            yield doc_id, body


def queries(dataset):
    for n, (_, fields) in enumerate(smart_records(os.path.join(dataset, "cran.qry")), 1):
        yield n, text_of(fields, "W")


def qrels(dataset):
    with open(os.path.join(dataset, "cranqrel")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and 1 <= int(parts[2]) <= 4:
                yield int(parts[0]), int(parts[1]), int(parts[2])


def doc_file(doc_id):
    return "cran-%04d.txt" % doc_id


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    what, dataset = argv[1], argv[2]
    if what == "transcripts" and len(argv) == 4:
        os.makedirs(argv[3], exist_ok=True)
        for doc_id, body in documents(dataset):
            with open(os.path.join(argv[3], doc_file(doc_id)), "w") as out:
                out.write(body + "\n")
    elif what == "queries":
        for qid, q in queries(dataset):
            print(json.dumps({"qid": qid, "q": q}))
    elif what == "qrels":
        for qid, doc, grade in qrels(dataset):
            print(json.dumps({"qid": qid, "doc": doc, "grade": grade}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
