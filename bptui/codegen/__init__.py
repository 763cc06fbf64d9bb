"""``bptui export --format pytorch|numpy``: a run as one readable Python program that checks itself.

- :mod:`.lecture`: a network's run in the lecture's notation (each layer kind writes its part, ``LayerKind.code``);
- :mod:`.profiled`: the same run in another notation profile (``LayerKind.profiled_code``);
- :mod:`.graph`: a computation graph's adjoints;
- :mod:`.common`: what they share (each framework's activations and losses, the recorded run, the writer).
"""

from .common import ATOL, FORMATS, INLINE_LIMIT, RTOL, Run, record
from .graph import GRAPH_OP_CODE, graph_program, record_graph
from .lecture import program, steps_of, write
from .profiled import profiled_program

__all__ = ["ATOL", "FORMATS", "GRAPH_OP_CODE", "INLINE_LIMIT", "RTOL", "Run", "graph_program", "profiled_program",
           "program", "record", "record_graph", "steps_of", "write"]
