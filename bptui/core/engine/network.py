"""The math of one network: forward propagation, δ, G, and the update, for one example or a batch.

Single examples are 1-D vectors (``o⁽⁰⁾ = [1, x]``); batches are matrices with one column per
example, so the whole data set goes through each layer in one matrix product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..ops.activations import ACTIVATIONS, Activation
from ..ops.losses import LOSSES, Loss, output_delta
from .kind import Draw, LayerKind, matmul, sequence_output, timed_layers
from .netspec import NetworkSpec
from . import wiring as wired
from .wiring import Wiring, wiring_of

Weights = Sequence[np.ndarray]

CHUNK_VALUES = 2 ** 17  # see Network.chunk


class Network:
    """A spec's layers and loss as functions; the weights are passed in, never stored."""

    def __init__(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self.L = spec.L
        self.acts: list[Activation] = [ACTIVATIONS[name] for name in spec.activations]
        self.alphas = spec.alphas
        self.loss: Loss = LOSSES[spec.loss]
        self.kinds: tuple[LayerKind, ...] = spec.layer_kinds  # kinds[l - 1] is layer l's
        # examples per slice of :meth:`backprop` for a network with maps (None: all at once): about
        # CHUNK_VALUES values in its largest array per slice, the im2col matrices included
        per_example = max((k.work_size for k in self.kinds if k.is_map), default=0)
        self.chunk: int | None = max(8, CHUNK_VALUES // per_example) if per_example else None
        # residual blocks: which layer's o each layer reads (core/engine/wiring.py); None: o⁽ˡ⁻¹⁾, as ever
        self.wiring: Wiring | None = wiring_of(self.kinds)

    @property
    def recurrent(self) -> bool:
        """A layer is recurrent: the examples are sequences (``spec.lengths``)."""
        return any(k.over_time for k in self.kinds)

    @property
    def sequence_kind(self) -> LayerKind:
        """The lowest layer kind over time: it steps the network's sequences (``start_sequence``,
        ``sequence_step``)."""
        return next(k for k in self.kinds if k.over_time)

    def kind(self, l: int) -> LayerKind:
        return self.kinds[l - 1]

    def units(self, l: int, O: np.ndarray) -> np.ndarray:
        """o⁽ˡ⁾ without its bias entry (a hidden dense layer's leading 1; maps and o⁽ᴸ⁾ have none)."""
        return O[1:] if (0 < l < self.L and self.kinds[l - 1].bias_entry) or (l == 0 and not self.spec.input_shape) else O

    def layer_out(self, l: int, W: np.ndarray, O_prev: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(S⁽ˡ⁾, O⁽ˡ⁾) from O⁽ˡ⁻¹⁾ for any kind of layer (S is None for a pooling layer)."""
        S, O, _ = self.layer_forward(l, W, O_prev)
        return S, O

    def layer_forward(self, l: int, W: np.ndarray, O_prev: np.ndarray,
                      draw: Draw | None = None) -> tuple[np.ndarray | None, np.ndarray, Any]:
        """(S⁽ˡ⁾, O⁽ˡ⁾, saved): :meth:`layer_out` and what the layer's backward pass may reuse
        (``LayerKind.forward``); ``draw``: the epoch and examples of a training pass (None: not training)."""
        k = self.kinds[l - 1]
        if k.plain:
            S = W @ O_prev
            return S, self.activation_out(l, S), None
        out, saved = k.forward(W, O_prev) if draw is None else k.train_forward(W, O_prev, draw)
        if not k.has_s:
            return None, out, saved
        return out, self.activation_out(l, out), saved

    def back_delta(self, l: int, W_next: np.ndarray, delta_next: np.ndarray, O_l: np.ndarray,
                   S_l: np.ndarray | None, saved_next: Any = None) -> np.ndarray:
        """δ⁽ˡ⁾ from layer l+1 for any kinds: ∂ℓ/∂o⁽ˡ⁾ (layer l+1's ``back``, with what its forward pass
        saved) ⊙ f′(s⁽ˡ⁾), or ∂ℓ/∂o⁽ˡ⁾ itself when layer l is a pooling layer (it has no s). ``O_l`` is
        o⁽ˡ⁾ as stored."""
        nxt, k = self.kinds[l], self.kinds[l - 1]
        if nxt.plain and k.bias_entry and k.has_s:
            assert S_l is not None
            return self.hidden_delta(l, W_next, delta_next, S_l, O_l)  # the lecture's rule, as in v1
        back = nxt.back(W_next, delta_next, O_l, saved_next)
        if not k.has_s:
            return back
        assert S_l is not None
        return back * self.df(l, S_l, self.units(l, O_l))

    # -- one layer at a time (the step schedule) -------------------------------------------------
    def act(self, l: int) -> Activation:
        return self.acts[l - 1]

    def f(self, l: int, s: np.ndarray) -> np.ndarray:
        return self.acts[l - 1].f(s, self.alphas[l - 1])

    def df(self, l: int, s: np.ndarray, o: np.ndarray) -> np.ndarray:
        """f′(s⁽ˡ⁾) elementwise; ``o`` is f(s⁽ˡ⁾) without the bias entry."""
        return self.acts[l - 1].df(s, o, self.alphas[l - 1])

    def activation_out(self, l: int, s: np.ndarray) -> np.ndarray:
        """o⁽ˡ⁾ = [1, f(s⁽ˡ⁾)] for a hidden layer, f(s⁽ᴸ⁾) for the output layer (columns for a batch)."""
        out = self.f(l, s)
        if l == self.L or not self.kinds[l - 1].bias_entry:
            return out
        ones = np.ones((1,) + out.shape[1:], dtype=out.dtype)
        return np.concatenate([ones, out], axis=0)

    def example_loss(self, s_L: np.ndarray, o_L: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.loss.value(s_L, o_L, y, self.acts[-1])

    def loss_ln(self, s_L: Any, o_L: Any, y: Any, value: float) -> float | None:
        """ln ℓ⁽ⁿ⁾ where ℓ⁽ⁿ⁾ (``value``, a float) is past the floats: below the smallest normal float, 0 there
        or subnormal with its digits lost. From the logarithms its loss line's argument is printed from
        (Loss.ln_past_floats), so that every view writes the one number the line does; a sequence's (o⁽ᴸ⁾ with a
        row per τ) from its rows' losses, summed. The output layer is dense in every network (spec.parse refuses
        another kind there), so whatever stands below it (conv maps, a recurrent layer's o_T, attention, residual
        blocks) s⁽ᴸ⁾ and o⁽ᴸ⁾ are a vector, or a row per τ. None where ℓ⁽ⁿ⁾ is a float's own number (or
        cross-entropy's o is no probability: the line then prints the float)."""
        if not 0 <= value < 2.2250738585072014e-308 or o_L is None or y is None:
            return None
        act = self.acts[-1].name
        if not (self.spec.lengths is not None and self.spec.return_sequences and np.ndim(o_L) == 2):
            return self.loss.ln_past_floats(o_L, y, act, s_L)
        terms = []  # ln ℓ⁽ⁿ⁾_τ, each as its own line writes it
        for t in range(len(o_L)):
            s_t: Any = None if s_L is None else s_L[t]
            ln = self.loss.ln_past_floats(o_L[t], y[t], act, s_t)
            if ln is None:
                v = float(self.example_loss(s_t, o_L[t], y[t]))
                ln = math.log(v) if v > 0 else -math.inf
            terms.append(ln)
        got = float(np.logaddexp.reduce(terms)) if terms else -math.inf
        return got if math.isfinite(got) else None

    def output_delta(self, s_L: np.ndarray, o_L: np.ndarray, y: np.ndarray) -> np.ndarray:
        return output_delta(self.loss, self.acts[-1], self.alphas[-1], s_L, o_L, y)

    def hidden_delta(self, l: int, W_next: np.ndarray, delta_next: np.ndarray, s: np.ndarray, o: np.ndarray):
        """δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] ⊙ f′(s⁽ˡ⁾); ``o`` is o⁽ˡ⁾ with its leading 1."""
        back = (W_next.T @ delta_next)[1:]
        return back * self.df(l, s, o[1:])

    # -- whole batches (training, gradient check, benchmarks) -------------------------------------
    def o0(self, X: np.ndarray) -> np.ndarray:
        """O⁽⁰⁾ for a batch X (N × d⁽⁰⁾): the columns [1, x⁽ⁿ⁾], one per example."""
        if self.spec.input_shape:  # a map has no bias entry: columns of C·H·W values
            return np.ascontiguousarray(X.T)
        O = np.empty((X.shape[1] + 1, len(X)), dtype=X.dtype)
        O[0] = 1.0
        O[1:] = X.T
        return O

    def forward(self, weights: Weights, X: np.ndarray) -> tuple[list, list]:
        """S[l] and O[l] for a batch X (N × d⁽⁰⁾); one matrix product per layer."""
        return self.forward_o0(weights, self.o0(X))

    def forward_o0(self, weights: Weights, O0: np.ndarray, saved: list | None = None,
                   draw: Draw | None = None) -> tuple[list, list]:
        """S[l] and O[l] from O⁽⁰⁾ (see :meth:`o0`), so training can build O⁽⁰⁾ once. ``saved``, when
        given, receives each layer's reusable part of the forward pass (:meth:`layer_forward`);
        ``draw``: a training pass's epoch and examples (dropout's masks)."""
        if self.wiring is not None:  # residual blocks: along the wires
            return wired.forward(self, weights, O0, saved, draw)
        O = [O0]
        S: list = [None]
        for l in range(1, self.L + 1):
            s, o, kept = self.layer_forward(l, weights[l - 1], O[-1], draw)
            S.append(s)
            O.append(o)
            if saved is not None:
                saved.append(kept)
        return S, O

    def _lengths(self, lengths: np.ndarray | None) -> np.ndarray:
        if lengths is None:
            raise ValueError("a recurrent network's examples need their lengths")
        return lengths

    def predict(self, weights: Weights, X: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """o⁽ᴸ⁾ for every row of X, as rows (N × d⁽ᴸ⁾; for sequences, as ``NetworkSpec.targets``)."""
        if self.recurrent:
            return self.sequences(weights, X, self._lengths(lengths)).outputs
        return self.forward(weights, X)[1][-1].T

    def dataset_loss(self, weights: Weights, X: np.ndarray, Y: np.ndarray, lengths: np.ndarray | None = None):
        """ℓ_D = Σ_n ℓ⁽ⁿ⁾ (for sequences with ``return_sequences``, summed over τ as well)."""
        if self.recurrent:
            return self.sequences(weights, X, self._lengths(lengths), Y).loss
        S, O = self.forward(weights, X)
        return self.example_loss(S[-1], O[-1], Y.T).sum()

    def gradient(self, weights: Weights, X: np.ndarray, Y: np.ndarray,
                 lengths: np.ndarray | None = None, draw: Draw | None = None) -> tuple[float, list[np.ndarray]]:
        """ℓ_D and G⁽ˡ⁾ = ∇_W⁽ˡ⁾ ℓ_D for every layer, vectorised over the examples (``draw``: as a
        training pass of that epoch on those examples draws)."""
        if self.recurrent:
            p = self.sequences(weights, X, self._lengths(lengths), Y, draw=draw)
            return p.loss, p.G
        loss, G, _ = self.backprop(weights, self.o0(X), Y.T, draw=draw)
        return loss, G

    def backprop(self, weights: Weights, O0: np.ndarray, Yt: np.ndarray, keep_deltas: bool = False,
                 draw: Draw | None = None):
        """(ℓ_D, [G⁽¹⁾ … G⁽ᴸ⁾], [δ⁽¹⁾ … δ⁽ᴸ⁾] or None) for examples as columns: O⁽⁰⁾ and Yᵀ.

        The lean path training runs: one matrix product per layer forward, two back, no copies of
        the data; G⁽ˡ⁾ = Σₙ δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ is one product δ⁽ˡ⁾ O⁽ˡ⁻¹⁾ᵀ. A network with feature maps goes
        through the examples a slice at a time (:attr:`chunk`) and adds up their ℓ and G: a slice's
        maps and im2col matrices stay in the processor's cache, where the whole batch's would not.
        """
        N, step = O0.shape[1], self.chunk
        if keep_deltas or step is None or N <= step:
            return self._backprop(weights, O0, Yt, keep_deltas, draw)
        loss, G, _ = self._backprop(weights, O0[:, :step], Yt[:, :step], draw=draw and draw.part(0, step))
        for a in range(step, N, step):
            part, more, _ = self._backprop(weights, O0[:, a:a + step], Yt[:, a:a + step],
                                           draw=draw and draw.part(a, a + step))
            loss += part
            for g, m in zip(G, more):
                g += m
        return loss, G, None

    def _backprop(self, weights: Weights, O0: np.ndarray, Yt: np.ndarray, keep_deltas: bool = False,
                  draw: Draw | None = None):
        if self.wiring is not None:  # residual blocks: along the wires
            return wired.backprop(self, weights, O0, Yt, keep_deltas, draw)
        saved: list = []
        S, O = self.forward_o0(weights, O0, saved, draw)
        loss = float(self.example_loss(S[-1], O[-1], Yt).sum())
        delta = self.output_delta(S[-1], O[-1], Yt)
        G: list = [None] * self.L
        deltas: list | None = [None] * self.L if keep_deltas else None
        for l in range(self.L, 0, -1):
            if deltas is not None:
                deltas[l - 1] = delta
            k = self.kinds[l - 1]
            G[l - 1] = (delta @ O[l - 1].T if k.plain
                        else k.grad(weights[l - 1], delta, O[l - 1], saved[l - 1]))
            if l > 1:
                delta = self.back_delta(l - 1, weights[l - 1], delta, O[l - 1], S[l - 1], saved[l - 1])
            saved[l - 1] = None  # done with: let it go before the layers below
        return loss, G, deltas

    # -- sequences (a network with recurrent layers): the vectorised path, all the examples of a batch at once
    def sequences(self, weights: Weights, X: np.ndarray, lengths: np.ndarray, Y: np.ndarray | None = None,
                  on_delta: Callable[[np.ndarray, np.ndarray], None] | None = None,
                  on_upper: Callable[[int, np.ndarray], None] | None = None,
                  delta_layer: int | None = None,
                  on_time: Callable[[np.ndarray, dict[str, np.ndarray]], None] | None = None,
                  draw: Draw | None = None, outputs: bool = True) -> SequencePass:
        """ℓ_D, G and the outputs of a batch of sequences, vectorised (X rows padded as
        ``NetworkSpec.inputs``; ``Y`` as its targets, None for outputs only). The examples are sorted
        longest first. A recurrent layer runs τ = 1..T_max on the examples still running at τ, one
        product per τ (``Rnn.run``, as PyTorch's packed sequences); a dense layer that runs at each time
        step does so on all the (τ, example) pairs of running examples side by side (columns in τ-major
        order), and a dense layer above a many-to-one recurrent layer once on every example's o_T. The
        gradient flows back layer by layer from the top, through time in each recurrent layer
        (``Rnn.bptt``). G sums over the examples and τ. ``on_delta(indices, Δ)`` receives each length's
        δ⁽ˡ⁾_τ of recurrent layer ``delta_layer`` (the lowest by default), Δ of shape (T, h, n), and
        ``on_upper(l, δ)`` the δ⁽ˡ⁾ of every layer (columns: examples, or the (τ, example) pairs).
        ``on_time(indices, arrays)`` receives, for the same layer and lengths, the per-τ gradients whose
        norms its kind shows (``LayerKind.panel_norms``: δ_τ; a gated layer's ∂ℓ/∂c_τ, ∂ℓ/∂h_τ), each
        (T, h, n). ``draw``: a training pass's epoch and examples (as X's rows; dropout's masks), None
        outside training. ``outputs`` False (training, with ``Y``): the outputs are not gathered (zeros)."""
        kinds, L = self.kinds, self.L
        timed = timed_layers(kinds)
        k = self.spec.widths[-1]
        dtype = np.result_type(X, *weights)
        N = len(X)
        seqs = sequence_output(kinds)
        Tmax = int(lengths.max()) if N else 0
        out = np.zeros((N, Tmax * k if seqs else k), dtype=dtype)
        G = [np.zeros(w.shape, dtype=dtype) for w in weights] if Y is not None else []
        zero = 0.0 if dtype == np.float64 else dtype.type(0)
        if N == 0:
            return SequencePass(zero, G, out)
        order = np.argsort(-lengths, kind="stable")  # longest first; equal lengths keep their order
        Ts = lengths[order]
        running = np.arange(Tmax)[:, None] < Ts[None, :]  # (T, n): example i is still running at τ
        active = running.sum(axis=1)
        ends, every = Ts - 1, np.arange(N)
        d = self.spec.widths[0]
        sorted_already = bool((order == every).all())  # one length, or already longest first: no gather
        Xb = np.ascontiguousarray((X[:, :Tmax * d] if sorted_already else X[order, :Tmax * d])
                                  .reshape(N, Tmax, d).transpose(1, 0, 2))  # (T, n, d)
        # a training pass's examples as the columns hold them: (τ, example) pairs at each τ, or one per example
        draws = (None, None) if draw is None else (Draw(draw.epoch, draw.examples[order], Ts),
                                                    Draw(draw.epoch, draw.examples[order]))

        def padded(cols: np.ndarray) -> np.ndarray:
            """Columns of (τ, example) pairs → (T, n, w), zeros past each example's end."""
            return wired.padded(cols.astype(dtype, copy=False), running)

        def pairs(A: np.ndarray) -> np.ndarray:
            """(T, n, w) → rows of the running (τ, example) pairs (a view when every pair runs)."""
            return wired.pair_rows(A, running)

        # forward: S[l], O[l] of the dense layers as columns (O with its bias entry, which the layer
        # above multiplies); R[l] = (X, S, O) of a recurrent layer, arrays (T, n, ·)
        S: list = [None] * (L + 1)
        O: list = [None] * (L + 1)
        R: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        kept: list = [None] * (L + 1)  # what a layer's backward pass reuses (dropout's masks)
        run = wired.SequenceRun(self, weights, Xb, running, active, draws[0]) if self.wiring is not None else None
        if run is not None:  # residual blocks (no recurrent layer: spec.py): along the wires
            S[L], O[L] = run.S[L], run.O[L]
        for l in range(1, L + 1 if run is None else 1):
            kl, W = kinds[l - 1], weights[l - 1]
            if kl.over_time:  # a kind over time (core/kinds/rnn/layer.py: run, bptt)
                rnn: Any = kl
                Xin = Xb if l == 1 else (R[l - 1][2][1:] if l - 1 in R else padded(self.units(l - 1, O[l - 1])))
                Sr, Or = rnn.run(W, Xin, lambda s, l=l: self.f(l, s), active)
                R[l] = (Xin, Sr, Or)
                if l < L and not kinds[l].over_time:  # a dense layer above multiplies [1, o_τ] (or [1, o_T])
                    H = pairs(Or[1:]) if rnn.sequence_out() else Or[Ts, every]
                    O[l] = np.concatenate([np.ones((1, len(H)), dtype=H.dtype), H.T], axis=0)
            else:
                if l == 1:  # [1, x_τ] of every running (τ, example) pair
                    O[0] = np.concatenate([np.ones((1, int(active.sum())), dtype=Xb.dtype), pairs(Xb).T], axis=0)
                if kl.plain:  # all (τ, example) pairs side by side: a long product, on this thread (kind.matmul)
                    S[l] = matmul(W, O[l - 1])
                    O[l] = self.activation_out(l, S[l])
                else:
                    S[l], O[l], kept[l] = self.layer_forward(l, W, O[l - 1], draws[0] if timed[l - 1] else draws[1])
        if (outputs or Y is None) and seqs:
            out[order] = padded(O[L]).transpose(1, 0, 2).reshape(N, Tmax * k)
        elif outputs or Y is None:
            out[order] = O[L].T
        if Y is None:
            return SequencePass(zero, G, out)
        Yb = np.ascontiguousarray(  # laid out as O[L] (rows: units), so o − y runs along memory
            pairs((Y[:, :Tmax * k] if sorted_already else Y[order, :Tmax * k]).reshape(N, Tmax, k).transpose(1, 0, 2)).T
            if seqs else Y[order].T)
        loss = self.example_loss(S[L], O[L], Yb).sum()
        delta = self.output_delta(S[L], O[L], Yb)  # δ of the dense layer l (columns) …
        if run is not None:
            run.backward(delta, G, on_upper)
            return SequencePass(float(loss) if dtype == np.float64 else loss, G, out)
        above = np.zeros(0)  # … or ∂ℓ/∂o_τ arriving at the recurrent layer l, (T, n, h)
        lowest = min(R) if delta_layer is None else delta_layer
        for l in range(L, 0, -1):
            kl, W = kinds[l - 1], weights[l - 1]
            below = kinds[l - 2] if l > 1 else None
            if not kl.over_time:
                if on_upper is not None:
                    on_upper(l, delta)
                G[l - 1] += matmul(delta, O[l - 1].T) if kl.plain else kl.grad(W, delta, O[l - 1], kept[l])  # a layer norm's [G_β | G_γ]
                if below is None:
                    break
                if below.over_time:  # ∂ℓ/∂o⁽ˡ⁻¹⁾: at each τ, or at each example's last τ (many-to-one)
                    back = matmul(W.T, delta)[1:] if kl.plain else kl.back(W, delta, O[l - 1], kept[l])
                    if timed[l - 1]:
                        above = padded(back)
                    else:
                        above = np.zeros((Tmax, N, back.shape[0]), dtype=dtype)
                        above[ends, every] = back.T
                else:
                    delta = self.back_delta(l - 1, W, delta, O[l - 1], S[l - 1], kept[l])
                continue
            rnn = kl
            Xin, Sr, Or = R[l]
            record: dict[str, np.ndarray] | None = {} if on_time is not None and l == lowest else None
            asked = {} if record is None else {"record": record}  # only then: a kind's bptt may not take it
            Gr, D = rnn.bptt(W, Xin, Sr, Or, above, lambda s, o, l=l: self.df(l, s, o), active, **asked)
            G[l - 1] += Gr
            if on_upper is not None:
                on_upper(l, pairs(D).T)
            if on_delta is not None and l == lowest:
                for T in np.unique(Ts):
                    mine = np.flatnonzero(Ts == T)
                    on_delta(order[mine], D[:T, mine].transpose(0, 2, 1))
            if on_time is not None and record is not None:
                for T in np.unique(Ts):
                    mine = np.flatnonzero(Ts == T)
                    on_time(order[mine], {q: a[:T, mine].transpose(0, 2, 1) for q, a in record.items()})
            if below is None:
                break
            back_x = rnn.back_inputs(W, D)  # ∂ℓ/∂x_τ = W_xᵀ δ_τ, (T, n, d)
            if below.over_time:
                above = back_x
            elif below.has_s:  # a dense layer at each τ below: δ⁽ˡ⁻¹⁾_τ = ∂ℓ/∂x_τ ⊙ f′(s⁽ˡ⁻¹⁾_τ)
                delta = pairs(back_x).T * self.df(l - 1, S[l - 1], self.units(l - 1, O[l - 1]))
            else:  # a layer norm at each τ below: its ∂ℓ/∂o_τ
                delta = pairs(back_x).T
        return SequencePass(float(loss) if dtype == np.float64 else loss, G, out)


@dataclass
class SequencePass:
    """What :meth:`Network.sequences` computes: ℓ_D (in the arrays' precision), G (empty without
    targets) and the outputs, one row per example as ``NetworkSpec.targets`` holds them."""

    loss: Any
    G: list[np.ndarray]
    outputs: np.ndarray
