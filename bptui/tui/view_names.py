"""The names the gradient check (g) and the training screen (t) print beside their numbers, in the app's
notation profile: each printed from the core's symbols (ℓ_D, η, G⁽ˡ⁾, δ⁽ˡ⁾, ∂ℓ_D/∂w) by the profile's printer,
never spelled here. None: the lecture's."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class ViewNames:
    loss: str  # ℓ, a loss summed over some examples (nielsen's C)
    on_screen: str  # what the panels show of the gradient the check computes: "the G on screen", ng's
    # "m · the dW^[l], db^[l] on screen" (the check's is the sum; a mean profile shows G/m)
    loss_D: str  # ℓ_D, the data set's (a group's) loss: the sum of ℓ⁽ⁿ⁾, a mean profile's their mean (nielsen's C_D, ng's J)
    curve: str  # the loss curve's title: the mean loss per example, ℓ_D / N (a mean profile's ℓ_D itself)
    eta: str  # η: goodfellow's ε, ng's α
    d_loss_d_w: str  # ∂ℓ_D/∂w, a weight's gradient as the check computes it
    grad_norm: str  # ‖G⁽ˡ⁾‖ of layer l: ‖dW^[l], db^[l]‖ with a separate bias
    mean_delta: str  # |δ⁽ˡ⁾|: |dz^[l]|
    grad_ratio: str  # ‖G⁽¹⁾‖/‖G⁽ᴸ⁾‖ of the network's L (the gradient curves' legend)
    mean: bool  # the profile's gradient is a mean G/m: a norm over the training set is of G/N
    output: str  # o⁽ᴸ⁾, the network's output (the fit plot's curve): ng's a^[L], goodfellow's h⁽ᴸ⁾


def _norm(p: Any, P: Any, l: int | str) -> str:
    from ..core.engine.equations import G
    from ..core.formulas.formula import Sym

    parts = [p.p(G(l))]
    if P is not None and P.separate_bias:  # G⁽ˡ⁾ holds W's gradient and b's: both under the norm
        parts.append(p.p(Sym("Gb", l, vector=True)))
    return "‖" + ", ".join(parts) + "‖"


@lru_cache(maxsize=16)
def view_names(notation: Any = None, L: int = 1) -> ViewNames:
    """The names in ``notation`` (a Profile, None or lecture13: the lecture's) for a network of ``L`` layers."""
    from ..core.engine.equations import LOSS_D, delta, o
    from ..core.formulas.formula import Call, Partial, Sym, TextPrinter
    from ..core.ops.optim import ETA

    P = None if notation is None or notation.name == "lecture13" else notation
    p = TextPrinter(notation=P)
    if P is None:
        on_screen = f"the {p.p(Sym('G'))} on screen"
    else:
        on_screen = f"the {_norm(p, P, 'l')[1:-1]} on screen"
    loss_D = p.p(LOSS_D)
    curve = (f"{loss_D}, the mean loss per example, per epoch" if P is not None and P.mean
             else f"mean loss per example ({loss_D} / N), per epoch")
    return ViewNames(loss=p.p(Sym("ℓ", latex=r"\ell")), on_screen=on_screen, loss_D=loss_D, curve=curve, eta=p.p(ETA), d_loss_d_w=p.p(Partial(LOSS_D, Sym("w"))),
                     grad_norm=_norm(p, P, "l"), mean_delta=p.p(Call("abs", (delta("l"),))),
                     grad_ratio=_norm(p, P, 1) + "/" + _norm(p, P, L),
                     mean=P is not None and P.mean, output=p.p(o(L)))
