"""What every benchmark script sets up before it measures anything.

Import this module before NumPy: it asks the BLAS libraries for one thread,
so that every engine, the NumPy baseline included, runs on one core.

``steady_allocator()`` fixes glibc's allocator thresholds.  By default,
glibc hands the top of its heap back to the operating system whenever a
large enough block at the top is freed, and raises those thresholds as
the program frees large arrays.  A benchmark call that builds and drops a
graph of a few MB then page-faults the same memory back in on the next call.
Whether it does depends on what was allocated last and where, that is, on
which engine ran before it.  On workload M this moved a call by 0.3 to
1.4 ms (5 to 15%), for the NumPy baseline and the engines alike.  With fixed
thresholds nothing is handed back between calls, and every engine is timed
with the same allocator.  The figures in the README were measured this way;
``--malloc-default`` leaves glibc's defaults in place.
"""

import ctypes
import ctypes.util
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"           # one thread, set before NumPy loads its BLAS

M_TRIM_THRESHOLD = -1                # mallopt's parameter numbers, from glibc's malloc.h
M_MMAP_THRESHOLD = -3


def steady_allocator(trim_bytes=256 << 20, mmap_bytes=32 << 20):
    """Fix glibc's trim and mmap thresholds; return a line saying what was done.

    Blocks under ``mmap_bytes`` come from the heap, and the heap is only trimmed when
    ``trim_bytes`` sit free at its top.  Setting them also switches off glibc's
    sliding thresholds.  Elsewhere (macOS, musl) nothing changes.
    """
    path = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(path).mallopt
    except (OSError, AttributeError, TypeError):
        return "allocator: the system's default (mallopt is glibc's, and not found here)"
    if not (mallopt(M_TRIM_THRESHOLD, trim_bytes) and mallopt(M_MMAP_THRESHOLD, mmap_bytes)):
        return "allocator: the system's default (mallopt refused the thresholds)"
    return (f"allocator: glibc, heap trimmed only above {trim_bytes >> 20} MB free, mmap only "
            f"for blocks over {mmap_bytes >> 20} MB (benchmarks/harness.py says why)")


def add_allocator_option(parser):
    """The ``--malloc-default`` flag every benchmark script takes."""
    parser.add_argument("--malloc-default", action="store_true",
                        help="leave glibc's allocator thresholds as they are (see harness.py)")


def set_up_allocator(args):
    """Fix the allocator unless ``--malloc-default`` was given, and say which it is."""
    print(steady_allocator() if not args.malloc_default else
          "allocator: the system's default (--malloc-default)")
