"""The Latent space pages in AppTest: train an autoencoder in the studio and in place, then decode points."""

import numpy as np

from tests.pages.test_pages import open_page, texts

TIMEOUT = 120


def _wait(at, timeout: float = TIMEOUT):
    job = at.session_state["ae.job"]
    assert job.wait(timeout) == "done", job.error
    at.run()  # the page's first full run after the job finished
    assert not at.exception, [e.value for e in at.exception]
    return job


def _decoded_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Decoded from"))


def test_the_studio_trains_a_small_autoencoder_and_shows_its_reconstructions():
    at = open_page("pages/autoencoder.py")
    assert "Press **Train**" in " ".join(i.value for i in at.info)
    # Encoder 64·128 + 128 + 128·2 + 2; decoder 2·128 + 128 + 128·64 + 64.
    assert "8,578 parameters" in texts(at) and "8,640 parameters" in texts(at)
    at.number_input(key="ae.epochs").set_value(3).run()
    at.button(key="ae.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = _wait(at)
    history = job.history
    assert list(history["epoch"]) == [0, 1, 2, 3]
    assert history["val_mse"].iloc[-1] < history["val_mse"].iloc[0] / 2  # 3 epochs already halve the error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Epoch"] == "3 of 3"
    assert float(metrics["Test reconstruction error (MSE per pixel)"]) == round(history["val_mse"].iloc[-1], 4)
    assert len(job.series("reconstructions")) == 4
    assert any("Latent map" in str(getattr(link, "label", "")) for link in at.get("page_link"))


def test_the_studio_refuses_a_conv_network_on_sides_it_cannot_halve_and_a_linear_vae():
    at = open_page("pages/autoencoder.py")
    at.radio(key="ae.kind").set_value("variational").run()
    at.radio(key="ae.architecture").set_value("linear").run()
    assert any("needs the sigmoid" in e.value for e in at.error)
    assert at.button(key="ae.train").disabled
    at.radio(key="ae.architecture").set_value("conv").run()
    assert not at.error
    assert not at.button(key="ae.train").disabled


def test_the_latent_page_trains_a_default_in_place_and_decodes_a_chosen_point():
    at = open_page("pages/latent_space.py")
    assert any("No autoencoder in this session yet" in i.value for i in at.info)
    at.button(key="lat.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    _wait(at)
    assert at.get("plotly_chart")  # the map, the decoded point, the walk, the grid, PCA
    before = _decoded_caption(at)
    shown_before = at.session_state["lat.x"]
    slider = at.slider(key="lat.x")
    slider.set_value(float(slider.max)).run()
    assert not at.exception
    after = _decoded_caption(at)
    assert after != before and shown_before != at.session_state["lat.x"]
    assert f"Decoded from ({float(slider.max):.2f}" in after
    # The PCA table: a nonlinear 2-number code rebuilds the test digits better than two components.
    table = at.dataframe[0].value
    errors = dict(zip(table["method"], table["test reconstruction error (MSE per pixel)"]))
    assert errors["plain MLP autoencoder, code 2, on digits"] < errors["PCA, 2 components"]
    # Another walk end changes the caption under the walk.
    at.number_input(key="lat.end").set_value(5).run()
    assert not at.exception
    assert "(test image 5)" in texts(at)
    assert np.isfinite(at.session_state["lat.y"])


def test_the_studio_says_why_a_typed_number_out_of_range_is_not_taken():
    at = open_page("pages/autoencoder.py")
    at.number_input(key="ae.epochs").set_value(500).run()
    assert not at.exception
    assert at.number_input(key="ae.epochs").value == 40
    assert any("Epochs: 500 is not allowed (it must be from 1 to 200); kept 40." in w.value for w in at.warning)
    at.number_input(key="ae.latent").set_value(65).run()
    assert at.number_input(key="ae.latent").value == 2
    assert any("65 is not allowed (it must be from 1 to 64)" in w.value for w in at.warning)


def test_the_latent_page_controls_with_a_trained_model_take_every_link_value_and_choice():
    """The generated page tests (tests/pages/test_pages_every_control.py) see this page before any model
    exists; here the same checks run with a trained one, so its controls are drawn."""
    from streamlit.testing.v1 import AppTest

    from tests.pages import test_pages_every_control as every

    at = open_page("pages/latent_space.py")
    at.button(key="lat.train").click().run()
    job = _wait(at)
    fields = every.page_fields(at)
    assert set(fields) == {"x", "y", "image", "start", "end", "steps", "grid", "noise"}
    assert not every.explore(at, set(), [])

    def open_with(params):
        page = AppTest.from_file(every.APP, default_timeout=TIMEOUT)
        for name, value in params.items():
            page.query_params[name] = value
        page.session_state["ae.job"] = job
        page.switch_page("pages/latent_space.py")
        return page.run()

    for scenario in every.SCENARIOS:
        params = {name: values[scenario] for name, field in fields.items()
                  if scenario in (values := every.link_values(field))}
        if not params:
            continue
        page = open_with(params)
        assert not every.raised(page), (scenario, params, every.raised(page))
        assert page.get("plotly_chart"), scenario  # the map and the rest are drawn
        for name, field in fields.items():
            value = page.session_state[f"lat.{name}"]
            assert value == field.default or every._allowed(field, value), (scenario, name, value)
        refused = [n for n in params if scenario in every.REFUSED and every._refuses(fields[n], params[n])]
        warned = " ".join(w.value for w in page.warning)
        assert all(f"'{n}'" in warned for n in refused), (scenario, refused, warned)

    # Numbers past the test set's end are refused with the range, by the box and by a link.
    page = open_with({"image": "100000"})
    assert page.number_input(key="lat.image").value == 0
    assert any("100000 is not from 0 to 358" in w.value for w in page.warning), [w.value for w in page.warning]
    page.number_input(key="lat.image").set_value(100000).run()
    assert not every.raised(page)
    assert any("100000 is not allowed (it must be from 0 to 358)" in w.value for w in page.warning)
