# SPDX-License-Identifier: MIT
"""The 2006 MTCP paper's numbers, as its text gives them.

Rieker, Ansel, Cooperman, "Transparent User-Level Checkpointing for the
Native POSIX Thread Library for Linux" (PDPTA 2006). The points of its
plots are not available any more; the rates and the table its text states
are. Every figure draws these beside today's measurements.

Units: the paper writes "MB". It is read here as MiB (2^20 bytes): its
"about 8 MB of image per idle thread" is glibc's default 8 MiB thread
stack. Read as 10^6 bytes instead, the checkpoint and restart lines would
move by 4.9% (1 MiB = 1.048576 MB).
"""

PAPER = "Rieker, Ansel, Cooperman, PDPTA 2006"

# The paper's MB, in MiB (see above).
MIB_PER_PAPER_MB = 1.0

# Figure 2: checkpoint time grows by about 0.3 s per 100 MB of memory.
CHECKPOINT_S_PER_MB = 0.003

# Figure 6: restart reads the image at about 25 MB/s.
RESTART_MB_PER_S = 25.0

# Figure 3: about 8 MB of image per idle thread (its stack).
IMAGE_MB_PER_IDLE_THREAD = 8.0

# Figure 4, NAS LU (C/OpenMP): class -> (checkpoint s, restart s).
LU_OPENMP = {
    "W": (0.07, 0.07),
    "A": (0.19, 0.17),
    "B": (0.95, 0.51),
}

# Figure 4, NAS MG in Java on the Kaffe VM (a different program: context
# only): class -> (image MB, checkpoint s, restart s).
MG_JAVA_KAFFE = {
    "W": (175.0, 0.7, 0.6),
    "A": (632.0, 12.0, 19.7),
}


def checkpoint_s(mib):
    """The paper's checkpoint time for mib MiB of memory."""
    return CHECKPOINT_S_PER_MB * (mib / MIB_PER_PAPER_MB)


def restart_s(mib):
    """The paper's restart time for an image of mib MiB."""
    return (mib / MIB_PER_PAPER_MB) / RESTART_MB_PER_S


def thread_image_mib(threads):
    """The paper's image growth for this many idle threads, in MiB."""
    return IMAGE_MB_PER_IDLE_THREAD * MIB_PER_PAPER_MB * threads
