"""`nnarith check`: the figures people write, checked against a spec.

    from nnarith.check.run import check_file
    result = check_file("docs/model.md", "model.yaml")
    [(i.line, i.what, i.status) for i in result.items]

Three stages, kept apart (claims.py defines what passes between them):
- reading: documents.py (and the layouts it hands to: tables, html, layouts, summaries, modules,
  notes, prose), csv, answers -> subjects with their claims;
- alignment: networks.py (which network), align.py and trees.py (which layer, block or span);
- judging: truth.py, architecture.py, sizes.py (the true figures, under each convention), judge.py
  (right, wrong or a note), resolve.py (one block through all three); output.py writes text, JSON
  (nnarith.check/1) and JUnit.
"""
