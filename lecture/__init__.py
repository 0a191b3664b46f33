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

A deck is a list of slides, so a teacher can add one of their own before saving:

>>> import lecture
>>> extra = lecture.Slide("Questions?", "<p>What would you like to see again?</p>",
...                       "Leave this up while the room asks. Ask: which slide first?")
>>> deck = lecture.Deck([extra], title="BPTT, part 2")
>>> deck.append(lecture.Slide("Thank you", "<p>Notebooks: notebooks/</p>", "Point at the lab."))
>>> len(deck), deck.html().count('<section class="slide')
(2, 2)
"""

from .deck import Deck, Slide, figure_html
from .story import CELLS, build

__all__ = ["build", "Deck", "Slide", "figure_html", "CELLS"]
