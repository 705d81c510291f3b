"""Checkpoints: minigrad.save / minigrad.load.

Round trips of model and optimizer state, atomic writes (a crash or a SIGKILL mid-save keeps
the previous checkpoint), clear errors for truncated, pickled and foreign files, and a
LeNet-BN state_dict that moves to PyTorch and gives the same outputs there.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import Tensor, nn, optim
from minigrad.cli import lenet_bn
from minigrad.serialization import FORMAT, STRUCTURE, CheckpointError

REPO = Path(__file__).resolve().parents[1]


def trained_model_and_optimizer():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    optimizer = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95), amsgrad=True)
    x, target = minigrad.randn(8, 4), minigrad.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(model(x), target).backward()
        optimizer.step()
    return model, optimizer


def test_round_trip_of_model_and_optimizer_state(tmp_path):
    model, optimizer = trained_model_and_optimizer()
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": 3,
        "note": "after 3 steps",
        "history": [0.5, 0.25, None, True],
        "shape": (2, 3),
        "counter": np.int64(7),
    }
    path = tmp_path / "checkpoint.npz"
    minigrad.save(checkpoint, path)
    loaded = minigrad.load(path)

    assert list(loaded["model"]) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert isinstance(loaded["model"][key], Tensor)
        assert loaded["model"][key].dtype == value.dtype, key  # float32 weights, int64 num_batches_tracked
        np.testing.assert_array_equal(loaded["model"][key].array, value.array, err_msg=key)
    assert loaded["model"]["1.num_batches_tracked"].dtype == np.int64
    assert loaded["model"]["1.num_batches_tracked"].shape == ()
    assert loaded["epoch"] == 3 and loaded["note"] == "after 3 steps"
    assert loaded["history"] == [0.5, 0.25, None, True]
    assert loaded["shape"] == (2, 3) and isinstance(loaded["shape"], tuple)
    assert loaded["counter"] == 7

    state = loaded["optimizer"]
    assert list(state["state"]) == [0, 1, 2, 3, 4, 5]  # int keys stay ints
    assert state["param_groups"][0]["betas"] == (0.8, 0.95)  # tuples stay tuples
    assert state["param_groups"][0]["amsgrad"] is True
    assert state["state"][0]["step"] == 3

    # Loading both into fresh objects continues exactly like the original.
    model2, optimizer2 = trained_model_and_optimizer()  # the same architecture, then overwritten
    model2.load_state_dict(loaded["model"])
    optimizer2.load_state_dict(loaded["optimizer"])
    x, target = minigrad.randn(8, 4), minigrad.tensor([2, 1, 0, 0, 1, 2, 2, 1])
    for m, o in ((model, optimizer), (model2, optimizer2)):
        o.zero_grad()
        F.cross_entropy(m(x), target).backward()
        o.step()
    for (key, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        np.testing.assert_array_equal(a.array, b.array, err_msg=key)


def test_save_refuses_what_it_cannot_store_without_pickle(tmp_path):
    with pytest.raises(TypeError, match="object arrays cannot be saved without pickle"):
        minigrad.save({"x": np.array([{}, 1], dtype=object)}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        minigrad.save({(1, 2): 3}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match="cannot save a set"):
        minigrad.save({"x": {1, 2}}, tmp_path / "a.npz")
    assert list(tmp_path.iterdir()) == []  # nothing written, no temp files


def test_save_writes_a_temp_file_then_renames(tmp_path, monkeypatch):
    renames = []
    original_replace = os.replace

    def spy(source, target):
        renames.append((Path(source), Path(target), Path(source).exists()))
        original_replace(source, target)

    monkeypatch.setattr(os, "replace", spy)
    path = tmp_path / "model.npz"
    minigrad.save({"w": minigrad.ones(3)}, path)
    [(source, target, existed)] = renames
    assert target == path and source != path and existed
    assert source.parent == path.parent  # same file system: the rename is atomic
    assert not source.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_crash_mid_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    minigrad.save({"w": minigrad.ones(1000), "step": 1}, path)
    before = path.read_bytes()
    original_savez = np.savez

    def crash_mid_save(file, **arrays):
        original_savez(file, **{k: v for k, v in list(arrays.items())[:1]})  # some bytes written ...
        raise OSError("disk full")  # ... then the crash

    monkeypatch.setattr(np, "savez", crash_mid_save)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"w": minigrad.zeros(1000), "step": 2}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # the temp file is gone
    monkeypatch.undo()
    loaded = minigrad.load(path)
    assert loaded["step"] == 1
    np.testing.assert_array_equal(loaded["w"].array, np.ones(1000, dtype=np.float32))


SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import minigrad

    path = sys.argv[1]
    big = np.empty((4, 1_000_000), dtype=np.float64)  # 32 MB per save
    for step in range(1_000_000):
        big.fill(step)
        minigrad.save({"step": step, "weights": big, "bias": np.full(10, step)}, path)
        print(step, flush=True)
    """
)


