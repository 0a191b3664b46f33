"""lecture: a 50-minute BPTT lecture as one offline HTML slide deck.

``lecture.build()`` builds the models of the lecture with a fixed seed, runs
them, draws them with ``viz`` at slide style and writes the numbers it computed
onto the slides: nothing on a slide is typed in.  The story follows the three
texts the course is built from (the encyclopedia article, the TBPTT tutorial and
the course notes): the folded network, unfolding, the gradient as a sum over
copies, the backward recursion and the notes' forward way, the explorer,
vanishing and exploding gradients, TBPTT(k1, k2) and the echo task, LSTM and GRU,
RTRL and the online rules, checkpointing.

* ``build(cell="RNN", steps=None, hidden=3, seed=0)``  the :class:`Deck`
* ``Deck.save("out/lecture.html")``  one self-contained page (← → N F)
* ``Deck.pdf("out/lecture.pdf")``    one 16:9 page per slide, by headless Chromium

The command line: ``bptt lecture -o out/lecture.html [--cell LSTM] [--pdf out/lecture.pdf]``.

>>> import lecture
>>> deck = lecture.build()
>>> 15 <= len(deck) <= 20, all(slide.notes for slide in deck)
(True, True)
"""

from .deck import Deck, Slide, figure_html
from .story import CELLS, build

__all__ = ["build", "Deck", "Slide", "figure_html", "CELLS"]
