"""The Training lab pages in AppTest: the optimizer race and initialization."""

from tests.pages.test_pages import open_page


def after_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("After"))


def test_the_race_shows_each_optimizers_loss_and_adams_numbers():
    at = open_page("pages/optimizers.py")
    assert "**sgd**" in after_line(at) and "**adam**" in after_line(at)
    assert len(at.latex) == 4  # Adam's update, equation by equation
    assert "t = 200" in adam_line(at)
    next(s for s in at.slider if s.label == "Step").set_value(40).run()
    assert after_line(at).startswith("After 40 steps")
    assert "t = 40" in adam_line(at)  # with the slider's own run, not a later one


def adam_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Step t ="))


def test_adams_numbers_follow_play_and_match_the_race():
    from playground.training_lab import optim2d

    at = open_page("pages/optimizers.py")
    at.button(key="opt.play").click().run()
    assert at.session_state["opt.frame"] == 5 and "t = 5," in adam_line(at)
    # θ shown for step 5 is where torch's Adam took the race after 5 steps.
    race = optim2d.race(optim2d.surface("quadratic", condition=10), {"adam": {"lr": 0.03}}, steps=5)["adam"]
    theta = at.latex[3].value.split("=")[-1]
    assert f"{race.points[5][0]:.4g}" in theta and f"{race.points[5][1]:.4g}" in theta


def test_the_surface_box_names_the_sliders_condition_number():
    at = open_page("pages/optimizers.py")
    at.slider(key="opt.condition").set_value(50).run()
    box = at.selectbox(key="opt.surface")
    assert box.format_func(box.value) == "Ill-conditioned bowl (κ = 50)"
    assert any("50 times steeper" in c.value for c in at.caption)


def test_a_diverging_run_is_flagged_on_the_page_and_in_the_figures():
    at = open_page("pages/optimizers.py")
    at.select_slider(key="opt.lr").set_value(1.0).run()
    # SGD on 0.5·(x² + 10·y²) with lr 1 multiplies y by 1 − 10 = −9 each step: |y| = 9^k passes 10^6 at k = 7.
    line = next(r for r in after_line(at).splitlines() if "**sgd**" in r)
    assert "diverged at step 7" in line
    assert any("**sgd** at step 7" in w.value for w in at.warning)
    import json

    race, loss = (json.loads(c.proto.spec) for c in at.get("plotly_chart")[:2])
    names = [t.get("name") for t in race["data"]] + [t.get("name") for t in loss["data"]]
    assert names.count("sgd: diverged at step 7") == 2
    assert "adam" in names  # Adam's normalised steps stay on the surface
    # Adam's tiny numbers at step 200 are typeset as powers of ten, never as LaTeX's "e − 05".
    assert any(r"\times 10^{-" in eq.value for eq in at.latex) and not any("e-0" in eq.value for eq in at.latex)


def test_momentum_beats_plain_descent_in_a_narrow_valley():
    at = open_page("pages/optimizers.py")
    at.slider(key="opt.condition").set_value(50).run()
    at.select_slider(key="opt.lr").set_value(0.01).run()
    losses = {line.split("**")[1]: float(line.rsplit(" ", 1)[1]) for line in after_line(at).splitlines()[1:]}
    assert losses["momentum"] < losses["sgd"] / 10


def test_the_shared_transport_resets_and_steps_the_race():
    at = open_page("pages/optimizers.py")
    at.button(key="opt.reset").click().run()
    assert after_line(at).startswith("After 0 steps") and "t = 1 (the race is at its start" in adam_line(at)
    at.button(key="opt.step").click().run()
    at.button(key="opt.step").click().run()
    assert after_line(at).startswith("After 2 steps") and "t = 2," in adam_line(at)
    assert not at.session_state["opt.playing"]


def test_play_advances_the_race_and_the_network_slice_loads():
    at = open_page("pages/optimizers.py")
    at.button(key="opt.play").click().run()
    assert at.session_state["opt.frame"] == 5  # from the end back to the start, then one frame
    at.selectbox(key="opt.surface").set_value("network").run()
    assert not at.exception


