"""The graph app's node cursor with its explanation panel, and its quiz mode (pilot tests)."""

from bptui.core.teaching.explain import Cell, explain_graph
from bptui.core.formulas.notation import num
from bptui.tui.graph_app import node_explanation
from bptui.tui.graph_canvas import GraphCanvas

from .tui_helpers import graph_app_for


def panel(app) -> str:
    return app.query_one("#explain").text


def on_screen(app) -> str:
    """Everything the student can read: the header lines, the whole graph, the side panel."""
    parts = [str(app.query_one(f"#{w}").render()) for w in ("status", "equation", "message")]
    parts += app.query_one(GraphCanvas).text_lines()
    if app.query_one("#explain").display:
        parts.append(panel(app))
    return "\n".join(parts)


async def test_tab_arrows_and_esc_move_a_node_cursor_and_the_panel_explains_the_node():
    app = graph_app_for("lecture13")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):  # a, b, c
            app.main.action_next()
        await pilot.press("tab")  # the cursor starts on the node the last step computed
        assert app.main.node == "c" and app.query_one("#explain").display
        assert panel(app) == explain_graph(app.stepper, Cell("value", node="c")).text()
        assert "▶ [c]" in "\n".join(app.query_one(GraphCanvas).text_lines())  # marked without colour
        await pilot.press("left", "left")  # computing order x, z, a, b, c, …: arrows move the cursor
        assert app.main.node == "a" and app.stepper.position == 3
        assert panel(app) == explain_graph(app.stepper, Cell("value", node="a")).text()
        await pilot.press("down", "up", "up", "up", "up")  # stops at the first node
        assert app.main.node == "x"
        await pilot.press("escape")
        assert app.main.node is None and not app.query_one("#explain").display
        assert "[x]" not in "\n".join(app.query_one(GraphCanvas).text_lines())
        await pilot.press("right")  # no cursor: the arrow steps again
        assert app.stepper.position == 4


async def test_the_panel_adds_the_adjoint_once_computed_and_a_click_selects_a_box():
    app = graph_app_for("lecture13")
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_to_reverse_end()
        canvas = app.query_one(GraphCanvas)
        grid_before = canvas.grid
        b = canvas.grid.boxes["e"]
        await pilot.click(GraphCanvas, offset=(b.x + 3 - int(canvas.scroll_x) + 1, b.y + 1 - int(canvas.scroll_y)))
        assert app.main.node == "e"
        expected = "\n\n".join(explain_graph(app.stepper, Cell(q, node="e")).text() for q in ("value", "adjoint"))
        assert panel(app) == expected == node_explanation(app.stepper, "e", 4)
        assert canvas.grid is grid_before  # a selection only restyles: the layout stays


async def test_quiz_hides_asks_checks_scores_skips_and_ends_with_the_summary():
    app = graph_app_for("lecture13")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            app.main.action_next()
        await pilot.press("tab", "z", "n")  # d = e^a = 403.4, with the cursor on c
        q = app.main.question
        assert q.symbol == "d" and q.equation in str(app.query_one("#equation").render())
        assert app.focused is app.query_one("#answer") and "quiz 0 of 0 right" in on_screen(app)
        assert num(q.value) not in on_screen(app) and "= ?" in app.query_one(GraphCanvas).state.texts["d"]
        await pilot.press(*f"{q.value * (1 + 5e-4):.6g}", "enter")  # within the default tolerance
        assert app.main.score.right == 1 and app.main.question is None and "Right" in str(app.query_one("#message").render())
        assert panel(app) == explain_graph(app.stepper, Cell("value", node="d")).text()
        await pilot.press("n")  # e = a/b
        await pilot.press(*f"{app.main.question.value * 1.01:.6g}", "enter")  # a hint, one more try
        assert app.main.score.asked == 1 and "Hint: e = a/b = 6/0.6931 = ?" in str(app.query_one("#message").render())
        await pilot.press(*f"{app.main.question.value * 1.01:.6g}", "enter")
        assert (app.main.score.right, app.main.score.asked) == (1, 2) and "Not quite" in str(app.query_one("#message").render())
        await pilot.press("n", *"abc", "enter")  # not a number: asked again, nothing scored
        assert app.main.question is not None and app.main.score.asked == 2
        await pilot.press("escape")  # skip: shown, counted as asked and skipped
        assert app.main.question is None and app.main.score.asked == 3 and app.main.score.skipped == 1
        assert "Skipped" in str(app.query_one("#message").render())
        await pilot.press("z")
        message = str(app.query_one("#message").render())
        assert app.main.score is None and "1 of 3 right" in message and "1 skipped" in message and "value 1/3" in message
        assert app.stepper.position == 6 and not app.query_one("#answer").display


async def test_the_last_adjoint_asked_is_hidden_in_the_status_line_too():
    app = graph_app_for("lecture13")
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_to_reverse_end()
        app.main.action_prev()
        app.main.action_toggle_quiz()
        app.main.action_next()  # g_z, the last step: the status line's gradient must not give it away
        await pilot.pause()
        q = app.main.question
        assert q.symbol == "g_z" and "∂y/∂z = ?" in on_screen(app)
        assert num(q.value) not in on_screen(app)
        await pilot.press("escape")
        assert f"∂y/∂z = {num(q.value)}" in on_screen(app)


def test_graph_explain_panel_mid_reverse(snap_compare):
    assert snap_compare(graph_app_for("lecture13"), press=["f", "n", "n", "n", "n", "n", "tab", "right"],
                        terminal_size=(120, 40))
