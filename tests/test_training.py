"""``minigrad train`` end to end (smoke sizes), resume, bad input, and the training helpers."""

from __future__ import annotations

import builtins
import io
import json
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import data, nn, training
from minigrad.cli import check_fits, main
from minigrad.models import cifar_bn_net, lenet_bn, mlp_bn
from minigrad.progress import ProgressBar

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared/data/mnist"
SMALL = ["--train-size", "192", "--test-size", "100"]


def weights(path: Path) -> dict[str, np.ndarray]:
    return {k: v.array for k, v in minigrad.load(path)["model"].items()}


# ----------------------------------------------------------------------------- end to end


def test_train_cnn_smoke_run_writes_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "cnn", "--epochs", "1", "--limit-batches", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "lenet_bn (derived BatchNorm) on digits-synth: 10000 training images" in printed
    check_line = next(line for line in printed.splitlines() if line.startswith("BatchNorm check"))
    assert "layer 1 BatchNorm2d(32) on (64, 32, 28, 28)" in check_line and "agree" in check_line
    assert "epoch 1/1 100% 5/5" in printed  # stdout is not a terminal here: plain progress lines
    record = json.loads((out / "metrics.json").read_text())
    assert record["seed"] == 0 and record["arguments"]["limit_batches"] == 5 and record["model_name"] == "lenet_bn"
    (epoch,) = record["epochs"]
    assert set(epoch) == {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds", "batches"}
    assert 0 < epoch["train_loss"] < 3 and 0 <= epoch["test_acc"] <= 1 and epoch["seconds"] > 0
    losses, accuracies = np.array(epoch["batches"]).T  # each batch's (loss, accuracy): 5 batches of 64
    assert len(losses) == 5 and np.isclose(losses.mean(), epoch["train_loss"], atol=1e-4)
    assert np.isclose(accuracies.mean(), epoch["train_acc"], atol=1e-4)
    assert record["bn_check"]["max_relative_error"] < 1e-6


def test_train_mlp_on_moons_learns(tmp_path, capsys):
    out = tmp_path / "moons"
    assert main(["train", "mlp", "--dataset", "moons", "--epochs", "3", "--batch-size", "100", "--out", str(out)]) == 0
    record = json.loads((out / "metrics.json").read_text())
    assert record["model_name"] == "mlp_bn(2, 2)" and record["epochs"][-1]["test_acc"] > 0.9


def test_training_is_deterministic_for_a_seed(tmp_path, capsys):
    runs = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        checkpoint = tmp_path / f"{name}.npz"
        args = ["train", "mlp", *SMALL, "--epochs", "1", "--seed", str(seed), "--checkpoint", str(checkpoint)]
        assert main([*args, "--out", str(tmp_path / name)]) == 0
        runs.append(weights(checkpoint))
    assert all(np.array_equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert not np.array_equal(runs[0]["1.weight"], runs[2]["1.weight"])


def test_a_run_resumed_after_epoch_1_ends_with_the_same_weights(tmp_path, monkeypatch, capsys):
    common = ["train", "cnn", *SMALL, "--epochs", "2", "--out", str(tmp_path / "out")]
    assert main([*common, "--checkpoint", str(tmp_path / "straight.npz")]) == 0

    real_save = training.save_checkpoint

    def save_then_crash(*args, **kwargs):  # the run is killed right after epoch 1's checkpoint
        real_save(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "save_checkpoint", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        main([*common, "--checkpoint", str(tmp_path / "resumed.npz")])
    monkeypatch.setattr(training, "save_checkpoint", real_save)
    assert minigrad.load(tmp_path / "resumed.npz")["epoch"] == 1
    assert main([*common, "--checkpoint", str(tmp_path / "resumed.npz"), "--resume"]) == 0
    assert "resuming from" in capsys.readouterr().out

    straight, resumed = weights(tmp_path / "straight.npz"), weights(tmp_path / "resumed.npz")
    assert straight.keys() == resumed.keys()
    for key in straight:
        assert np.array_equal(straight[key], resumed[key]), key  # bitwise
    history = json.loads((tmp_path / "out" / "metrics.json").read_text())["epochs"]
    assert [h["epoch"] for h in history] == [1, 2]


def test_the_old_train_command_line_still_works(tmp_path, capsys):
    # `minigrad train --data DIR` trained LeNet-BN on MNIST: no model name, --data for the folder
    (tmp_path / "empty").mkdir()
    assert main(["train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "MNIST files missing from" in capsys.readouterr().err


# ----------------------------------------------------------------------------- bad input: exit 2, nothing written


def fails(argv: list[str], capsys, expected: str) -> str:
    """Run; expect exit code 2 and a one-line error containing ``expected``."""
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert expected in err, err
    return err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["train", "rnn"], "invalid choice: 'rnn'"),
        (["train", "--dataset", "imagenet"], "invalid choice: 'imagenet'"),
        (["train", "--batch-size", "0"], "argument --batch-size: must be a positive integer, got 0"),
        (["train", "--epochs", "-1"], "argument --epochs: must be a positive integer, got -1"),
        (["train", "--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
        (["train", "--lr", "0"], "--lr must be positive, got 0.0"),
        (["train", "--resume"], "--resume needs --checkpoint PATH"),
        (["train", "--checkpoint", "no/such/folder/run.npz"], "the folder no/such/folder does not exist"),
        (["train", "--checkpoint", "missing.npz", "--resume"], "--resume: no checkpoint at missing.npz"),
        (["train", "cnn", "--dataset", "moons"], "cnn needs images (C, H, W); moons gives samples of shape (2,)"),
        (["train", "--dataset", "spirals", "--data-dir", "."], "spirals is made on the spot and reads no files"),
    ],
)
def test_bad_arguments_are_one_clear_line(argv, expected, tmp_path, capsys):
    fails([*argv, "--out", str(tmp_path / "out")], capsys, expected)
    assert not (tmp_path / "out").exists() and not Path("runs").exists()


def test_bad_paths(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    fails(["train", "--data", str(a_file)], capsys, f"--data-dir {a_file} is a file")
    fails(["train", "--out", str(a_file)], capsys, f"--out {a_file} is a file, not a folder")
    fails(["train", "--out", str(a_file / "sub")], capsys, f"{a_file} is a file, not a folder")
    fails(["train", "--checkpoint", str(tmp_path)], capsys, "is a folder; pass a file path")
    (tmp_path / "mnist").mkdir()
    err = fails(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "mnist")], capsys, "MNIST files missing")
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in err and "--download" in err
    fails(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path)], capsys, "CIFAR10 files missing from")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "mnist"]  # nothing written


