"""The CAC Knowledge Platform's project package (settings, URLs, WSGI)."""

import os

# One BLAS thread per process, set before numpy is first imported (the settings import this
# package first). A web or task process works one request per thread, and its embedding of a
# query and its exact vector search are small: OpenBLAS's own threads (one per core) only spin
# against the other workers. Measured on the 2-core machine under load: a new query's
# embedding took 5-12 s with the default and 0.5-1 s with one thread (docs/benchmarks.md).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
