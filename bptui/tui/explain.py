"""The side panel's text for the cell under the cursor."""

from __future__ import annotations

from ..core.notation import num, sup
from ..core.stepper import Stepper

NAMES = {"s": "s", "o": "o", "delta": "δ", "G": "G", "W": "w"}


def cell_name(cell: tuple) -> str:
    quantity, l, row, col = cell
    if quantity in ("W", "G"):
        return f"{'w' if quantity == 'W' else 'G'}{sup(l)}_{row + 1},{col}"
    index = row if quantity == "o" else row + 1
    return f"{NAMES[quantity]}{sup(l)}_{index}"


def explain_cell(stepper: Stepper, cell: tuple, digits: int) -> str:
    quantity, l, row, col = cell
    st = stepper.state
    arrays = {"W": st.W, "G": st.G, "s": st.s, "o": st.o, "delta": st.delta}
    array = arrays[quantity][l]
    name = cell_name(cell)
    if array is None:
        return f"{name}\n\nnot computed yet in this pass"
    value = array[row, col] if quantity in ("W", "G") else array[row]
    text = f"{name} = {num(value, digits)}"
    if quantity == "W":
        text += "\n\nEnter: type a new value"
    return text