def test_a_corrupt_dataset_file_is_named(tmp_path, capsys):
    for name in data.MNIST_FILES:
        (tmp_path / name).write_bytes(b"not gzip at all")
    fails(["train", "--data-dir", str(tmp_path)], capsys, "train-images-idx3-ubyte.gz: not a readable gzip file")


def test_resume_with_a_checkpoint_of_another_model_names_the_keys(tmp_path, capsys):
    checkpoint = tmp_path / "mlp.npz"
    assert main(["train", "mlp", *SMALL, "--limit-batches", "1", "--checkpoint", str(checkpoint),
                 "--out", str(tmp_path / "o")]) == 0  # fmt: skip
    resume = ["--checkpoint", str(checkpoint), "--resume"]
    err = fails(["train", "cnn", *SMALL, *resume], capsys, "holds a mlp_bn(784, 10)")
    assert "not this lenet_bn" in err and "0.weight" in err and "and " in err
    err = fails(["train", "mlp", *SMALL, "--limit-batches", "1", "--batch-size", "32", "--checkpoint",
                 str(checkpoint), "--resume"], capsys, "was made with --batch-size 64 (this run: 32)")  # fmt: skip
    fails(["train", "mlp", *SMALL, "--limit-batches", "1", "--checkpoint", str(checkpoint), "--resume"], capsys,
          "has finished all 1 epochs already")  # fmt: skip
    not_ours = tmp_path / "weights.npz"
    minigrad.save({"w": minigrad.ones(2)}, not_ours)
    fails(["train", "--checkpoint", str(not_ours), "--resume"], capsys, "not a training checkpoint")


def test_an_image_shape_that_does_not_fit_names_the_layer_and_both_shapes():
    with pytest.raises(training.TrainingError) as error:
        check_fits(lenet_bn(), "lenet_bn", (1, 32, 32), "my-images")
    message = str(error.value)
    assert "my-images samples of shape (1, 32, 32) do not fit lenet_bn: layer 9 Linear(" in message
    assert "got input of shape (1, 4096)" in message and "3136" in message
    assert message.count("got input") == 1  # said once
    with pytest.raises(training.TrainingError, match=r"layer 0 Conv2d\(in_channels=1\) got input with 3 channel"):
        check_fits(lenet_bn(), "lenet_bn", (3, 28, 28), "colour")


# ----------------------------------------------------------------------------- the pieces