def test_he_keeps_relu_activations_and_small_weights_make_them_vanish():
    at = open_page("pages/initialization.py")
    spread = {m.label: float(m.value) for m in at.metric if m.label.startswith(("Activation", "…"))}
    first, last = spread["Activation spread, first hidden layer"], spread["… last hidden layer (10)"]
    assert 0.5 <= last / first <= 2
    at.radio(key="init.scheme").set_value("small_normal").run()
    spread = {m.label: float(m.value) for m in at.metric if m.label.startswith(("Activation", "…"))}
    assert spread["… last hidden layer (10)"] < spread["Activation spread, first hidden layer"] / 10


def test_training_a_few_epochs_shows_the_layers_epoch_by_epoch():
    import time

    at = open_page("pages/initialization.py")
    at.button(key="init.train").click().run()
    deadline = time.time() + 90
    while time.time() < deadline and not at.session_state["init.job"].finished:
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception and at.session_state["init.job"].status == "done"
    shown = {m.label: m.value for m in at.metric}
    assert shown["Epoch shown"] == "8" and int(shown["Validation accuracy then"].rstrip("%")) >= 85  # ReLU with He
    late_norm = shown["Gradient norm, first layer then"]
    slider = at.slider(key=f"init.epoch.{at.session_state['init.job'].id}")
    slider.set_value(0).run()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Epoch shown"] == "0" and int(shown["Validation accuracy then"].rstrip("%")) <= 25  # untrained
    assert shown["Gradient norm, first layer then"] != late_norm
    assert len(at.get("plotly_chart")) == 7  # three at initialization, four as training proceeds


def test_a_sweep_runs_through_the_pool_and_plots_its_result():
    import time

    at = open_page("pages/compare_runs.py")
    assert any("No runs yet" in i.value for i in at.info)
    at.selectbox(key="cmp.dataset").set_value("xor").run()
    at.button(key="cmp.start").click().run()
    deadline = time.time() + 90
    while time.time() < deadline:
        sweep = at.session_state["cmp.sweep"]
        runs = at.session_state["runs"]
        if not sweep["pending"] and all(not runs[name].active for _, name in sweep["runs"]):
            break
        time.sleep(0.5)
        at.run()  # the page starts the next runs as slots free up
    at.run()
    assert not at.exception
    names = [name for _, name in at.session_state["cmp.sweep"]["runs"]]
    assert names == ["sweep lr=0.0003", "sweep lr=0.001", "sweep lr=0.003", "sweep lr=0.01"]
    finals = [at.session_state["runs"][n].refresh().final["val_acc"] for n in names]
    assert finals[-1] > finals[0]  # on xor, 5 epochs: a larger step learns more than a tiny one
    assert len(at.get("plotly_chart")) >= 2  # the runs overlaid and the sweep's outcome


def test_a_falling_activation_spread_points_down_and_says_what_fell():
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    def shown(at):
        first = float(next(m for m in at.metric if m.label.startswith("Activation spread")).value)
        last = next(m for m in at.metric if m.label.startswith("… last hidden layer"))
        return float(last.value) / first, last.proto

    at = open_page("pages/initialization.py")
    at.radio(key="init.activation").set_value("sigmoid").run()
    at.radio(key="init.scheme").set_value("small_normal").run()
    ratio, metric = shown(at)
    assert 0.3 < ratio < 0.6  # the spread fell to about half: the arrow must point down, not up
    assert metric.direction == MetricProto.MetricDirection.DOWN
    assert metric.delta.startswith("fell to ×") and abs(float(metric.delta.split("×")[1]) / ratio - 1) < 0.02
    assert metric.delta_description == "than the first layer's spread"
    at.radio(key="init.activation").set_value("relu").run()
    ratio, metric = shown(at)
    assert ratio < 1e-6 and "e-" in metric.delta  # a vanishing signal: ×3.7e-12, not ×0.0000000000037
    assert abs(float(metric.delta.split("×")[1]) / ratio - 1) < 0.05


def test_tiny_numbers_show_in_scientific_notation():
    import json

    at = open_page("pages/initialization.py")
    at.radio(key="init.scheme").set_value("small_normal").run()
    table = at.dataframe[0]
    assert table.value["grad_norm"].max() < 1e-9  # so tiny that a fixed-point column would show only zeros
    columns = json.loads(table.proto.columns)
    small = ("activation_mean", "activation_std", "grad_norm")
    assert all(columns[c]["type_config"]["format"] == "%.2e" for c in small)
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert [f["layout"]["yaxis"]["exponentformat"] for f in figures] == ["e", "e", "power"]
