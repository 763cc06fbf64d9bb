"""The settings screen (``s``): the file's training, loss, layers, init and data sections in a
dialog over the stepping screen. The arithmetic is the core's (``core/formats/settings.py``): the dialog
collects :class:`~bptui.core.formats.settings.Choices`, the core checks them by the rules of a file and
returns the new spec; a bad value's message (the file's, word for word) appears next to its field
and nothing is applied. Esc leaves everything as it was."""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select
from textual.widgets._select import SelectCurrent, SelectOverlay

from ..core.formats import settings as S
from ..core.ops.activations import ACTIVATIONS
from ..core.formats.data import GENERATOR_DEFAULTS, IMAGE_GENERATORS, generator_shape, image_classes
from ..core.util.errors import SpecError
from ..core.formulas.notation import count
from ..core.formats.spec import DEFAULT_INIT, DEFAULT_TRAINING
from .guard import GuardedPump
from .panel_base import LeanScroll

# the command palette's entries: (section, title, help)
SECTIONS = [
    ("training", "Settings: training", "learning rate, L2, optimizer and its momentum or Adam's rates, updates, shuffling, epochs"),
    ("loss", "Settings: loss", f"the loss ({', '.join(S.LOSS_NAMES)})"),
    ("notation", "Settings: notation", "the course's notation: lecture13, nielsen, goodfellow, ng, cs231n (never the numbers)"),
    ("layers", "Settings: layers", "each layer's width and activation (and α); add or remove a hidden layer"),
    ("init", "Settings: init", "the scale and seed of newly drawn weights"),
    ("data", "Settings: data", "a generator with n, noise, seed and test fraction, or the file's data; standardize"),
]
HYPER = [("momentum", "momentum"), ("beta1", "(Adam)"), ("beta2", "(Adam)"), ("eps", "(Adam)")]
GENERATOR_KEYS = [("n", "n examples"), ("noise", "noise"), ("seed", "seed"), ("test_fraction", "test fraction")]
# fields that may stay empty, and what empty means (their placeholder says it); every other field needs a value
OPTIONAL = ("training.shuffle_seed", ".alpha")


def field_default(place: str) -> Any:
    """The value a file gets when it leaves the field's key out (None: a file must give it)."""
    key = place.rsplit(".", 1)[-1]
    if place.startswith("training."):
        return S.default_hyper(key) if key in S.HYPER_KEYS else DEFAULT_TRAINING.get(key)
    if place.startswith("init."):
        return DEFAULT_INIT.get(key)
    if place.startswith("data."):
        return GENERATOR_DEFAULTS.get(key)
    return None


def empty_message(place: str) -> str:
    """What an empty required field says: the dialog never fills in a default silently."""
    default = field_default(place)
    return "type a value" + ("" if default is None else f" (the file's default is {S.text(default)})")


def training_labels(notation: Any = None) -> dict[str, str]:
    """The training rows' names, each with its symbol as the equations print it in ``notation`` (None: the
    lecture's): the optimizer's own Syms (core/ops/optim.py) through the profile's printer, so goodfellow's
    rows read ε learning rate, α momentum, ρ₁ and ρ₂, δ (Adam), ng's α learning rate; a symbol that is the
    words itself (cs231n's learning_rate) stands alone."""
    from ..core.formulas.formula import TextPrinter
    from ..core.ops.optim import BETA1, BETA2, EPS, ETA, LAMBDA, MU

    p = TextPrinter(notation=notation).p
    words = {"learning_rate": (ETA, "learning rate"), "l2": (LAMBDA, "L2"),
             **{key: (sym, said) for (key, said), sym in zip(HYPER, (MU, BETA1, BETA2, EPS))}}
    return {key: (p(sym) if p(sym).replace("_", " ") == said else f"{p(sym)} {said}")
            for key, (sym, said) in words.items()}


def loss_label(notation: Any = None) -> str:
    """The loss row's name: the per-example loss's symbol as the equations print it in ``notation`` (ℓ, C, J …)."""
    from ..core.formulas.formula import Sym, TextPrinter

    return f"loss {TextPrinter(notation=notation).p(Sym('ℓ', latex=chr(92) + 'ell'))}"


def inputs_label(notation: Any = None) -> str:
    """The inputs row's name: d with the input layer's index as ``notation`` writes it (d⁽⁰⁾, ng's d^[0], nielsen's d¹)."""
    from ..core.formulas.formula import Sym, TextPrinter

    return f"inputs {TextPrinter(notation=notation).p(Sym('d', 0))}"