def test_models_have_the_documented_shapes():
    assert lenet_bn()(minigrad.randn(2, 1, 28, 28)).shape == (2, 10)
    assert mlp_bn(784, 10)(minigrad.randn(2, 1, 28, 28)).shape == (2, 10)
    net = cifar_bn_net()
    assert net(minigrad.randn(2, 3, 32, 32)).shape == (2, 10)
    convs = [m.out_channels for m in net.children() if isinstance(m, nn.Conv2d)]
    linears = [(m.in_features, m.out_features) for m in net.children() if isinstance(m, nn.Linear)]
    assert convs == [64, 128, 256] and linears == [(4096, 1024), (1024, 10)]


def test_the_batch_norm_check_changes_nothing_and_catches_a_wrong_formula(monkeypatch):
    minigrad.manual_seed(0)
    model = lenet_bn()
    model.train()
    x = minigrad.randn(8, 1, 28, 28)
    before = {k: v.array.copy() for k, v in model.state_dict().items()}
    rng_before = training.default_generator().bit_generator.state
    result = training.check_first_batch_norm(model, x)
    assert result is not None and result.max_relative_error < 1e-12 and result.input_shape == (8, 32, 28, 28)
    assert all(np.array_equal(before[k], v.array) for k, v in model.state_dict().items())  # running stats too
    assert training.default_generator().bit_generator.state == rng_before
    real = minigrad.nn.functional.batch_norm

    def wrong_when_fused(*args, fused=False, **kwargs):  # a closed form that is off by 1%
        y = real(*args, fused=fused, **kwargs)
        return y * 1.01 if fused else y

    monkeypatch.setattr(training.F, "batch_norm", wrong_when_fused)
    broken = training.check_first_batch_norm(model, x)
    assert broken is not None and broken.max_relative_error > 1e-3 and "DISAGREE" in broken.line()
    assert training.check_first_batch_norm(nn.Sequential(nn.Linear(2, 2)), minigrad.randn(3, 2)) is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_rewrites_one_line_on_a_terminal_and_prints_lines_elsewhere(monkeypatch):
    monkeypatch.setattr(ProgressBar, "REDRAW_SECONDS", 0.0)  # draw on every update
    screen = Terminal()
    bar = ProgressBar(3, "epoch 1/1", stream=screen)
    for _ in range(3):
        bar.update(10, loss=0.5, acc="50.00%")
    bar.close()
    text = screen.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.count("\r") == 4
    assert "100% 3/3" in text.split("\r")[-1] and "acc 50.00%" in text and "loss 0.5000" in text
    log = io.StringIO()
    bar = ProgressBar(30, "epoch 1/1", stream=log)
    for _ in range(30):
        bar.update(10)
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 10  # every 3rd step, the last one once
    assert lines[0].startswith("epoch 1/1  10% 3/30") and lines[-1].startswith("epoch 1/1 100% 30/30")


def test_without_matplotlib_one_line_says_how_to_get_the_plot(tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert main(["train", "mlp", *SMALL, "--limit-batches", "1", "--out", str(tmp_path)]) == 0
    assert 'curves.png needs matplotlib: pip install -e ".[plot]"' in capsys.readouterr().out
    assert not (tmp_path / "curves.png").exists() and (tmp_path / "metrics.json").exists()


def test_with_matplotlib_the_curves_are_drawn(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    history = [{"epoch": e, "train_loss": 1 / e, "train_acc": 0.5 + e / 10, "test_loss": 1.1 / e,
                "test_acc": 0.5 + e / 11, "seconds": 1.0} for e in (1, 2, 3)]  # fmt: skip
    path = training.plot_curves(tmp_path, history)
    assert path == tmp_path / "curves.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history[0]["batches"] = [[2.0 - i / 10, i / 10] for i in range(10)]  # one epoch with its batches
    assert training.plot_curves(tmp_path, history[:1]) == path


@pytest.mark.skipif(not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists(), reason=f"no MNIST files in {MNIST_DIR}")
def test_real_mnist_through_the_loader_and_a_few_steps(tmp_path, capsys):
    test_set = data.MNIST(MNIST_DIR, train=False, transform=data.transforms.Compose(
        [data.transforms.ToTensor(), data.transforms.Normalize((0.1307,), (0.3081,))]))  # fmt: skip
    x, y = next(iter(data.DataLoader(test_set, batch_size=1000)))
    assert x.shape == (1000, 1, 28, 28) and abs(float(x.array.mean())) < 0.1 and y.array[:5].tolist() == [7, 2, 1, 0, 4]
    out = tmp_path / "mnist"
    assert main(["train", "mlp", "--data-dir", str(MNIST_DIR), "--limit-batches", "60", "--out", str(out)]) == 0
    assert json.loads((out / "metrics.json").read_text())["epochs"][0]["test_acc"] > 0.8
