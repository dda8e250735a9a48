"""Train the example models that ship in playground/examples/, reproducibly (fixed seeds, CPU).

Run from the project root:  python scripts/make_examples.py
Each run gives the same weights, so the files change only when the code that trains them does.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground import data, models  # noqa: E402
from playground.jobs import train
from playground.jobs.runs import EXAMPLES_DIR, RunRecord  # noqa: E402

# name, dataset, preset, config
EXAMPLES = [
    ("digits LeNet-5", "digits_lenet5", "digits", "lenet5", train.Config(epochs=15, lr=0.01, seed=0, device="cpu")),
    ("shapes CNN", "shapes_cnn", "shapes", "tiny_vgg", train.Config(epochs=8, lr=0.005, seed=0, device="cpu")),
    ("spiral MLP", "spiral_mlp", "spiral", "mlp",
     train.Config(epochs=300, lr=0.03, batch_size=16, seed=0, device="cpu")),
]


def main() -> None:
    EXAMPLES_DIR.mkdir(exist_ok=True)
    jobs = []
    for name, stem, dataset_name, preset_name, config in EXAMPLES:
        dataset = data.load(dataset_name)
        spec = models.preset(preset_name, dataset)
        if dataset_name == "spiral":  # wider hidden layers: two spirals need more than 8 units
            spec["layers"][0]["out_features"] = spec["layers"][2]["out_features"] = 16
        jobs.append((stem, dataset, train.start(spec, dataset, config, name=name)))
    for stem, dataset, job in jobs:
        if job.wait() != "done":
            raise SystemExit(f"{job.name} did not finish: {job.status} {job.error}")
        record = RunRecord.from_job(job, dataset.ref())
        path = EXAMPLES_DIR / f"{stem}.safetensors"
        path.write_bytes(record.to_checkpoint())
        print(f"{path.name}: test accuracy {record.final['val_acc']:.3f}, {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
