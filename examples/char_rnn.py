"""A character-level RNN on Shakespeare's sonnets, in the spirit of min-char-rnn:
chunks of 25 characters, the state carried from chunk to chunk, Adagrad.

    python examples/char_rnn.py               # about a minute; CHAR_RNN_UPDATES=50 for a taste
"""
import os

import numpy as np

import minigrad as mg
import rnn

updates = int(os.environ.get("CHAR_RNN_UPDATES", "1500"))
task = rnn.tasks.CharText(seq_len=25)
model = rnn.RNN(task.input_size, 64, task.output_size, rng=0)
print(f"text: {len(task.text)} characters, {task.input_size} distinct; "
      f"uniform guessing costs log({task.input_size}) = {np.log(task.input_size):.2f} nats")

result = rnn.train(model, task, mg.optim.Adagrad(model.parameters(), lr=0.1), k1=25, k2=25,
                   clip=5.0, updates=updates, seed=0)
print(f"loss per character: {np.mean(result.losses[:20]):.2f} -> "
      f"{np.mean(result.losses[-50:]):.2f} after {updates} updates")
print("---")
print(rnn.tasks.sample(model, task, length=300, prime="Shall ", temperature=0.6, rng=1))
