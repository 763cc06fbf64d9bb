"""The layer-kind interface: what the engine asks of every kind of layer.

A network is a list of layers of a few kinds. Each kind is one module under ``core/kinds/`` (found
through the one table, ``core/kinds/__init__.py``'s ``KINDS``) with one class derived from
:class:`LayerKind`, which states everything the rest of the core asks of that kind:

- its shapes: ``in_shape`` (what it reads: ``(d,)`` or a map ``(C, H, W)``, never with the bias 1)
  and ``out_shape``; ``param_shape``, the shape of its weight matrix (``(0, 1)`` for no weights);
- its forward and backward passes on a *batch*, examples as the last axis of a 2-D array with one
  column per example (maps flattened in C, H, W order, as ``torch.flatten``): ``pre`` (s from o⁽ˡ⁻¹⁾;
  for a pooling layer, which has no s, o itself), ``grad`` (G from δ and o⁽ˡ⁻¹⁾) and ``back``
  (∂ℓ/∂o⁽ˡ⁻¹⁾ from δ, without o⁽ˡ⁻¹⁾'s bias entry); one example is a batch of one;
- its part of the step schedule (``block_forward``, ``block_backward``);
- how its weights look in a file and in JSON (``weights_json``, ``weights_from_json``);
- the names of its numbers as its panel shows them (``weight_sym``, ``grad_sym``, ``cell_sym``: a
  kernel's w_k,c,u,v and b_k, a recurrent layer's u_b,c, a pooling layer's ∂ℓ/∂o), which ``check``,
  ``g``, explanations, edits, the quiz, answer keys and exercises print;
- its quiz cells (``quiz_cells``): which numbers of a step of its layer the quiz may ask for, each
  with its name, its place on the board, where the step's equations work it out, and its value;
- for the windowed kinds (convolution, pooling), the rows and columns of the input map that no
  window reads (``unread``: ⌊(H + 2p − k)/s⌋ + 1 windows, as PyTorch counts them, may stop short);
- each output entry as what it is made of (``links``, ``combine``): the weights and input entries of
  a sum of products, or the window a pooling layer takes the largest or the mean of; the answer key's
  formulas (bptui/keyjson.py) are written from them;
- what it costs (``cells``, ``multiplications``: the limits of docs/network-files.md).

Every kind keeps its weights, inside the core, as one matrix with the bias in column 0 (the
lecture's bias column), so that the optimizers, L2 (which never touches column 0), the gradient
check and training treat every layer alike; files and JSON show each kind's own shapes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import numpy as np

from ..formulas.formula import Node, Partial, Sym
from ..formulas.notation import sup
from ..util.errors import SpecError

if TYPE_CHECKING:
    from .quizcells import QuizCell

Shape = tuple[int, ...]


def ones_on_top(O: np.ndarray) -> np.ndarray:
    ones = np.ones((1,) + O.shape[1:], dtype=O.dtype)
    return np.concatenate([ones, O], axis=0)


ONE_THREAD = 2 ** 18  # m·n·k of a product that OpenBLAS computes on the calling thread alone


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B as products of at most ONE_THREAD multiply-adds each (blocks along the longest of the
    three dimensions), so that the BLAS never hands one to a second thread. Training's products are
    long and thin; one that OpenBLAS splits across threads waits for the other core at every call,
    and on a machine whose cores are busy with other work each wait costs a time slice: an epoch
    took 10 to 20 times as long (benchmarks/conv_speed.py, rnn_speed.py under a load of 5 to 10)."""
    m, k = A.shape
    n = B.shape[1]
    if m * n * k <= ONE_THREAD:
        return A @ B
    if k >= max(m, n):  # the inner dimension is the long one (G = δ colsᵀ): add up the blocks' products
        step = max(1, ONE_THREAD // (m * n))
        out = A[:, :step] @ B[:step]
        for a in range(step, k, step):
            out += A[:, a:a + step] @ B[a:a + step]
        return out
    out = np.empty((m, n), dtype=np.result_type(A, B))
    if m >= n:
        step = max(1, ONE_THREAD // (n * k))
        for a in range(0, m, step):
            np.matmul(A[a:a + step], B, out=out[a:a + step])
    else:
        step = max(1, ONE_THREAD // (m * k))
        for a in range(0, n, step):
            np.matmul(A, B[:, a:a + step], out=out[:, a:a + step])
    return out


def layers_text(first: str, kinds: Sequence["LayerKind"]) -> str:
    """The network's layers in a line, a block's inner layers in brackets after it, as the file nests
    them: ``3 → residual[attention dk 8, 2 heads] → residual[dense 3] → dense 5`` (``first``: the input)."""

    def level(i: int, end: int) -> list[str]:
        parts = []
        while i < end:
            k = kinds[i]
            parts.append(f"{k.type}[{', '.join(level(i + 1, i + 1 + k.span))}]" if k.span else k.describe())
            i += 1 + k.span
        return parts

    return " → ".join([first] + level(0, len(kinds)))


@dataclass(frozen=True)
class LayerCode:
    """How a layer kind writes itself into a generated program (``bptui export --format pytorch|numpy``,
    bptui/codegen/lecture.py). The program keeps one list per quantity, indexed by the layer: ``o[l - 1]`` (the
    layer's input), ``s[l]``, ``o[l]``, ``d[l]`` (δ⁽ˡ⁾), ``back[l - 1]`` (∂ℓ/∂o⁽ˡ⁻¹⁾, without a bias entry)
    and, in NumPy, ``W[l]`` and ``G[l]`` in bptui's layout (one matrix, the bias in column 0); in PyTorch
    ``layer[l]`` is the layer's module. Every string names its own layer's indices already.

    PyTorch: ``module`` builds the layer (None: a function with no parameters); ``params`` its
    parameters, each (attribute, its value from bptui's matrix ``M``, whether it is a bias, which L2
    never touches); ``forward`` the expression of s⁽ˡ⁾ (o⁽ˡ⁾ for a kind with no s) from ``o[l - 1]``;
    ``matrix`` bptui's matrix from the parameters, ``{a}`` standing for ``""`` (W) or ``".grad"`` (G).
    NumPy: ``np_forward`` the lines that compute s⁽ˡ⁾ (o⁽ˡ⁾), ``np_grad`` the lines that add this
    example's term to ``G[l]``, ``np_back`` the lines that compute ``back[l - 1]``; ``helpers`` functions
    the lines call, each (name, its source), written once into the program.

    A network over time (sequences) uses ``seq`` (PyTorch) and ``np_seq`` (NumPy): for each quantity of
    the layer's ``block_forward`` and ``block_backward``, the lines of that step, its check included, as
    templates the program's writer fills: ``{S}``, ``{O}``, ``{D}``, ``{X}`` (s, o, δ of the step and the
    layer's input units x, without the bias entry: ``s[l][t]`` at τ = t, ``s[l]`` for a layer that runs
    once), ``{at}`` (``_{t}`` in a check's f-string name, or nothing), ``{f}`` and ``{df}`` (f(s) and
    f′(s) in the framework), ``{up}`` (NumPy: ∂ℓ/∂o⁽ˡ⁾ at this step from the layer above); literal
    braces doubled. ``seq_start`` / ``np_seq_start`` are lines at each example's start (o₀ = 0, a
    gated layer's own lists, of T = ``T`` steps). ``one(v)`` is [1, v] in both programs.

    A block (a kind with ``span``: a residual block, its inner layers numbered after it) uses ``wired``
    (PyTorch) and ``np_wired`` (NumPy): for each quantity of its ``block_forward`` and ``block_backward``,
    the lines of that step, its check included, as templates the writer fills from the wires: ``{X}``
    (the block's input o, as the program holds it), ``{F}`` (its inner layers' output), ``{up}`` (NumPy:
    ∂ℓ/∂o of the block from the layer that reads it) and ``{inner}`` (NumPy: what its first inner layer
    sends to x); ``wired_start`` / ``np_wired_start`` are lines before its first inner layer runs. What a
    layer sends to its input is ``back[l - 1]`` after its ``np_back`` lines, or its ``np_sent``.

    A layer that reads the whole sequence at once (``mixes_time``: attention) writes its steps without τ:
    in ``seq`` / ``np_seq`` ``{X}`` is its input, one row per τ, and ``{up}`` (NumPy) ∂ℓ/∂o_τ from the
    layer above, one row per τ; ``np_seq_sent`` is what it sends to the layer below, one row per τ.

    ``stepwise``: the templates write the layer's steps in a network without time too (its quantities
    are not s, o, δ, G of a dense layer), with ``{X}`` = ``x[l]``, the input units, ``{up}`` (NumPy)
    = ``back[l]``; PyTorch's G step is then ``matrix`` of the parameters' .grad, as for every kind.
    Dropout's masks need the epoch: the program's loops name it ``e`` and the example (0-based) ``n``."""

    module: str | None = None
    params: tuple[tuple[str, str, bool], ...] = ()
    forward: str = ""
    matrix: str = ""
    np_forward: tuple[str, ...] = ()
    np_grad: tuple[str, ...] = ()
    np_back: tuple[str, ...] = ()
    helpers: tuple[tuple[str, str], ...] = ()
    seq: tuple[tuple[str, tuple[str, ...]], ...] = ()
    np_seq: tuple[tuple[str, tuple[str, ...]], ...] = ()
    seq_start: tuple[str, ...] = ()
    np_seq_start: tuple[str, ...] = ()
    wired: tuple[tuple[str, tuple[str, ...]], ...] = ()
    np_wired: tuple[tuple[str, tuple[str, ...]], ...] = ()
    wired_start: tuple[str, ...] = ()
    np_wired_start: tuple[str, ...] = ()
    np_sent: str = ""
    np_seq_sent: str = ""
    stepwise: bool = False


@dataclass(frozen=True)
class ProfiledCode:
    """How a layer kind writes itself into a generated program in a notation profile (:meth:`LayerKind.profiled_code`):
    the same lines in NumPy and PyTorch (both write ``@``, ``+``, ``.T``), each with its comment in the profile's
    symbols. ``forward``: the pre-activation's expression from the layer's input; ``grad``: NumPy's lines that add
    this example's term to the gradients so far (a mean profile's divided by the group's size ``m``), as the
    program's G step (in the library ``n["lib"]`` names: np, or torch for a network over time, whose program adds
    autograd's δ τ by τ); ``back``: the expression of ∂ℓ/∂ of the layer's input (without a bias entry).

    A kind over time writes its own steps at τ too: ``steps``, the lines of each of its steps but G (a NumPy or a
    PyTorch program's, as ``n["lib"]`` says), each with its check; codegen fills ``{f}`` (the activation of its
    pre-activation), ``{df}`` (f′) and ``{up}`` (∂ℓ/∂ of its output at τ from the layer reading it, NumPy); ``start``:
    the lines that begin an example (its output at τ = 0). A kind with steps of its own in a network without time
    (a layer norm's, dropout's: codegen's ``_own_step_names``) writes them so too, its ``{up}`` ∂ℓ/∂ of its output
    from the layer above and ``{up_comment}`` that line's rule."""

    forward: str
    forward_comment: str
    grad: tuple[str, ...]
    back: str
    back_comment: str
    steps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    start: tuple[str, ...] = ()
    helpers: tuple[tuple[str, str], ...] = ()  # (name, code) of functions its lines call (dropout's mask)


def mean_divisor(n: dict[str, str], mean: bool) -> tuple[str, str]:
    """A mean profile's gradient line divides this example's term by the update group's size: the program's `` / m``
    and its comment's ``/|B|`` or ``/m``, the size as the panels print it (``n["~group"]``, codegen's: |B| where the
    profile's m is taken, by Adam's first moment or dropout's mask, ``equations.group_symbol``). A sum profile: none."""
    return (" / m", "/" + n.get("~group", "m")) if mean else ("", "")


@dataclass(frozen=True)
class Draw:
    """Which examples of which epoch a batch pass trains on (``examples`` 1-based, one per column): what
    a kind that draws per example and epoch needs (dropout's masks). Passes outside training (predictions,
    test loss, maps) have none."""

    epoch: int
    examples: np.ndarray
    # sequences at each τ: each example's length T (as ``examples``); the columns are then the (τ, example)
    # pairs of the running examples, τ-major (Network.sequences), and a kind draws (T, d) per example
    lengths: np.ndarray | None = None

    def part(self, a: int, b: int) -> "Draw":
        """The columns a … b − 1 (a slice of the batch of vectors)."""
        return Draw(self.epoch, self.examples[a:b])


@dataclass(frozen=True)
class ProfiledNames:
    """A layer's names in a notation profile (:meth:`LayerKind.profiled_names`)."""

    syms: dict[str, Node]  # "W" "b" "G" "Gb" "s" "o" "delta" → its symbol; a part the layer lacks is not there
    columns: tuple[str, ...] | None = None  # the headings of W's shown columns; None: bias (column 0), k=1, k=2, …
    title: tuple[Any, ...] | None = None  # what the title says after the layer: texts and symbols (Nodes the
    # profile's printer writes, a letter it renames: the layer norm's ε); None: f = activation


@dataclass(frozen=True)
class ParameterPart:
    """One part of a layer's stored matrix that a profile with a separate b updates on lines of its own
    (:meth:`LayerKind.update_parts`): the lecture's columns ``first`` … ``end`` − 1 (None: to the last), or
    the one column ``first`` as a vector (``vector``: a bias); the parameter's symbol, its gradient's, and
    the subscript its optimizer's state and g take (m_U, v_U, g_U; () for W's own: m, v, g)."""

    first: int
    end: int | None
    sym: Node
    grad: Node
    state_sub: tuple[str, ...] = ()
    vector: bool = False


FAN_IN_ROW = "∂x"
"""The name on the rows of a layer unrolled in time that hold ∂ℓ/∂x, the gradient it sends to its input x
(a layer norm's, a dropout's, an attention layer's, a residual block's): the lecture's ∂ℓ/∂x in the seven
places of the sequence panel's label column."""


@dataclass(frozen=True)
class LayerKind:
    """The shape-and-arithmetic part of one layer l (see the module's docstring)."""

    in_shape: Shape
    out_shape: Shape

    type: ClassVar[str] = ""
    has_weights: ClassVar[bool] = True
    has_s: ClassVar[bool] = True  # a pooling layer computes o directly, with no s and no f
    takes_activation: ClassVar[bool] = True  # the file gives its f (an LSTM's σ and tanh are fixed)
    panel: ClassVar[str] = "dense"
    """The view hint: which family of panels draws the layer (``"dense"``: W, s, o, δ, G by unit;
    ``"map"``: feature maps by channel; ``"sequence"``: unrolled in time). The app's table
    (``tui/panels.py``) turns it into a widget; the core names no widget."""
    # o = f(s) entry by entry with the layer's own activation, as its board stores it (a dense layer's): a
    # function line past the floats leaves the board another number (``engine.equations.held``)
    function_of_s: ClassVar[bool] = False
    # a hidden layer's o⁽ˡ⁾ starts with the bias entry 1 (the lecture's dense layer: o⁽ˡ⁾ = [1, f(s⁽ˡ⁾)])
    bias_entry: ClassVar[bool] = False
    # the layer runs over time (τ = 1..T): its examples are sequences, and it steps them τ by τ
    over_time: ClassVar[bool] = False
    # it may read a sequence, one vector x_τ per time step (a dense layer at τ: s_τ = W [1, x_τ])
    per_time: ClassVar[bool] = False
    # the answer key can write every step of this kind as a formula over the blanks (bptui/keyjson.py),
    # so `bptui export --exercise` makes exercises of networks with it
    exercises: ClassVar[bool] = True
    # the app's unrolled computation graph (c) can draw this layer as a box s = W [1, x_τ] (+ U o_{τ−1}),
    # o = f(s) at each τ
    unrolled_box: ClassVar[bool] = True
    # the layer reads the whole sequence below it at once (self-attention: o_τ reads every x_τ′), so the
    # step schedule does all its τ before it and gives its steps no τ of their own
    mixes_time: ClassVar[bool] = False

    def trace_quantity(self, quantity: str) -> tuple[str, dict]:
        """A step's ``quantity`` as the trace's JSON names it, with fields of its own (an attention
        layer's G of one matrix: ``"G"`` and ``{"weight": "Q"}``)."""
        return quantity, {}

    # -- blocks (a residual block; core/engine/wiring.py routes their numbers) ----------------------------
    # it may stand inside a block (this version: dense layers and blocks)
    in_block: ClassVar[bool] = False

    @property
    def span(self) -> int:
        """How many layers after this one, numbered flat, are inside it (a block's inner layers); 0 for a
        layer that is not a block."""
        return 0

    @classmethod
    def nested(cls, entry: dict) -> list | None:
        """A block's inner entries of its file entry (the reader numbers them after it); None: no block."""
        return None

    def join(self, x: np.ndarray, x_units: np.ndarray, f_units: np.ndarray) -> np.ndarray:  # pragma: no cover
        """A block's output from its input x (as stored, and its units) and its inner layers' units."""
        raise NotImplementedError

    def fan_in(self, up: np.ndarray, inner: np.ndarray) -> np.ndarray:  # pragma: no cover - per block kind
        """A block's ∂ℓ/∂x from ∂ℓ/∂o of the block and what its inner layers send to x."""
        raise NotImplementedError

    def sequence_out(self) -> bool:
        """What flows out when a sequence flows in: a sequence (True: one vector per τ, as a dense layer
        applied at each τ hands up) or one vector (a many-to-one recurrent layer's o_T)."""
        return True

    @property
    def plain(self) -> bool:
        """The lecture's vectors exactly: s⁽ˡ⁾ = W⁽ˡ⁾ o⁽ˡ⁻¹⁾ with o⁽ˡ⁻¹⁾'s own 1 (a dense layer after a dense
        layer or the input), which the batch passes compute with no reshaping."""
        return False

    @property
    def bias_columns(self) -> tuple[int, ...]:
        """The columns of the stored matrix that hold biases, which L2 never touches (column 0; a GRU's
        U has one of its own)."""
        return (0,)

    @property
    def in_size(self) -> int:
        return int(np.prod(self.in_shape))

    @property
    def out_size(self) -> int:
        return int(np.prod(self.out_shape))

    @property
    def work_size(self) -> int:
        """Values per example in the largest array of this layer's batch pass (its output; a
        convolution's im2col matrix)."""
        return self.out_size

    @property
    def is_map(self) -> bool:
        """Whether the layer's output is a feature map (C, H, W)."""
        return len(self.out_shape) == 3

    @property
    def reads_map(self) -> bool:
        """Whether the layer's input is a feature map (C, H, W)."""
        return len(self.in_shape) == 3

    @property
    def kernels_as_rows(self) -> bool:
        """Whether every profile shows this layer's stored matrix with a row per output, as stored (a map's
        kernels: K × C·kh·kw, b apart or in column 0), a profile with row vectors too, which turns a dense W
        around (cs231n's D × C: its rows are examples; a kernel is no row vector's product). Its W, G and
        optimizer state are shown alike (``equations.layer_parts``)."""
        return self.is_map

    @property
    def param_shape(self) -> Shape:
        return (0, 1)

    # -- the step schedule: (phase, quantity) of this layer's steps --------------------------------
    def block_forward(self) -> list[str]:
        return ["s", "o"] if self.has_s else ["o"]

    def block_backward(self) -> list[str]:
        return ["delta", "G"] if self.has_weights else ["delta"]

    # -- batches: columns are examples ----------------------------------------------------------------
    def pre(self, W: np.ndarray, O: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, W: np.ndarray, O: np.ndarray) -> tuple[np.ndarray, Any]:
        """(``pre``, saved): with what this layer's ``grad`` and ``back`` may reuse of the forward pass
        (a convolution's im2col matrix, a max pooling's argmax; None when nothing)."""
        return self.pre(W, O), None

    def train_forward(self, W: np.ndarray, O: np.ndarray, draw: Draw) -> tuple[np.ndarray, Any]:
        """:meth:`forward` in training, on the examples ``draw`` names (dropout draws its masks from them)."""
        return self.forward(W, O)

    def grad(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def back(self, W: np.ndarray, delta: np.ndarray, O: np.ndarray, saved: Any = None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    # -- a kind with steps of its own on the board (layernorm's u, o, dx, G; dropout's o, dx) --------------
    # Its backward step's value, the board's δ⁽ˡ⁾ row, is ∂ℓ/∂o⁽ˡ⁻¹⁾ (its ``dx``), which the layer below
    # takes as it is; ∂ℓ/∂o⁽ˡ⁾, handed down from above, is the board's ``extra[("do", l)]``.
    own_steps: ClassVar[bool] = False

    def x_sym(self, l: int, pos: Any = None) -> Sym:
        """x⁽ˡ⁾, the layer's input o⁽ˡ⁻¹⁾ without its bias entry (an entry at the 0-based ``pos``: x_b⁽ˡ⁾)."""
        return Sym("x", l, vector=pos is None) if pos is None else Sym("x", l, tuple(p + 1 for p in pos))

    def dx_sym(self, l: int, pos: Any = None, example: Any = None) -> Node:
        """∂ℓ/∂x⁽ˡ⁾ (an entry: ∂ℓ/∂x_b⁽ˡ⁾): what a kind with steps of its own hands down as ∂ℓ/∂o⁽ˡ⁻¹⁾."""
        return Partial(Sym("ℓ", example, latex=r"\ell"), self.x_sym(l, pos), prefixed=True)

    def step_at(self, state: Any, key: Any, o_below: np.ndarray, handed_down: Any) -> tuple[Any, Any]:  # pragma: no cover
        """A kind with steps of its own in a network over time: step ``key`` at τ = ``key.time`` (None:
        once, above a many-to-one layer) on the rows τ of the board's per-τ matrices; ``o_below`` is the
        vector below at τ ([1, x_τ]), ``handed_down()`` ∂ℓ/∂o⁽ˡ⁾_τ from the layer above."""
        raise NotImplementedError

    def board_step(self, net: Any, state: Any, key: Any, handed_down: Any) -> tuple[Any, Any]:  # pragma: no cover
        """(value, the value before) of step ``key`` of this layer, written on the board ``state``;
        ``handed_down(l)`` is ∂ℓ/∂o⁽ˡ⁾ from the layer above (for a backward step)."""
        raise NotImplementedError

    def one_forward(self, W: np.ndarray, o_below: np.ndarray, epoch: int, example: int) -> np.ndarray:  # pragma: no cover
        """o⁽ˡ⁾ of example ``example`` (from 1) in a training pass of ``epoch``, from its o⁽ˡ⁻¹⁾ as stored."""
        raise NotImplementedError

    def one_back(self, W: np.ndarray, g: np.ndarray, o_below: np.ndarray, epoch: int, example: int) -> np.ndarray:  # pragma: no cover
        """∂ℓ/∂o⁽ˡ⁻¹⁾ (its ∂ℓ/∂x) of one example of a training pass, from ∂ℓ/∂o⁽ˡ⁾ = ``g``."""
        raise NotImplementedError

    # -- one example: values as the board shows them (maps (C, H, W), vectors 1-D) -------------------
    def shaped(self, x: np.ndarray) -> np.ndarray:
        """One example's column as the board shows it: a map (C, H, W) or a vector."""
        return x.reshape(self.out_shape) if self.is_map else x.reshape(-1)

    def pre_one(self, W: np.ndarray, o: np.ndarray) -> np.ndarray:
        """s⁽ˡ⁾ (o⁽ˡ⁾ for a pooling layer) of one example from its o⁽ˡ⁻¹⁾ as stored."""
        return self.shaped(self.pre(W, o.reshape(-1, 1)))

    def grad_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray) -> np.ndarray:
        """One example's term δ⁽ˡ⁾ o⁽ˡ⁻¹⁾ᵀ of G⁽ˡ⁾ (for a convolution: the correlation of o⁽ˡ⁻¹⁾ with δ)."""
        return self.grad(W, delta.reshape(-1, 1), o.reshape(-1, 1))

    def back_one(self, W: np.ndarray, delta: np.ndarray, o: np.ndarray, below: "LayerKind | None") -> np.ndarray:
        """∂ℓ/∂o⁽ˡ⁻¹⁾ of one example, shaped as layer l−1's output (``below``; None for the input)."""
        back = self.back(W, delta.reshape(-1, 1), o.reshape(-1, 1))
        shape = below.out_shape if below is not None else self.in_shape
        return back.reshape(shape) if len(shape) == 3 else back.reshape(-1)

    # -- reading its file entry (core/formats/spec.py asks the kind of each layer's "type") -------------
    keys: ClassVar[frozenset[str]] = frozenset()  # the keys of its entry in a file's "layers"
    output: ClassVar[bool] = False  # it may be the output layer

    @classmethod
    def read(cls, layer: dict, below: Shape, l: int, L: int) -> tuple["LayerKind", str, float]:  # pragma: no cover
        """(the kind, f, α) of file entry ``layer`` (layers[l] of L) reading ``below`` (a vector (d,) or a
        map (C, H, W)), or a SpecError naming the place."""
        raise NotImplementedError

    def initialised(self, W: np.ndarray, init: dict) -> np.ndarray:
        """Its weights as a file's ``init`` draws them: ``W`` drawn uniformly, then what the kind sets
        from ``init`` (an LSTM's ``forget_bias``); not called where the file gives ``weights``."""
        return W

    def init_text(self, row: int, col: int) -> str | None:
        """Where weight (row, col) starts when a file's ``init`` draws the weights, when the kind sets it
        itself (a layer norm's γ = 1, β = 0); None: drawn as the init says."""
        return None

    def read_weights(self, w: Any, l: int) -> np.ndarray:
        """Its weights from a file's ``weights[l − 1]``, checked (a SpecError naming the place), as one
        matrix with the bias in column 0."""
        place = f"weights[{l - 1}]"
        if not isinstance(w, list):
            raise SpecError(f"expected a matrix {self.expected_weights()} for layers[{l}] ({self.type})", place=place)
        return read_matrix(w, self.param_shape, f"d{sup(l)} × (d{sup(l - 1)}+1)", place)

    # -- files and JSON --------------------------------------------------------------------------------
    def weights_json(self, W: np.ndarray) -> Any:
        return W.tolist()

    def weights_from_json(self, value: Any) -> np.ndarray:  # pragma: no cover - per kind
        raise NotImplementedError

    # -- another framework's parameters (``bptui import``, bptui/onnx_import.py) ---------------------------
    gate_order: ClassVar[str] = ""
    """The blocks of h rows of a gated kind's W and U, a letter per gate in the order its equations take
    them (an LSTM's ``"ifgo"``); ``""`` for a kind without gates. An importer reorders a framework's
    blocks by these letters."""

    def from_framework(self, weight: np.ndarray, bias: np.ndarray, weight_hh: np.ndarray | None = None,
                       bias_hh: np.ndarray | None = None) -> np.ndarray:
        """Its stored matrix from parameters named as PyTorch names them: ``weight`` (a dense layer's
        K × d, a convolution's K × C × kh × kw) and ``bias`` (K); a recurrent kind's ``weight_ih``,
        ``bias_ih``, ``weight_hh``, ``bias_hh``, gate blocks in ``gate_order``. Here: the bias in
        column 0, then the weights flattened in C order."""
        return np.concatenate([np.asarray(bias, dtype=float).reshape(-1, 1),
                               np.asarray(weight, dtype=float).reshape(len(weight), -1)], axis=1)

    def expected_weights(self) -> str:
        return "×".join(map(str, self.param_shape))

    def describe(self) -> str:
        return self.type

    # the letters of the kind's own quantities that a profile's letters may meet (dropout's mask m beside a
    # mean profile's group size m, which then is written |B|: core/engine/equations.py's group_symbol)
    letters: ClassVar[frozenset[str]] = frozenset()

    def follows_profiles(self) -> bool:
        """Whether this kind's equations are written in every notation profile (a separate b, a
        mean gradient, the profile's symbols: core/formulas/profiles.py); the others are written in
        the lecture's notation only, for now, and a profile other than lecture13 is refused."""
        return False

    def label(self) -> str:
        """The layer as a teacher names it in the settings screen: ``rnn 4 units``."""
        units = math.prod(self.out_shape)
        return f"{self.type} {units} unit{'s' if units != 1 else ''}"

    def unread(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The rows and the columns of a map input that no output of this layer reads (none: every
        kind but the windowed ones reads its whole input)."""
        return (), ()

    # -- view hints: which cells a cell reads, for the panels' highlight --------------------------------
    def field(self, pos: tuple[int, ...]) -> tuple[set[tuple[int, ...]], int | None]:
        """What output ``pos`` (0-based) of one example reads: the positions of o⁽ˡ⁻¹⁾ (inside the
        map), and the row of W⁽ˡ⁾ it uses (None: the layer has no weights, or no map positions)."""
        return set(), None

    def readers(self, pos: tuple[int, ...]) -> set[tuple[int, ...]]:
        """The outputs of this layer that read position ``pos`` of its input map."""
        return set()

    # -- what an entry is made of: the answer key's scalar formulas -----------------------------------
    combine: ClassVar[str] = "sum"
    """How :meth:`links` make an output entry: ``"sum"`` of the products w·x (a link with no input
    multiplies the constant 1: a bias), ``"max"`` of the inputs (the first maximum in the links'
    order gets the gradient), or their ``"mean"``."""

    def links(self, pos: tuple[int, ...]) -> Sequence[tuple[tuple[int, int] | None, tuple[int, ...] | None]]:
        """Output ``pos`` (0-based, one example; s⁽ˡ⁾, or o⁽ˡ⁾ of a kind with no s) as what it is made of:
        (entry (row, col) of W⁽ˡ⁾ or None, entry of the input (``in_shape``, 0-based, no bias entry) or
        None for the constant 1), in the order the terms are written. The lecture's product: s_b =
        w_b,0 + Σ_a w_b,a x_a over the input flattened (a map in C, H, W order)."""
        b = pos[0]
        return [((b, 0), None)] + [((b, a), x) for a, x in enumerate(_positions(self.in_shape), start=1)]

    def entry_formula(self, net: Any, state: Any, key: Any, index: tuple[int, ...], before: Any = None
                      ) -> "tuple[Node, dict[Node, tuple[str, int, tuple[int, ...], float]]] | None":
        """Entry ``index`` (of the board matrix; at τ: its row first) that step ``key`` of this layer wrote,
        as a formula tree over the board numbers it read: the tree's placeholder symbols each with the
        number's (quantity, layer, index, value) on the board (``before``: G before a G step's +=). None:
        the answer key writes it from :meth:`links` and the dense and recurrent tables (every kind but
        the gated ones, whose own steps core/kinds/rnn/keyformulas.py writes, and the layer norm's,
        dropout's, residual block's and attention's; core/engine/keyformula.py says how a tree is built)."""
        return None

    def sent_place(self, state: Any, l: int, t: int | None, pos: tuple[int, ...]) -> tuple[str, tuple[int, ...]] | None:
        """Where what layer l sends down to unit ``pos`` (0-based) of its input at τ = t is on the board, as
        (quantity, index), when its backward step writes it (a layer norm's or dropout's ∂ℓ/∂x on its δ
        row, a block's fan-in, an attention layer's dx); None: it is (Wᵀδ)[1:] through :meth:`links`,
        worked out where it is read."""
        return None

    def board_index(self, quantity: str, index: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
        """Where entry ``index`` of step ``quantity``'s value is on the board: (:meth:`board_quantity`, the
        same index) but for a kind whose step writes a part of a board matrix (an attention layer's o_τ in
        row τ of its o, G_Q in G⁽ˡ⁾'s first rows)."""
        return self.board_quantity(quantity), index

    def blank_entries(self, quantity: str, shape: tuple[int, ...]) -> list[tuple[int, ...]] | None:
        """The entries of step ``quantity``'s value an exercise may leave blank; None: those the printer
        shows of a vector or a matrix (a map's first position)."""
        return None

    def notation(self, l: int) -> str | None:
        """A worked solution's notation line (LaTeX in Markdown) for layer l of this kind, when it has
        its own equations (an LSTM's gates and cell); None: the dense or recurrent line says it."""
        return None

    def board_quantity(self, quantity: str) -> str:
        """The board matrix (s, o, delta, G, W …) a step of ``quantity`` writes (an LSTM's h step writes
        the layer's o; a layer norm's u its s row, its dx its δ row)."""
        return quantity

    def step_name(self, quantity: str) -> str:
        """The step whose value board matrix ``quantity`` holds (an LSTM's o: its h); the inverse of
        :meth:`board_quantity`."""
        return quantity

    def timed_quantities(self) -> tuple[str, ...]:
        """The board matrices of this layer that hold a row per τ when it runs at each time step: s, o,
        δ, and a kind over time's own (an LSTM's gates, c, ∂ℓ/∂h, ∂ℓ/∂c)."""
        own = tuple(self.board_quantity(q) for q in self.block_forward() + self.block_backward()) \
            if self.over_time else ()
        return tuple(dict.fromkeys(("s", "o", "delta") + tuple(q for q in own if q != "G")))

    def editable(self, row: int, col: int) -> bool:
        """Whether entry (row, col) of W⁽ˡ⁾ is a weight a user may change (an attention layer's one
        matrix pads W_Q, W_K, W_V to W_O's width with entries that are always 0)."""
        return True

    def weight_position(self, row: int, col: int) -> tuple[int, ...] | None:
        """Where weight (row, col) of W⁽ˡ⁾ stands in the layer's own form (a kernel's (k, c, u, v));
        None when the matrix is its own form, or for a bias."""
        return None

    # -- names: what the panels call a number, for check, g, the quiz, keys and exercises ---------------
    def weight_sym(self, l: int, row: int, col: int) -> Sym:
        """Weight (row, col) of W⁽ˡ⁾ (0-based array indices) as the panels show it: w_b,a⁽ˡ⁾ with
        b = row + 1 and a = col (a = 0 the bias)."""
        return Sym("w", l, (row + 1, col))

    def profiled_weight_sym(self, notation: Any, l: int, row: int, col: int) -> Sym:
        """Weight (row, col) of W⁽ˡ⁾ as the notation profile's panel names it where it shows it (nielsen's
        b₁², w₁,₂²; cs231n's W is D × C: w₁,₀¹): here a dense layer's (engine/equations.py's weight_sym)."""
        from .equations import weight_sym

        return weight_sym(notation, l, row, col)

    def grad_sym(self, l: int, row: int, col: int) -> Sym:
        """Entry (row, col) of G⁽ˡ⁾, named as the weight it belongs to: G_b,a⁽ˡ⁾."""
        return Sym("G", l, (row + 1, col))

    def cell_sym(self, quantity: str, l: int, pos: tuple[int, ...] | None = None, example: Any = None) -> Node:
        """One entry (0-based ``pos``; None: the whole map or vector) of s⁽ˡ⁾, o⁽ˡ⁾ or δ⁽ˡ⁾ of a layer
        whose output has no bias entry (a map), printed from 1: s₁,₂,₂⁽¹⁾, δ⁽¹⁾."""
        base, latex = ("δ", r"\delta") if quantity == "delta" else (quantity, None)
        if pos is None:
            return Sym(base, l, vector=True, latex=latex)
        return Sym(base, l, tuple(x + 1 for x in pos), latex=latex)

    def time_row(self, quantity: str, t: int) -> int:
        """The row of this layer's per-τ board matrix of ``quantity`` that holds time step t (row 0 is
        τ = 1; a recurrent layer keeps o_0 in row 0 of its o)."""
        return t - 1

    # -- the quiz: the numbers of a step that may be asked (core/engine/quizcells.py) --------------------
    def quiz_cells(self, l: int, L: int, key: Any, value: Any = None) -> "tuple[QuizCell, ...]":  # pragma: no cover
        """The numbers step ``key`` of layer l (of L) makes that the quiz may ask for, in a fixed order
        (the quiz's seeded choice picks among them): each its cell (named as the panel names it), its
        board reference (what the quiz hides in the step's equations), the position where the
        equations work it out (a map's), and its entry of ``value``, the step's value (None: none)."""
        raise NotImplementedError

    def unknown_value(self, quantity: str, T: int) -> Any:
        """A step's value of NaN, shaped as its step on a sequence of T steps computes it (a kind that
        ``mixes_time``, whose quiz cells follow T)."""
        return None

    def entries(self, quantity: str) -> int:
        """How many numbers a step of ``quantity`` of this layer computes (at one τ for a kind over
        time: an LSTM's gates 4h, its c h); the quiz asks for one of them."""
        return self.out_size

    def unit_sym(self, quantity: str, l: int, b: int, time: int | None = None) -> Node:
        """Entry b (from 1) of a vector quantity of this layer, as its equations name it: s_b⁽ˡ⁾, δ_b⁽ˡ⁾
        (an LSTM names its gates' entries by gate and unit)."""
        return Sym("δ" if quantity == "delta" else quantity, l, (b,), latex=r"\delta" if quantity == "delta" else None,
                   time=time)

    def panel_label(self, quantity: str, l: int) -> str:
        """The heading of a quantity's column in the dense panel (a view hint): W⁽ˡ⁾, s⁽ˡ⁾, o⁽ˡ⁾, δ⁽ˡ⁾, G⁽ˡ⁾
        ("" for a matrix the kind does not have)."""
        return ("δ" if quantity == "delta" else quantity) + sup(l)

    def panel_columns(self) -> tuple[str, ...]:
        """The headings of W's and G's columns in the dense panel: bias, a=1, a=2, …"""
        return ("bias",) + tuple(f"a={a}" for a in range(1, self.param_shape[1]))

    def panel_title(self, l: int, activation: str) -> str:
        """What the dense panel's title says after the layer's number: its f⁽ˡ⁾."""
        return f"f{sup(l)} = {activation}"

    # the names of s, o and δ on the rows of a layer unrolled in time (a layer norm's u, o, ∂ℓ/∂x: FAN_IN_ROW)
    row_names: ClassVar[tuple[tuple[str, str], ...]] = (("s", "s"), ("o", "o"), ("delta", "δ"))

    def panel_rows(self, width: int) -> list[tuple[str, list[str]]]:
        """The view hint of a layer unrolled in time: its per-τ board quantities, each with the labels of
        its rows (an LSTM adds its gates, c, ∂ℓ/∂h and ∂ℓ/∂c; the board's o is its h)."""
        return [(q, [f"{name} b={b + 1}" if b == 0 or width < 4 else f"  b={b + 1}" for b in range(width)])
                for q, name in self.row_names]

    def heat(self, quantity: str) -> bool:
        """Whether the panel shades ``quantity``'s numbers as a heat map of weights in [0, 1] (attention's
        a; an exact 0, its mask, dim)."""
        return False

    def panel_weights(self, l: int) -> tuple[str, tuple[int, ...], list[str]] | None:
        """How the panel of a layer over time shows its stored matrix: (its title, the columns after
        which a bar stands, a label per row); None: W (and a recurrent layer's U) as the panel draws it."""
        return None

    def panel_rows_over(self, T: int) -> list[tuple[str, list[str]]]:
        """Rows of the panel after :meth:`panel_rows` whose number follows the example's length T: a
        quantity H × T × T (attention's a, one row per head h and key τ′, the query τ along the row)."""
        return []

    def panel_norms(self) -> list[tuple[str, str]]:
        """The per-τ quantities whose norm the panel shows under the layer, with their labels: how the
        gradient fades back through time (‖δ_τ‖; an LSTM's ‖∂ℓ/∂c_τ‖ and ‖∂ℓ/∂h_τ‖)."""
        return [("delta", "‖δ_τ‖")]

    def panel_units(self, quantity: str, count: int) -> list[tuple[str, str, int | None]]:
        """The ``count`` rows the panel of a layer over time shows of a per-τ ``quantity`` (or of its
        stored matrix, "W"), each as (a part of the kind's own, the gate's letter, the unit from 1; None:
        the part is the whole label): a gated layer's rows by gate (("", "f", 2); a GRU's s by gate in
        each of its products, named by :meth:`panel_parts`), attention's a by head and key (("h1 τ′2",
        "", None)); a notation profile's panel prints the gate through the profile and numbers the unit
        from its first. Here: a unit per row."""
        return [("", "", b) for b in range(1, count + 1)]

    def panel_parts(self, quantity: str, l: int) -> list[tuple[int, Node]]:
        """The named parts of a per-τ ``quantity``'s rows on a profile's panel, each as (its first row, its
        symbol, printed through the profile): a GRU's s as W's product s⁽ˡ⁾_{x} = W [1; x_τ] and U's
        s⁽ˡ⁾_{h} = U [1; h_{τ−1}]. Here none: the quantity's own symbol names all its rows."""
        return []

    def matrix_parts(self, l: int) -> list[tuple[int, Node]]:
        """The blocks of columns of the stored matrix of layer l, each as (its first column in the
        lecture's matrix, its symbol): here W⁽ˡ⁾ whole (a recurrent layer's [W │ U]: U from column d + 1; a
        layer norm's [β │ γ]: β, then γ). A part that is the layer's W⁽ˡ⁾ itself is named by the block of rows
        it stands in (:meth:`matrix_blocks`: attention's W_Q, …)."""
        from .equations import W

        return [(0, W(l))]

    def gradient_parts(self, l: int) -> list[tuple[int, Node]]:
        """The gradient of each of :meth:`matrix_parts`, as (its first column, its symbol): here G⁽ˡ⁾ whole (a
        recurrent layer's ∂ℓ/∂U apart, from column d + 1: the panel names U's part as U's)."""
        from .equations import G

        return [(0, G(l))]

    def separate_biases(self, l: int) -> list[tuple[int, Node, Node]]:
        """The stored matrix's bias columns after column 0 that a profile with a separate b writes as biases
        of their own, each as (its column, its symbol, its gradient's): a GRU's U bias b⁽ˡ⁾_{h} (column 1 + d,
        PyTorch's ``bias_hh``). Here none."""
        return []

    def update_parts(self, l: Any) -> list[ParameterPart]:
        """The parts a profile with a separate b updates apart, each on its own line group, as the gradient
        steps write their gradients (:meth:`gradient_parts`, :meth:`separate_biases`): a recurrent layer's W, U,
        b (and a GRU's b_{h}); ``l`` a layer's number or "l" (the network's rules). Here none: the profile's own
        parts (W without column 0, then b)."""
        return []

    def matrix_blocks(self, l: int) -> list[tuple[int, int, int, dict[str, Node]]]:
        """The blocks of rows of the stored matrix of layer l, each as (its first row, its rows, the
        columns it uses, the symbols of its weights, its bias and their gradients: "W", "b", "G", "Gb"):
        here one, W⁽ˡ⁾ whole (attention's W_Q, W_K, W_V and W_O stacked, each with its own b)."""
        from .equations import G, Gb, W, b

        rows, cols = self.param_shape
        return [(0, rows, cols, {"W": W(l), "b": b(l), "G": G(l), "Gb": Gb(l)})]

    def step_sym(self, quantity: str, l: int, time: int | None) -> Node | None:
        """The symbol of this layer's step ``quantity`` at τ when it is the kind's own (an LSTM's c⁽ˡ⁾_τ,
        ∂ℓ/∂h⁽ˡ⁾_τ); None: s, o, δ, G, W as every layer's."""
        return None

    def count_text(self, axis: int) -> str:
        """How the number of outputs along a map axis follows from the input's (windowed kinds)."""
        return ""

    # -- the kind's own steps, equations, rules and explanations (its module) ---------------------------
    # The engine and the teaching views ask every layer's kind in turn; a kind that has nothing of its
    # own leaves them to the dense path (core/engine/equations.py, core/engine/explain.py).
    def claims_step(self, net: Any, key: Any) -> bool:
        """Whether this kind's module writes the equations of step ``key``: a step of its own layer, or
        of a dense layer beside it that reads or feeds its map."""
        return False

    def step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None) -> tuple:  # pragma: no cover
        """The equations of ``step`` (claimed by :meth:`claims_step`); for a map, the scalar form at ``pos``."""
        raise NotImplementedError

    def prepare_steps(self) -> None:
        """Import the modules that write this kind's steps' equations (:meth:`step_equations`), ahead of its
        first step: the app calls it once its network screen is up, so that the first press of a step of
        this kind does not import (and, without .pyc files, compile) them. Here: none (the dense path's)."""

    def profiled_step_equations(self, net: Any, state: Any, step: Any, pos: tuple[int, ...] | None, notation: Any,
                                optimizer: Any = None) -> tuple:
        """:meth:`step_equations` as the notation profile ``notation`` names and groups them (a separate
        b, the mean G/m); a kind that :meth:`follows_profiles` and claims steps writes them so. Here:
        the lecture's grouping (the printer still writes the profile's symbols)."""
        return self.step_equations(net, state, step, pos)

    def rules(self, net: Any, l: int) -> list | None:
        """Layer l's lines of the network's rules (formula trees without numbers); None: a dense layer's."""
        return None

    def profiled_rules(self, net: Any, l: int, notation: Any) -> list | None:
        """:meth:`rules` as the notation profile ``notation`` groups them (a separate b, G/m, rows); a kind
        that :meth:`follows_profiles` and has lines of its own writes them so. Here: :meth:`rules`."""
        return self.rules(net, l)

    def shared_rules(self, net: Any, notation: Any = None) -> list:
        """Lines that a network with this kind adds once, after the δ rules (δ below a convolution …); their
        notes name quantities as the profile ``notation`` prints them (None: the lecture's)."""
        return []

    def explains(self, spec: Any, cell: Any) -> bool:
        """Whether this kind's module explains ``cell`` (core/engine/explain.py's Cell)."""
        return False

    def explain(self, stepper: Any, cell: Any, digits: int) -> Any:  # pragma: no cover - per kind
        raise NotImplementedError

    def weight_text(self, spec: Any, l: int, b: int, a: int) -> str | None:
        """What W⁽ˡ⁾'s entry (b, a) is, in words (b from 1, a = 0 the bias column); None: a dense layer's."""
        return None

    def profiled_weight_text(self, spec: Any, l: int, b: int, a: int, notation: Any) -> str | None:
        """:meth:`weight_text` with its layer and unit numbers as the notation profile ``notation``
        numbers them (its panel's); here: weight_text's own (a kind whose words number nothing)."""
        return self.weight_text(spec, l, b, a)

    def profiled_names(self, l: int, notation: Any) -> "ProfiledNames":
        """What a notation profile's panel (tui/profile_sheet.py) and its update equations call this layer's
        board rows and parameters, as symbols the profile's printer writes; here: a dense layer's W, b, G,
        ∂ℓ/∂b, s, o, δ, the k=… of W's columns and the title's f = activation."""
        from . import equations as E

        return ProfiledNames({"W": E.W(l), "b": E.b(l), "G": E.G(l), "Gb": E.Gb(l), "s": E.s(l), "o": E.o(l),
                              "delta": E.delta(l)})

    # -- a kind over time: one example's sequence, τ by τ (``over_time``) -----------------------------------
    def start_sequence(self, net: Any, x: np.ndarray) -> tuple[list, list, list, dict]:  # pragma: no cover
        """The board's (s, o, δ) rows of a new example's sequence ``x`` (T × d), and the kinds' own
        quantities over time (``State.extra``, keyed (quantity, l))."""
        raise NotImplementedError

    def sequence_step(self, net: Any, state: Any, key: Any) -> tuple[Any, Any]:  # pragma: no cover
        """(value, the value before) of a forward, loss or backward step of a sequence."""
        raise NotImplementedError

    # -- its neighbours on a sequence board (a kind that reads the whole sequence asks the layers beside it)
    # the board quantity of layer l that holds what it sends down (``sequence_sent``), if one does
    sent_quantity: ClassVar[str | None] = None

    def sequence_units(self, o: np.ndarray) -> np.ndarray:
        """x_1 … x_T (T × units): the rows this layer's o⁽ˡ⁾ on a sequence board hands up, without a dense
        layer's bias column ([1, o_τ] rows); a kind that keeps o_0 in row 0 drops that row instead."""
        return o[:, 1:] if self.bias_entry else o

    def sequence_sent(self, state: Any, l: int, t: int | None = None) -> np.ndarray:
        """∂ℓ/∂x_τ that layer l sends down to the units of the layer below on a sequence board, once its
        backward steps are done: row τ (t from 1), or every τ (T × units, t None). A dense layer at τ:
        (W⁽ˡ⁾ᵀ δ⁽ˡ⁾_τ)[1:]; a kind with steps of its own: its dx, which is the board's δ⁽ˡ⁾."""
        if self.own_steps:
            return state.delta[l] if t is None else state.delta[l][t - 1]
        if t is None:
            return state.delta[l] @ state.W[l][:, 1:]
        return (state.W[l].T @ state.delta[l][t - 1])[1:]

    # -- a generated program (bptui export --format pytorch|numpy; bptui/codegen/) ---------------------
    def code(self, l: int, L: int) -> LayerCode:
        """How layer l (of L) is written in a generated PyTorch or NumPy program (:class:`LayerCode`); a
        kind that cannot be written yet says so, naming its layer."""
        raise SpecError(f"{self.type} layers cannot be exported as a program yet", place=f"layers[{l}]")

    def profiled_code(self, l: int, L: int, n: dict[str, str], row: bool, separate: bool, mean: bool) -> ProfiledCode:
        """How layer l (of L) is written in a generated program in a notation profile (codegen/profiled.py's
        ``profiled_program``): its lines in the profile's names ``n`` (the program's identifiers of "W", "b", "z",
        "a_in" (its input, as the profile holds it), "dz", "dW", "db", "da_in" (∂ℓ/∂ of its input) and their
        printed symbols under the same keys with a "~" in front), ``row`` vectors, a ``separate`` bias, a
        ``mean`` gradient. In a network over time (codegen's ``_sequence_names``) the names are at τ (``z1[t]``,
        ``a0[t]``), with ``lib`` (np or torch), ``a_prev``, ``dz_next``, ``a_first`` (the output at τ − 1, δ at
        τ + 1, the output at τ = 0) and a recurrent layer's ``U``, ``dU`` (a GRU's ``bh``, ``dbh``). A kind that
        is not written in profiles yet says so, naming its layer."""
        raise SpecError(f"{self.type} layers are not written in a notation profile's program yet", place=f"layers[{l}]")

    def code_from(self, l: int, L: int, src: int) -> LayerCode:
        """:meth:`code` for a layer l that reads o⁽ˢʳᶜ⁾ (a residual block's wires: src is not always
        l − 1); a kind that cannot read another layer's output says so, naming its layer."""
        if src == l - 1:
            return self.code(l, L)
        raise SpecError(f"{self.type} layers reading another layer than the one below cannot be exported "
                        "as a program yet", place=f"layers[{l}]")

    # -- what a pass costs (the manual: docs/network-files.md, "Limits and hostile input") -----------------------------------------
    def cells(self) -> tuple[tuple[str, int], ...]:
        """The arrays one example's pass through the layer allocates, as (what, numbers): they grow
        with the examples of an update group, so the limits on N and on a board are on their sum.
        Python integers: a hostile size gives a big number here, never an overflow."""
        return (("its output", math.prod(self.out_shape)),)

    def multiplications(self) -> int:
        """Multiplications of one example's forward pass (the backward pass costs about twice as many)."""
        return math.prod(self.param_shape)

    def time_cost(self, T: int) -> tuple[int, int]:
        """(numbers, multiplications) of one sequence of T steps beyond T times :meth:`cells` and
        :meth:`multiplications`: what grows with T² (attention's scores); (0, 0) for the other kinds."""
        return 0, 0


@functools.lru_cache(maxsize=64)
def _positions(shape: Shape) -> tuple[tuple[int, ...], ...]:
    """Every position of an array of ``shape``, in C order (a map's C, H, W flattening)."""
    return tuple(np.ndindex(*shape))


def own_step(net: Any, key: Any) -> bool:
    """Whether a kind with steps of its own (a layer norm) writes step ``key``'s equations: a family
    that steps whole networks over time (recurrent, attention) leaves them to it."""
    return any(k.own_steps and k.claims_step(net, key) for k in net.kinds)


def timed_layers(kinds: "Sequence[LayerKind]") -> tuple[bool, ...]:
    """For layers 1..L: whether a sequence flows into layer l, so that it runs at each time step τ.
    A network with a kind over time reads sequences; each layer then asks the kind below what flows
    out of it (:meth:`LayerKind.sequence_out`). No kind over time: all False."""
    if not any(k.over_time for k in kinds):
        return (False,) * len(kinds)
    out, flowing = [], True
    for k in kinds:
        out.append(flowing)
        flowing = flowing and k.sequence_out()
    return tuple(out)


def rows_with_one(kinds: "Sequence[LayerKind]") -> frozenset[int]:
    """The layers (0: the input) whose o is a per-τ matrix with the 1 on top of each row: the input and
    the hidden vector layers that run at each τ of a network over time (a kind over time keeps no 1, nor
    does the output layer). A notation
    profile with a separate b shows those rows without their 1 (core/formulas/profiles.py's shown_ref)."""
    timed = timed_layers(kinds)
    if not any(timed):
        return frozenset()
    return frozenset({0} | {l for l, (k, t) in enumerate(zip(kinds, timed), start=1)
                                if t and not k.over_time and k.bias_entry and l < len(kinds)})


def sequence_output(kinds: "Sequence[LayerKind]") -> bool:
    """Whether the output layer of a network of these layers hands up a sequence (targets [T][k])."""
    timed = timed_layers(kinds)
    return bool(timed) and timed[-1] and kinds[-1].sequence_out()


def read_matrix(rows: list, shape: tuple[int, ...], meaning: str, place: str) -> np.ndarray:
    """A matrix of a file's weights, checked against its ``shape`` (``meaning`` says what the shape is)."""
    n, cols = shape
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        # (a block's list of entries may hold null, so the schema lets a matrix with a null row by)
        raise SpecError(f"expected a matrix of {n}×{cols} numbers = {meaning}, a list of rows", place=place)
    widths = {len(row) for row in rows}
    if len(rows) != n or widths != {cols}:
        got = f"{len(rows)}×{'/'.join(str(c) for c in sorted(widths))}"
        raise SpecError(f"shape {got}, expected {n}×{cols} = {meaning}", place=place)
    return np.array(rows, dtype=float)
