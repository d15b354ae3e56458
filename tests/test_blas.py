"""A process that answers questions runs its BLAS on one thread (faq.blas)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_one_blas_thread_leaves_every_blas_library_at_one_thread():
    code = ("import numpy, json; from threadpoolctl import threadpool_info; from faq.blas import one_blas_thread; "
            "one_blas_thread(); print(json.dumps([i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2", "PYTHONPATH": str(ROOT)}).stdout
    assert out.strip() != "[]" and set(json.loads(out)) == {1}
