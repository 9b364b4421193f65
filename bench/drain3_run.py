#!/usr/bin/env python3
"""Runs Drain3 0.9.11 (PyPI drain3) over a log, configured as its own examples/drain3.ini:
the same masking instructions, sim_th 0.4, depth 4, max_children 100, max_clusters 1024,
extra delimiter "_" (profiling and snapshots off). Prints lines, clusters and seconds."""
import sys, time
from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

config = TemplateMinerConfig()
config.masking_instructions = [
    MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
    MaskingInstruction(r"(?<=executed cmd )(\".+?\")", "CMD"),
]
config.mask_prefix, config.mask_suffix = "<:", ":>"
config.drain_sim_th, config.drain_depth, config.drain_max_children, config.drain_max_clusters = 0.4, 4, 100, 1024
config.drain_extra_delimiters = ["_"]
config.profiling_enabled = False
miner = TemplateMiner(config=config)
start = time.time()
count = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for line in f:
        miner.add_log_message(line.rstrip("\n"))
        count += 1
elapsed = time.time() - start
print(f"lines={count} clusters={len(miner.drain.clusters)} seconds={elapsed:.2f}")
