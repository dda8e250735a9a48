"""A dataset's folder on the server is the server's own, whatever a checkpoint or a link names."""

from playground.ui import session


def test_a_data_dir_named_in_params_is_not_followed(monkeypatch):
    asked = []
    monkeypatch.setattr(session, "_dataset", lambda name, seed, params: asked.append((name, seed, params)))
    session.dataset("mnist", seed=3, params={"n_train": 100, "data_dir": "/etc/anywhere"})
    assert asked == [("mnist", 3, '{"n_train": 100}')]