def test_sigkill_mid_save_leaves_a_loadable_checkpoint(tmp_path):
    """A process that saves a big checkpoint over and over is SIGKILLed at a random moment;
    the file then holds one complete earlier checkpoint, never a mix or a torn write."""
    path = tmp_path / "big.npz"
    killed_mid_write = 0
    rng = np.random.default_rng(0)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for attempt in range(4):
        process = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
        )
        try:
            completed = [int(process.stdout.readline()) for _ in range(2)]  # two saves are done
            time.sleep(rng.uniform(0.0, 0.15))
            temp_files = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
            process.stdout.close()
        assert process.returncode == -signal.SIGKILL
        leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        killed_mid_write += bool(temp_files or leftovers)
        loaded = minigrad.load(path)
        step = loaded["step"]
        assert step >= completed[-1]
        np.testing.assert_array_equal(loaded["weights"].array, np.full((4, 1_000_000), float(step)))
        np.testing.assert_array_equal(loaded["bias"].array, np.full(10, step))
        for leftover in leftovers:  # SIGKILL gives no chance to clean up: a stale temp file stays
            leftover.unlink()
        if killed_mid_write and attempt >= 1:
            break
    assert killed_mid_write, "no kill landed while a save was in progress"


def test_truncated_file_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "model.npz"
    minigrad.save({"w": minigrad.randn(100, 100)}, path)
    data = path.read_bytes()
    for size in (len(data) // 2, len(data) - 10, 30, 0):
        path.write_bytes(data[:size])
        with pytest.raises(CheckpointError, match=r"model\.npz: .*(truncated|corrupt)"):
            minigrad.load(path)
    path.write_bytes(b"not a zip file at all" * 10)
    with pytest.raises(CheckpointError, match=r"model\.npz"):
        minigrad.load(path)
    flipped = bytearray(data)
    flipped[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8  # a corrupt byte range inside the array
    path.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match=r"model\.npz: truncated or corrupt checkpoint .*CRC"):
        minigrad.load(path)


@pytest.mark.parametrize(
    "structure",
    [
        {"format": FORMAT, "root": {"dict": [["w", {"array": "array_9"}]]}},  # names an array that is not there
        {"format": FORMAT, "root": {"bogus": 1}},
        {"format": FORMAT},
        {"format": FORMAT, "root": [1]},
    ],
)
def test_corrupt_structure_is_a_clear_error(tmp_path, structure):
    path = tmp_path / "odd.npz"
    np.savez(path, **{STRUCTURE: np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)})
    with pytest.raises(CheckpointError, match=r"odd\.npz: truncated or corrupt checkpoint"):
        minigrad.load(path)
    np.savez(path, **{STRUCTURE: np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(CheckpointError, match=r"odd\.npz: corrupt checkpoint"):
        minigrad.load(path)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        minigrad.load(tmp_path / "missing.npz")


def test_pickle_file_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    with open(path, "wb") as file:
        pickle.dump({"w": np.ones(3)}, file)
    with pytest.raises(CheckpointError, match=r"model\.pt: contains pickled objects, which minigrad refuses to load"):
        minigrad.load(path)
    npy = tmp_path / "objects.npy"
    np.save(npy, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CheckpointError, match="pickle"):
        minigrad.load(npy)


def test_npz_with_an_object_array_is_refused_even_with_a_valid_header(tmp_path):
    path = tmp_path / "evil.npz"
    header = json.dumps({"format": FORMAT, "root": {"dict": [["w", {"array": "array_0"}]]}})
    np.savez(
        path,
        array_0=np.array([{"payload": 1}], dtype=object),
        **{STRUCTURE: np.frombuffer(header.encode(), dtype=np.uint8)},
    )
    with pytest.raises(CheckpointError, match=r"evil\.npz: contains pickled objects"):
        minigrad.load(path)


def test_foreign_npz_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.ones(3))
    with pytest.raises(CheckpointError, match=r"plain\.npz: not a minigrad checkpoint"):
        minigrad.load(path)
    header = json.dumps({"format": "someone-else-2", "root": {"value": 1}})
    np.savez(path, **{STRUCTURE: np.frombuffer(header.encode(), dtype=np.uint8)})
    with pytest.raises(CheckpointError, match="unknown checkpoint format 'someone-else-2'"):
        minigrad.load(path)


def torch_lenet_bn(torch):
    nn_ = torch.nn
    return nn_.Sequential(
        nn_.Conv2d(1, 32, 3, padding=1), nn_.BatchNorm2d(32), nn_.ReLU(), nn_.MaxPool2d(2),
        nn_.Conv2d(32, 64, 3, padding=1), nn_.BatchNorm2d(64), nn_.ReLU(), nn_.MaxPool2d(2),
        nn_.Flatten(), nn_.Linear(3136, 128), nn_.BatchNorm1d(128), nn_.ReLU(), nn_.Linear(128, 10),
    )  # fmt: skip


@pytest.mark.parametrize("fused", [False, True], ids=["derived", "fused"])
def test_lenet_bn_moves_to_torch_with_the_same_outputs(tmp_path, fused):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    minigrad.manual_seed(0)
    model = lenet_bn(fused=fused)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(3):  # a few steps, so that the running stats are not the initial 0 and 1
        x = Tensor(rng.standard_normal((8, 1, 28, 28)).astype(np.float32))
        optimizer.zero_grad()
        F.cross_entropy(model(x), Tensor(rng.integers(0, 10, 8))).backward()
        optimizer.step()
    assert not np.allclose(model[1].running_mean.array, 0)
    path = tmp_path / "lenet.npz"
    minigrad.save(model.state_dict(), path)

    theirs = torch_lenet_bn(torch)
    theirs.load_state_dict({k: torch.from_numpy(v.array) for k, v in minigrad.load(path).items()})  # strict
    assert int(theirs[1].num_batches_tracked) == 3
    x = rng.standard_normal((5, 1, 28, 28)).astype(np.float32)
    model.eval()
    theirs.eval()
    with minigrad.no_grad(), torch.no_grad():
        ours_out = model(Tensor(x)).array
        theirs_out = theirs(torch.from_numpy(x)).numpy()
    assert ours_out.dtype == np.float32
    np.testing.assert_allclose(ours_out, theirs_out, atol=1e-4, rtol=1e-4)
    assert np.abs(ours_out).max() > 0.1


def test_checkpoint_files_get_normal_permissions_and_foreign_files_clear_errors(tmp_path):
    import os

    path = tmp_path / "model.npz"
    minigrad.save({"w": minigrad.ones(2)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    np.save(tmp_path / "array.npy", np.ones(2))
    with pytest.raises(minigrad.CheckpointError, match=r"array\.npy: not a minigrad checkpoint \(a single .npy"):
        minigrad.load(tmp_path / "array.npy")
    (tmp_path / "notes.npz").write_text("hello there")
    with pytest.raises(minigrad.CheckpointError, match=r"notes\.npz: not a minigrad checkpoint \(not an .npz"):
        minigrad.load(tmp_path / "notes.npz")
