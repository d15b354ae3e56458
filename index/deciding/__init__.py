"""From a ranking to a response: the evidence, the answer / related / none decision and its calibration (labelled or
label-free), the short answer, and the answerer that runs them with a cache. Reads rankings (index.ranking)."""
