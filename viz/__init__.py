"""viz: draw minigrad graphs with Graphviz, unrolled by time step.

* ``draw(t)``               any graph: ops, shapes, names, gradients
* ``draw_unrolled(loss)``   one cluster per time step, shared parameters drawn once
* ``draw_folded(model)``    the compact recurrent diagram with W as a loop
* ``draw_truncation(res)``  which steps a truncated-BPTT update reaches
* ``draw_gradient_flow(f)`` vanishing or exploding: ||dE_T/ds_t|| against t, log scale
* ``draw_checkpoints(p)``   a checkpointing plan: states kept, steps recomputed, order
* ``backward_frames(loss)`` the reverse walk, one image per step
* ``explore(loss)``         the reverse walk as an interactive page (one HTML file)
* ``backward_animation(loss, path)``  the reverse walk as a GIF for slides
* ``save(graph, path)``     write .svg, .png or .pdf (Jupyter shows graphs inline)
* ``draw_influence(model, xs)``  RTRL's influence matrix ds_t/dΘ over time, next to SnAp's
* ``check_layout(graph)``   overlapping labels, nodes or boxes, edges through nodes, small text

Every ``draw*`` takes ``style="slides"`` for a 16:9 figure on a 1920 x 1080 frame whose
text is at least 28 px high, titles 40 px (the default, ``"notebook"``, is compact).

>>> import minigrad as mg, viz
>>> w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
>>> loss = (w * w).sum()
>>> loss.backward(retain_grads=True)
>>> graph = viz.draw(loss)          # a viz.Figure (a graphviz.Digraph); graph.source is its DOT text

"""

from .checkpoints import draw_checkpoints
from .diagrams import draw_folded, draw_gradient_flow, draw_truncation
from .draw import draw
from .frames import backward_frames
from .layout_check import check_layout
from .render import FORMATS, Figure, GraphvizNotFoundError, save
from .unrolled import draw_unrolled
from .explore import explore
from .animation import backward_animation
from .influence import draw_influence, influence_over_time

__all__ = ["draw", "draw_unrolled", "draw_folded", "draw_truncation", "draw_gradient_flow",
           "draw_checkpoints", "backward_frames", "explore", "backward_animation",
           "draw_influence", "influence_over_time", "check_layout", "save", "Figure", "FORMATS", "GraphvizNotFoundError"]