def alpha_hint(activation: str, notation: Any = None) -> str:
    """An activation's parameter field's hint: its symbol as the equations print it in ``notation`` (α, or the
    letter a profile whose α is another quantity's writes: profiles.CLASHES) and its default."""
    from ..core.formulas.formula import TextPrinter
    from ..core.ops.activations import ALPHA

    a = TextPrinter(notation=notation).p(ALPHA)
    default = ACTIVATIONS[activation].default_alpha
    return f"{a}: none" if default is None else f"{a} {default:g}"


def kind_text(kind: Any) -> str:
    """A layer of fixed kind as a teacher names it: ``conv2d 2 filters 3×3``, ``rnn 4 units`` (the kind's own
    ``label``)."""
    return kind.label()


def ident(place: str) -> str:
    """A widget id for a file place: ``layers[2].units`` → ``layers-2--units``."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", place)


class Quiet(Widget):
    """A class change before the widget is mounted restyles nothing: mounting styles it once, with
    its classes then (Textual restyles a widget at every change, about a millisecond each, and an
    Input changes two classes while it is built)."""

    def add_class(self, *class_names: str, update: bool = True) -> Any:
        return super().add_class(*class_names, update=update and self.is_mounted)

    def remove_class(self, *class_names: str, update: bool = True) -> Any:
        return super().remove_class(*class_names, update=update and self.is_mounted)

    def set_class(self, add: bool, *class_names: str, update: bool = True) -> Any:
        return super().set_class(add, *class_names, update=update and self.is_mounted)


class Field(Input, Quiet):
    """The dialog's text field."""


class Current(SelectCurrent):
    """A choice's value and its arrow drawn as one line (a SelectCurrent is three widgets)."""

    DEFAULT_CSS = "Current { height: 1; }"

    def compose(self) -> ComposeResult:
        yield from ()

    def update(self, label: Any) -> None:
        self.label = label
        self.has_value = label is not Select.NULL
        self.refresh()

    def render(self) -> Text:
        label = self.placeholder if self.label is Select.NULL else str(self.label)
        arrow = "▲" if self.parent is not None and self.parent.has_class("-expanded") else "▼"
        room = max(self.content_region.width - 2, 1)
        return Text(label[:room].ljust(room)) + Text(" " + arrow, style="dim")


class Choice(Select, Quiet):
    """The dialog's list of choices, its list built when first opened: a Select builds its option
    list (an OptionList, hidden) with itself, and the dialog has seven."""

    def compose(self) -> ComposeResult:
        yield Current(self.prompt)

    def _setup_options_renderables(self) -> None:
        if self.query(SelectOverlay):
            super()._setup_options_renderables()

    def _watch_value(self, value: Any) -> None:
        if self.query(SelectOverlay):
            super()._watch_value(value)
            return
        self._value = value
        current = self.query(SelectCurrent)
        if current:
            current.first().update(next(prompt for prompt, v in self._options if v == value))
            self.post_message(self.Changed(self, value))

    async def _list(self) -> None:
        """The option list, mounted at the first opening, highlighting the value."""
        if not self.query(SelectOverlay):
            overlay = SelectOverlay(type_to_search=self._type_to_search)
            await self.mount(overlay)
            overlay.compact = self.compact  # a Select binds it while composing; the dialog's do not change
            self._setup_options_renderables()
            values = [v for _, v in self._options]
            if self.value in values:
                self.query_one(SelectOverlay).highlighted = values.index(self.value)

    async def action_show_overlay(self) -> None:  # type: ignore[override]  # the keys' way: the list first
        await self._list()
        super().action_show_overlay()

    async def _watch_expanded(self, expanded: bool) -> None:  # type: ignore[override]  # a click's way
        if expanded:
            await self._list()
        super()._watch_expanded(expanded)
        self.query_one(Current).refresh()  # its arrow


class Press(Button, Quiet):
    """The dialog's button."""


class Row(Horizontal):
    """A setting's row: its name drawn in the row's first columns (CSS ``.first``: the margin of the
    first field), the fields beside it. One widget a row fewer than a Label for the name; a new name
    (a notation chosen) is drawn at once."""

    title: reactive[str] = reactive("", layout=False)

    def __init__(self, title: str, *fields: Widget, id: str | None = None) -> None:
        next((f for f in fields if f.display), fields[0]).add_class("first")
        super().__init__(*fields, id=id, classes="row")
        self.title = title

    def render(self) -> Text:
        return Text(self.title, no_wrap=True, overflow="crop")


class SettingsScreen(GuardedPump, ModalScreen[S.Applied | None]):
    """Change the network's settings; dismisses with the core's ``Applied``, or None (Esc)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel-settings", tooltip="Leave the settings unchanged"),
        Binding("ctrl+s", "apply", "Apply", id="apply-settings", tooltip="Check the settings and restart with them"),
    ]
    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > Vertical {
        width: 104; max-width: 100%; height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    SettingsScreen #settings-title { text-style: bold; }
    SettingsScreen #settings-hint { color: $text-muted; width: 100%; }
    SettingsScreen VerticalScroll { height: 1fr; }
    SettingsScreen #settings-rest { height: auto; }
    SettingsScreen .section { text-style: bold; color: $accent; margin-top: 1; }
    SettingsScreen .note { color: $text-muted; width: 100%; }
    SettingsScreen .row { height: auto; }
    SettingsScreen .row > .first { margin: 0 1 0 20; }
    SettingsScreen .row { margin-bottom: 0; }
    SettingsScreen #generator, SettingsScreen #standardize { width: 34; }
    SettingsScreen .row Input { width: 16; }
    SettingsScreen .row Select { width: 22; }
    SettingsScreen .row .alpha { width: 9; }
    SettingsScreen #layer-rows Input { width: 8; }
    SettingsScreen #layer-rows Input.alpha { width: 9; }
    SettingsScreen #layer-rows Select { width: 17; }
    SettingsScreen #layer-rows.fixed .row > .first { margin: 0 1 0 36; }
    SettingsScreen .row Button { min-width: 8; }
    SettingsScreen .row > .field-error { width: 1fr; padding: 0 0 0 1; color: $text-error; }
    SettingsScreen .row Input, SettingsScreen .row Select { margin-right: 1; }
    SettingsScreen #settings-error { color: $text-error; }
    SettingsScreen #settings-buttons { height: auto; align-horizontal: right; }
    SettingsScreen #settings-buttons Button { margin-left: 2; }
    """

    def __init__(self, spec: Any, weights: Sequence[Any], file_data: dict | None = None, section: str = "",
                 notation: Any = None) -> None:
        super().__init__()
        self.spec, self.weights, self.section = spec, list(weights), section
        self.notation = notation  # the app's notation profile (None: the lecture's)
        self.chosen: Any = notation  # the notation applied: the choice when Apply is pressed
        self.set_reactive(SettingsScreen.naming, notation)  # the rows' names: the notation chosen so far
        self.file_data = file_data if file_data is not None else spec.raw.get("data", {})
        self.start = S.current(spec)
        self.editable = S.layers_editable(spec)
        self.layer_choices: list[S.LayerChoice] = list(self.start.layers)  # the layer rows (read back on add/remove)
        self.errors: dict[str, Horizontal] = {}  # place → the row its error is shown in
        self.fields: dict[str, Widget] = {}  # place → the widget to focus for it
        self.later: dict[str, Callable[[], Horizontal]] = {}  # place → its row, built when first shown
        self.done = False
        self.error_place: str | None = None  # the field the error shown is about

    # the notation the dialog's own rows are named in (the training symbols, the loss): the app's, then the one
    # chosen in the notation row, at once (applying it renames the app)
    naming: reactive[Any] = reactive(None, init=False)

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        start, spec = self.start, self.spec
        with Vertical():
            yield Label(f"Settings of {spec.name}", id="settings-title", markup=False)
            yield Label("Tab/Enter: next field · ctrl+s or Apply: apply, from step 0 · Esc: cancel",
                        id="settings-hint", markup=False)
            with LeanScroll(id="settings-body", can_focus=False):  # Tab moves through the fields, which scroll into view
                yield from self._training(start.training)
                yield Label("loss", classes="section")
                yield self._row(loss_label(self.notation), Choice([(n, n) for n in S.LOSS_NAMES], value=start.loss, allow_blank=False, compact=True,
                                                 id="loss"), "loss")
                yield Label("notation", classes="section")
                yield from self._notation()
                yield from self._rest()
            yield Label("", id="settings-error", markup=False)
            with Horizontal(id="settings-buttons"):
                yield Press("Apply", variant="primary", id="apply", compact=True)
                yield Press("Cancel", id="cancel", compact=True)

    def profiles(self) -> dict[str, Any]:
        """The notations to choose from: the shipped profiles, and the app's own when it is a course's."""
        from ..core.formulas.profiles import LECTURE13, PROFILES

        current = self.notation or LECTURE13
        return {**PROFILES, current.name: current}

    def _notation(self) -> ComposeResult:
        """The notation the app writes in (``core/formulas/profiles.py``): the profiles this network's
        layers are written in; ``w`` saves it as the file's ``"notation"``."""
        from pathlib import Path

        from ..core.engine.equations import profile_fits

        kinds = self.spec.kinds or ()
        from .panels import panels_fit

        written = {n: p for n, p in self.profiles().items()
                   if profile_fits(kinds, p) is None and panels_fit(kinds, p) is None}
        current = (self.notation.name if self.notation is not None else "lecture13")
        options = [(f"{n} ({Path(p.source).name})" if p.source else n, n) for n, p in written.items()]
        choice = Choice(options, value=current if current in written else "lecture13", allow_blank=False,
                        compact=True, id="notation", disabled=len(options) < 2)
        choice.tooltip = ("how the numbers are named and grouped, never their values; w saves it in the file"
                          if len(options) > 1 else "this network's layers are written in the lecture's notation only, for now")
        yield self._row("profile", choice, "notation")  # one row: the dialog opens in a time paid per widget

    def _rest(self) -> ComposeResult:
        """The layers, init and data sections."""
        start = self.start
        yield Label("layers", classes="section", id="layers-title")
        if not self.editable:
            yield Label(self._fixed_note(), classes="note", markup=False)
        else:
            yield self._row(inputs_label(self.naming), Field(compact=True, value=S.text(start.input_units), id="input-units"),
                            "layers[0]")
        yield Vertical(*self._layer_rows(), id="layer-rows", classes="row" + ("" if self.editable else " fixed"))
        if self.editable:
            yield Horizontal(Press("add a hidden layer", id="add-layer", compact=True), classes="row")
            yield Label("init", classes="section")
            yield Label("new weights: U(−scale, scale) from default_rng([seed, k]), k = the layer's old number (new: L+1, …)",
                        classes="note")
            yield self._row("seed", Field(compact=True, value=S.text(start.init.get("seed")), id="init-seed"), "init.seed")
            yield self._row("scale", Field(compact=True, value=S.text(start.init.get("scale")), id="init-scale"), "init.scale")
        yield from self._data(start.data)

    def _fixed_note(self) -> str:
        """What the dialog cannot change in a network of map or recurrent layers (and why)."""
        kinds = self.spec.layer_kinds
        if any(k.over_time for k in kinds):
            recurrent = ", ".join(dict.fromkeys(k.type for k in kinds if k.over_time))
            return (f"This network has a recurrent layer ({recurrent}, run over the time steps): the number of layers, "
                    "their kinds and widths are fixed here (edit the file for those); the activations can change "
                    "(not a gated layer's σ and tanh).")
        if any(k.span for k in kinds):  # residual blocks: their nesting is the file's
            blocks = ", ".join(dict.fromkeys(k.type for k in kinds if k.span))
            return (f"This network has {blocks} blocks: the number of layers, their kinds, widths and nesting are "
                    "fixed here (edit the file for those); the activations of the layers inside can change.")
        maps = ", ".join(dict.fromkeys(k.type for k in kinds if k.is_map or k.own_steps))
        what = "layers the dialog does not build" if any(k.own_steps for k in kinds) else "map layers"
        return (f"This network has {what} ({maps}): the number of layers, their kinds, filters and sizes are "
                "fixed here (edit the file for those); the activations can change.")

    def _row(self, name: str, widget: Widget, place: str, *more: Widget) -> Horizontal:
        row = Row(name, widget, *more, id=f"row-{ident(place)}")
        self.errors[place] = row  # its error label is mounted when there is one (fewer widgets to open)
        self.fields[place] = widget
        return row

    def _row_when_shown(self, place: str, shown: bool, name: str | Callable[[], str],
                        field: Callable[[], Widget]) -> ComposeResult:
        """A row that only some choices show (an optimizer's μ, a generator's n): built when first
        shown (:meth:`_show_rows`), as most are hidden, and each costs the dialog's opening time; ``name``
        called then (the notation chosen by then)."""
        self.later[place] = lambda: self._row(name if isinstance(name, str) else name(), field(), place)
        if shown:
            yield self.later[place]()

    async def _show_rows(self, after: str, shown: dict[str, bool]) -> None:
        """Show the rows of ``shown``'s places that it says, in its order below the row of ``after``;
        hide the others."""
        prev = self.errors[after]
        for place, show in shown.items():
            row = self.errors.get(place)
            if row is None and show:
                row = self.later[place]()
                await prev.parent.mount(row, after=prev)  # type: ignore[union-attr]
            if row is not None:
                row.display = show
                prev = row

    def _training(self, t: dict) -> ComposeResult:
        opt = self.spec.optimizer
        yield Label("training", classes="section", id="training-title")
        yield self._row("optimizer", Choice([(n, n) for n in S.OPTIMIZER_NAMES], value=t["optimizer"],
                                            allow_blank=False, compact=True, id="optimizer"), "training.optimizer")
        names = training_labels(self.notation)  # the symbols as the equations print them in the app's notation
        yield self._row(names["learning_rate"], Field(compact=True, value=S.text(t["learning_rate"]), id="learning_rate"),
                        "training.learning_rate")
        yield self._row(names["l2"], Field(compact=True, value=S.text(t["l2"]), id="l2"), "training.l2")
        for key, _ in HYPER:  # named when built: in the notation chosen by then
            yield from self._row_when_shown(f"training.{key}", key in S.OPTIMIZER_KEYS[t["optimizer"]],
                                            partial(self._training_name, key),
                                            partial(Field, compact=True, value=S.text(getattr(opt, key)), id=key))
        mode = "mini_batch" if isinstance(t["update"], dict) else t["update"]
        yield self._row("update", Choice([(m, m) for m in S.UPDATE_MODES], value=mode, allow_blank=False, compact=True,
                                         id="update"), "training.update")
        batch = t["update"]["batch_size"] if isinstance(t["update"], dict) else None
        yield from self._row_when_shown("training.update.batch_size", mode == "mini_batch", "batch size k", partial(
            Field, compact=True, value=S.text(batch), id="batch_size", placeholder=f"1 … {self.spec.N}"))
        yield self._row("shuffle seed", Field(compact=True, value=S.text(t.get("shuffle_seed")), id="shuffle_seed",
                                              placeholder="none: in order"), "training.shuffle_seed")
        yield self._row("epochs (t)", Field(compact=True, value=S.text(t["epochs"]), id="epochs"), "training.epochs")

    def _training_name(self, key: str) -> str:
        return training_labels(self.naming)[key]

    def _layer_rows(self) -> list[Widget]:
        rows: list[Widget] = []
        L = len(self.layer_choices)
        for l, c in enumerate(self.layer_choices, start=1):
            place = f"layers[{l}]"
            kind = self.spec.layer_kinds[l - 1].type if not self.editable else "dense"
            name = f"layer {l}" + (" (output)" if l == L else "") + ("" if self.editable else
                                                                     f": {kind_text(self.spec.layer_kinds[l - 1])}")
            layer_kind = None if self.editable else self.spec.layer_kinds[l - 1]  # fixed layers only: the file's
            if layer_kind is not None and not (layer_kind.has_s and layer_kind.takes_activation):  # pooling: no f;
                note = "no activation" if not layer_kind.has_s else "σ and tanh, fixed"  # a gated layer: its own
                rows.append(Row(name, Label(note, classes="note")))
                continue
            units = Field(compact=True, value=S.text(c.units), id=f"units-{l}", disabled=not self.editable)
            units.display = self.editable  # a fixed layer's size is in its name
            act = Choice([(n, n) for n in S.activation_names(output=l == L)], value=c.activation, allow_blank=False, compact=True,
                         id=f"activation-{l}")
            alpha = Field(compact=True, value=S.text(c.alpha), id=f"alpha-{l}", classes="alpha", disabled=not S.has_alpha(c.activation),
                          placeholder=alpha_hint(c.activation, self.naming))
            more: list[Widget] = [act, alpha]
            if self.editable and l < L:
                more.append(Press("remove", id=f"remove-{l}", compact=True))
            row = self._row(name, units, place, *more)
            for key, widget in (("units", units), ("activation", act), ("alpha", alpha)):
                self.errors[f"{place}.{key}"] = self.errors[place]
                self.fields[f"{place}.{key}"] = widget
            rows.append(row)
        return rows

    def _data(self, d: dict) -> ComposeResult:
        yield Label("data", classes="section", id="data-title")
        options = []
        if "generator" not in self.file_data:
            what = "CSV" if "csv" in self.file_data else count(len(self.file_data.get("inputs", [])), "example")
            options.append((f"the file's data ({what})", S.FILE_DATA))
        options += [(g, g) for g in self.generators()]
        yield self._row("data", Choice(options, value=d["generator"], allow_blank=False, compact=True, id="generator"),
                        "data.generator")
        self.errors["data"] = self.errors["data.generator"]
        self.fields["data"] = self.fields["data.generator"]
        for key, name in GENERATOR_KEYS:
            shown = d.get(key, S.GENERATOR_DEFAULTS[key])
            yield from self._row_when_shown(f"data.{key}", self._data_key_shown(d["generator"], key), name, partial(
                Field, compact=True, value=S.text(shown), id=f"data-{key}"))
        yield self._row("standardize", Choice([("no", False), ("yes: x ↦ (x − mean) / std", True)],
                                                   value=bool(d.get("standardize", False)), allow_blank=False,
                                                   compact=True, id="standardize"), "data.standardize")

    def generators(self) -> list[str]:
        """The generators this network can take, by the generators' own shapes (core/formats/data.py): all of
        them when the widths can change (the output width follows the choice); else those whose
        input and output widths fit the fixed layers."""
        names = list(S.generator_names(self.spec))
        if any(k.over_time for k in self.spec.layer_kinds):
            return []  # a recurrent network reads sequences: its file's own (no generator makes them)
        if self.editable:
            return names
        d_in, d_out = self.spec.widths[0], self.spec.widths[-1]
        one_channel = bool(self.spec.input_shape) and self.spec.input_shape[0] == 1  # the image generators' grey maps
        fits = [g for g in names if (one_channel and d_out in image_classes(g) if g in IMAGE_GENERATORS
                                     else generator_shape(g)[0] == d_in and d_out in generator_shape(g)[1])]
        current = self.start.data.get("generator")
        return fits if current not in names or current in fits else [current, *fits]

    def _data_key_shown(self, generator: str, key: str) -> bool:
        if generator != S.FILE_DATA:
            return True
        return "csv" in self.file_data and key in ("seed", "test_fraction")

    AUTO_FOCUS = None  # the section's first field, set on mount (the scrolled body would take it first)

    def on_mount(self) -> None:
        focus = {"loss": "#loss", "notation": "#notation", "layers": "#layer-rows Input, #layer-rows Select", "init": "#init-seed",
                 "data": "#generator"}.get(self.section, "#optimizer")
        found = self.query(focus)  # a width, or a fixed layer's activation; init: none in fixed layers
        self.set_focus(found.first() if found else self.query_one("#optimizer"))
        title = {"training": "#training-title", "loss": "#row-loss", "notation": "#row-notation", "layers": "#layers-title", "init": "#row-init-seed",
                 "data": "#data-title"}.get(self.section)
        if title and self.query(title):
            self.call_after_refresh(self._show_section, title)

    def _show_section(self, selector: str) -> None:
        """The requested section at the top of the dialog's body (the command palette's entries)."""
        self.query_one("#settings-body", VerticalScroll).scroll_to_widget(self.query_one(selector), animate=False,
                                                                          top=True)

    # -- keeping the dialog consistent ---------------------------------------------------------------
    @on(Select.Changed, "#optimizer")
    async def optimizer_changed(self, event: Select.Changed) -> None:
        await self._show_rows("training.l2", {f"training.{key}": key in S.OPTIMIZER_KEYS.get(str(event.value), ())
                                              for key, _ in HYPER})

    @on(Select.Changed, "#update")
    async def update_changed(self, event: Select.Changed) -> None:
        await self._show_rows("training.update", {"training.update.batch_size": event.value == "mini_batch"})

    @on(Select.Changed, "#generator")
    async def generator_changed(self, event: Select.Changed) -> None:
        name = str(event.value)
        await self._show_rows("data.generator", {f"data.{key}": self._data_key_shown(name, key) for key, _ in GENERATOR_KEYS})
        if not self.editable:
            return
        n_in = generator_shape(name)[0] if name != S.FILE_DATA else self.spec_file_inputs()
        if n_in is not None:  # the data decides d⁽⁰⁾
            self.query_one("#input-units", Input).value = str(n_in)
        if name != S.FILE_DATA:  # and the output width, when the present one does not fit
            outs = generator_shape(name)[1]
            out = self.query(f"#units-{len(self.layer_choices)}")
            if out and S.value(out.first(Input).value) not in outs:
                out.first(Input).value = str(outs[0])

    def spec_file_inputs(self) -> int | None:
        """d⁽⁰⁾ of the file's own data: an inline row's length, or a CSV file's input columns when
        the file names them (else unknown until the file is read)."""
        if "generator" not in self.spec.raw.get("data", {}):  # the network reads the file's data now
            return int(self.spec.widths[0])
        inputs = self.file_data.get("inputs")
        if inputs and isinstance(inputs[0], (list, str)):
            return len(inputs[0]) if isinstance(inputs[0], list) else len(inputs)
        return None

    @on(Select.Changed, "#layer-rows Select")
    def activation_changed(self, event: Select.Changed) -> None:
        l = int(str(event.select.id).split("-")[1])
        alpha = self.query_one(f"#alpha-{l}", Input)
        name = str(event.value)
        if alpha.disabled != (not S.has_alpha(name)):
            alpha.value = ""
        alpha.disabled = not S.has_alpha(name)
        alpha.placeholder = alpha_hint(name, self.naming)

    def _read_layers(self) -> None:
        """The layer rows' values back into ``self.layer_choices`` (before the rows are rebuilt)."""
        out = []
        for l, c in enumerate(self.layer_choices, start=1):
            if not self.query(f"#units-{l}"):
                out.append(c)
                continue
            act = str(self.query_one(f"#activation-{l}", Select).value)
            alpha = S.value(self.query_one(f"#alpha-{l}", Input).value) if S.has_alpha(act) else None
            units = S.value(self.query_one(f"#units-{l}", Input).value) if self.editable else c.units
            out.append(S.LayerChoice(units, act, alpha, c.source))
        self.layer_choices = out

    async def _rebuild_layers(self, focus: str) -> None:
        rows = self.query_one("#layer-rows", Vertical)
        for place in [p for p in self.errors if p.startswith("layers[") and not p.startswith("layers[0]")]:
            del self.errors[place], self.fields[place]
        await rows.remove_children()
        await rows.mount_all(self._layer_rows())
        found = self.query(focus)
        if found:
            self.set_focus(found.first())

    @on(Button.Pressed, "#add-layer")
    async def add_layer(self) -> None:
        """A new hidden layer before the output layer: the width and activation of the last hidden
        layer (or 2 tanh units), its weights all drawn."""
        self._read_layers()
        hidden = self.layer_choices[-2] if len(self.layer_choices) > 1 else None
        width = hidden.units if hidden is not None and isinstance(hidden.units, int) else 2
        act = hidden.activation if hidden is not None else "tanh"
        self.layer_choices.insert(len(self.layer_choices) - 1, S.LayerChoice(width, act, None, None))
        await self._rebuild_layers(f"#units-{len(self.layer_choices) - 1}")

    @on(Button.Pressed, "#layer-rows Button")
    async def remove_layer(self, event: Button.Pressed) -> None:
        self._read_layers()
        l = int(str(event.button.id).split("-")[1])
        del self.layer_choices[l - 1]
        await self._rebuild_layers(f"#units-{min(l, len(self.layer_choices))}")

    # -- applying -------------------------------------------------------------------------------------
    def choices(self) -> S.Choices:
        """What the dialog says, as the core's Choices (typed text read as a file would hold it)."""
        self._read_layers()
        self._check_layers_filled()
        places = {w.id: p for p, w in self.fields.items() if w.id}

        def get(wid: str) -> Any:
            place = places.get(wid, wid)
            typed = self.query_one(f"#{wid}", Input).value
            if not typed.strip() and not place.endswith(OPTIONAL):
                raise SpecError(empty_message(place), place=place)
            return S.value(typed)

        optimizer = str(self.query_one("#optimizer", Select).value)
        training: dict[str, Any] = {"optimizer": optimizer, "learning_rate": get("learning_rate"), "l2": get("l2"),
                                    "epochs": get("epochs")}
        for key in S.OPTIMIZER_KEYS.get(optimizer, ()):
            training[key] = get(key)
        mode = str(self.query_one("#update", Select).value)
        training["update"] = {"batch_size": get("batch_size")} if mode == "mini_batch" else mode
        training["shuffle_seed"] = get("shuffle_seed")
        generator = str(self.query_one("#generator", Select).value)
        data: dict[str, Any] = {"generator": generator}
        for key, _ in GENERATOR_KEYS:
            if self._data_key_shown(generator, key):
                data[key] = get(f"data-{key}")
        data["standardize"] = self.query_one("#standardize", Select).value is True
        start = self.start
        if self.editable:
            init = {"seed": get("init-seed"), "scale": get("init-scale")}
            input_units = get("input-units")
        else:
            init, input_units = start.init, start.input_units
        return S.Choices(training, str(self.query_one("#loss", Select).value), init, input_units,
                         tuple(self.layer_choices), data)

    def _check_layers_filled(self) -> None:
        """An empty width (or input width) is an error, as every required field's."""
        if not self.editable:
            return
        for wid, place in [("input-units", "layers[0]")] + [(f"units-{l}", f"layers[{l}].units")
                                                            for l in range(1, len(self.layer_choices) + 1)]:
            if not self.query_one(f"#{wid}", Input).value.strip():
                raise SpecError(empty_message(place), place=place)

    @on(Select.Changed, "#notation")
    def notation_chosen(self, event: Select.Changed) -> None:
        chosen = self.profiles().get(str(event.value))
        self.naming = None if chosen is None or chosen.name == "lecture13" else chosen

    def watch_naming(self, notation: Any) -> None:
        """The rows named by a symbol take the notation's (those not built yet: when built)."""
        names = training_labels(notation)
        for key, name in names.items():
            row = self.errors.get(f"training.{key}")
            if isinstance(row, Row):
                row.title = name
        loss = self.errors.get("loss")
        if isinstance(loss, Row):
            loss.title = loss_label(notation)
        inputs = self.errors.get("layers[0]")
        if isinstance(inputs, Row):
            inputs.title = inputs_label(notation)
        for l in range(1, len(self.layer_choices) + 1):  # the activation's parameter: α, or the profile's letter
            for alpha in self.query(f"#alpha-{l}").results(Input):
                act = self.query(f"#activation-{l}").results(Select)
                chosen = next((str(a.value) for a in act), None)
                if chosen in ACTIVATIONS:
                    alpha.placeholder = alpha_hint(chosen, notation)

    @on(Input.Changed)
    @on(Select.Changed)
    def field_edited(self, event: Input.Changed | Select.Changed) -> None:
        """An edited field's error goes (it may be fixed now; applying checks everything again)."""
        widget = event.input if isinstance(event, Input.Changed) else event.select
        if self.error_place is not None and self.fields.get(self.error_place) is widget:
            self._clear_errors()

    def error_beside(self, place: str) -> str:
        """The error shown beside the field of ``place`` ("" if none)."""
        found = self.errors[place].query(".field-error")
        return str(found.first(Label).render()) if found else ""

    def _clear_errors(self) -> None:
        self.query(".field-error").remove()
        self.query_one("#settings-error", Label).update("")
        self.error_place = None

    def show_error(self, err: SpecError) -> None:
        """The file's message beside the field it is about (and its place below); focus on the field."""
        self._clear_errors()
        place = S.field_of(err, list(self.errors))
        self.query_one("#settings-error", Label).update(f"Not applied: {err.place or 'the settings'}: {err.message}")
        self.error_place = place
        if place is not None:
            self.errors[place].mount(Label(err.message, classes="field-error", markup=False))
            widget = self.fields[place]
            self.set_focus(widget)
            widget.scroll_visible(animate=False)

    def action_apply(self) -> None:
        if self.done:
            return
        try:
            applied = S.apply(self.spec, self.weights, self.choices(), self.file_data)
        except SpecError as err:
            self.show_error(err)
            return
        self.done = True
        self.chosen = self.profiles()[str(self.query_one("#notation", Select).value)]
        self.dismiss(applied)  # nothing changed: the network screen keeps its stepper

    def action_cancel(self) -> None:
        if not self.done:
            self.done = True
            self.dismiss(None)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Enter moves on, as Tab does: applying restarts at step 0, so it takes ctrl+s or Apply."""
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#apply")
    def apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()


class SettingsCommands(Provider):
    """The command palette's settings entries (ctrl+p): each opens the dialog at its section."""

    def _open(self, section: str) -> None:
        # the network screen's own action (the provider is registered on that screen only)
        self.screen.call_next(self.screen.run_action, f"settings({section!r})")

    async def discover(self) -> Hits:
        for section, title, help in SECTIONS:
            yield DiscoveryHit(title, partial(self._open, section), help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for section, title, help in SECTIONS:
            score = matcher.match(f"{title} {help}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._open, section), help=help)
