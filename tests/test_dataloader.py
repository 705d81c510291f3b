"""DataLoader, datasets in memory, and the batch transforms, each checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.data import DataLoader, Dataset, DigitsSynth, ImageDataset, TensorDataset, blobs, moons, spirals
from minigrad.data.transforms import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    ToTensor,
    generators_of,
)
from minigrad.utils.data import DataLoader as TorchStyleDataLoader


def numbers(count: int) -> TensorDataset:
    """Sample i is (row [i, 10 i], label i): pairing mistakes show."""
    rows = np.arange(count)[:, None] * np.array([1, 10])
    return TensorDataset(rows, np.arange(count))


def labels_of(loader: DataLoader) -> list[list[int]]:
    return [y.array.tolist() for _, y in loader]


def order_of(loader: DataLoader) -> list[int]:
    return [label for batch in labels_of(loader) for label in batch]


# ----------------------------------------------------------------------------- DataLoader


def test_batches_in_order_with_the_last_partial_batch():
    loader = DataLoader(numbers(7), batch_size=3)
    assert len(loader) == 3 and labels_of(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    x, _ = next(iter(loader))
    assert isinstance(x, minigrad.Tensor) and x.array.tolist() == [[0, 0], [1, 10], [2, 20]]


def test_drop_last_drops_the_partial_batch():
    loader = DataLoader(numbers(7), batch_size=3, drop_last=True)
    assert len(loader) == 2 and labels_of(loader) == [[0, 1, 2], [3, 4, 5]]
    assert labels_of(DataLoader(numbers(6), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]


def test_shuffling_covers_every_sample_once_in_a_new_order_each_epoch():
    loader = DataLoader(numbers(50), batch_size=8, shuffle=True, seed=3)
    first, second = (order_of(loader) for _ in range(2))
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != list(range(50)) and first != second
    for x, y in loader:  # rows and labels stay paired
        np.testing.assert_array_equal(x.array[:, 0], y.array)


def test_a_seed_or_a_generator_makes_the_order_reproducible():
    orders = [order_of(DataLoader(numbers(30), 4, shuffle=True, seed=5)) for _ in range(2)]
    assert orders[0] == orders[1]
    from_generator = DataLoader(numbers(30), 4, shuffle=True, generator=np.random.default_rng(5))
    assert order_of(from_generator) == orders[0]
    assert order_of(DataLoader(numbers(30), 4, shuffle=True, seed=6)) != orders[0]
    minigrad.manual_seed(1)
    a = order_of(DataLoader(numbers(30), 4, shuffle=True))
    minigrad.manual_seed(1)
    assert order_of(DataLoader(numbers(30), 4, shuffle=True)) == a  # drawn from manual_seed


def test_array_backed_datasets_are_indexed_once_per_batch():
    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, index):
            raise AssertionError("a per-sample call on an array-backed dataset")

        def __getitems__(self, indices):
            Counting.calls += 1
            return super().__getitems__(indices)

    loader = DataLoader(Counting(np.zeros((100, 2)), np.arange(100)), batch_size=32, shuffle=True, seed=0)
    assert [len(y) for _, y in loader] == [32, 32, 32, 4] and Counting.calls == 4


def test_a_generic_dataset_falls_back_to_one_call_per_sample():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), i

    batches = list(DataLoader(Squares(), batch_size=2))
    assert [x.array.tolist() for x, _ in batches] == [[[0, 0], [1, 1]], [[2, 4], [3, 9]], [[4, 16]]]
    assert batches[0][1].dtype == np.int64


def test_bad_arguments_are_refused():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            DataLoader(numbers(3), batch_size=bad)
    with pytest.raises(ValueError, match="generator or seed, not both"):
        DataLoader(numbers(3), generator=np.random.default_rng(), seed=1)
    with pytest.raises(ValueError, match=r"Size mismatch between tensors: first dimensions \[3, 2\]"):
        TensorDataset(np.zeros(3), np.zeros(2))


def test_utils_data_is_the_same_loader():
    assert TorchStyleDataLoader is DataLoader


def test_image_dataset_transforms_whole_batches_and_single_items():
    images = np.arange(4 * 2 * 2, dtype=np.uint8).reshape(4, 2, 2) * 10
    calls = []

    def transform(batch):
        calls.append(batch.shape)
        return ToTensor()(batch)

    dataset = ImageDataset(images, np.arange(4), transform)
    x, _ = next(iter(DataLoader(dataset, batch_size=3)))
    assert calls == [(3, 2, 2)] and x.shape == (3, 1, 2, 2)
    np.testing.assert_allclose(x.array[1, 0], images[1] / 255, rtol=1e-6)
    image, label = dataset[2]
    assert image.shape == (1, 2, 2) and label == 2 and dataset.sample_shape() == (1, 2, 2)


# ----------------------------------------------------------------------------- transforms


def test_to_tensor_scales_and_moves_channels_first():
    hwc = np.array([[[0, 51, 255], [102, 0, 0]]], dtype=np.uint8)[None]  # (1, 1, 2, 3): one image, 1x2, RGB
    out = ToTensor()(hwc)
    assert isinstance(out, minigrad.Tensor) and out.dtype == np.float32 and out.shape == (1, 3, 1, 2)
    np.testing.assert_allclose(out.array[0, :, 0, 0], [0.0, 0.2, 1.0], rtol=1e-6)  # 51 / 255 = 0.2
    np.testing.assert_allclose(out.array[0, :, 0, 1], [0.4, 0.0, 0.0], rtol=1e-6)
    gray = ToTensor()(np.array([[[255, 0]]], dtype=np.uint8))  # (N, H, W) grayscale
    assert gray.shape == (1, 1, 1, 2) and gray.array.ravel().tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match=r"expects a batch \(N, H, W\) or \(N, H, W, C\), got shape \(4,\)"):
        ToTensor()(np.zeros(4, dtype=np.uint8))


def test_normalize_per_channel():
    batch = minigrad.tensor(np.array([[[[0.5]], [[0.2]]]], dtype=np.float32))  # (1, 2, 1, 1)
    out = Normalize((0.5, 0.1), (0.25, 0.5))(batch)
    assert isinstance(out, minigrad.Tensor)
    np.testing.assert_allclose(out.array.ravel(), [0.0, 0.2], atol=1e-7)  # (0.5-0.5)/0.25, (0.2-0.1)/0.5
    with pytest.raises(ValueError, match=r"Normalize with 2 channel\(s\) expects \(N, 2, H, W\)"):
        Normalize((0.5, 0.1), (0.25, 0.5))(np.zeros((1, 3, 1, 1)))
    with pytest.raises(ValueError, match="positive std"):
        Normalize((0.5,), (0.0,))


class FixedDraws:
    """A stand-in generator that returns chosen values, to compute expected outputs by hand."""

    def __init__(self, *draws):
        self.draws = list(draws)

    def integers(self, low, high, size):
        value = np.asarray(self.draws.pop(0))
        assert value.shape == (size,) and (value >= low).all() and (value < high).all()
        return value

    def random(self, size):
        return np.asarray(self.draws.pop(0))


def test_random_crop_pads_with_zeros_and_cuts_at_the_drawn_offsets():
    images = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], dtype=np.uint8)  # (2, 2, 2)
    crop = RandomCrop(2, padding=1)
    crop.generator = FixedDraws([0, 2], [0, 1])  # tops, then lefts, one per image
    out = crop(images)
    # padded image 0 is [[0,0,0,0],[0,1,2,0],[0,3,4,0],[0,0,0,0]]: the window at (0, 0)
    assert out[0].tolist() == [[0, 0], [0, 1]]
    # image 1 at (2, 1): rows 2..3, cols 1..2 of its padded image
    assert out[1].tolist() == [[7, 8], [0, 0]]


def test_random_crop_on_tensors_uses_the_last_two_axes():
    batch = minigrad.tensor(np.arange(2 * 3 * 3, dtype=np.float32).reshape(1, 2, 3, 3))  # (N, C, H, W)
    crop = RandomCrop(2)
    crop.generator = FixedDraws([1], [0])
    out = crop(batch)
    assert isinstance(out, minigrad.Tensor) and out.shape == (1, 2, 2, 2)
    np.testing.assert_array_equal(out.array[0], batch.array[0, :, 1:3, 0:2])
    hwc = np.arange(3 * 3 * 2, dtype=np.uint8).reshape(1, 3, 3, 2)  # (N, H, W, C) before ToTensor
    crop.generator = FixedDraws([0], [1])
    np.testing.assert_array_equal(crop(hwc)[0], hwc[0, 0:2, 1:3, :])
    with pytest.raises(ValueError, match="larger than the padded images"):
        RandomCrop(5)(np.zeros((1, 3, 3)))


def test_random_horizontal_flip_mirrors_the_chosen_images():
    images = np.array([[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]]])  # (3, 1, 3)
    flip = RandomHorizontalFlip(p=0.5)
    flip.generator = FixedDraws([0.1, 0.9, 0.4])  # below p: flipped
    assert flip(images).tolist() == [[[3, 2, 1]], [[4, 5, 6]], [[9, 8, 7]]]
    batch = minigrad.tensor(np.array([[[[1.0, 2.0]], [[3.0, 4.0]]]]))  # (1, C=2, 1, 2)
    assert RandomHorizontalFlip(p=1.0)(batch).array.tolist() == [[[[2.0, 1.0]], [[4.0, 3.0]]]]
    assert RandomHorizontalFlip(p=0.0)(images).tolist() == images.tolist()


def test_random_transforms_are_reproducible_with_their_own_seed():
    images = np.random.default_rng(0).integers(0, 255, (16, 8, 8, 3)).astype(np.uint8)

    def pipeline():
        return Compose([RandomCrop(8, padding=2, seed=1), RandomHorizontalFlip(seed=2), ToTensor()])

    minigrad.manual_seed(0)
    first = pipeline()(images).array
    minigrad.manual_seed(99)  # minigrad's global generator plays no part
    np.testing.assert_array_equal(pipeline()(images).array, first)
    other = Compose([RandomCrop(8, padding=2, seed=3), RandomHorizontalFlip(seed=4), ToTensor()])
    assert not np.array_equal(other(images).array, first)
    assert len(generators_of(pipeline())) == 2


def test_random_transforms_without_a_seed_follow_manual_seed():
    """As torch.manual_seed does for torchvision: the same global seed, the same augmentation."""
    images = np.random.default_rng(0).integers(0, 255, (16, 8, 8)).astype(np.uint8)

    def augmented(seed: int) -> np.ndarray:
        minigrad.manual_seed(seed)
        return Compose([RandomCrop(8, padding=2), RandomHorizontalFlip()])(images)

    np.testing.assert_array_equal(augmented(0), augmented(0))
    assert not np.array_equal(augmented(0), augmented(1))


def test_random_transforms_are_seeded_at_their_first_batch_and_building_one_draws_nothing():
    images = np.random.default_rng(0).integers(0, 255, (16, 8, 8)).astype(np.uint8)
    pipeline = Compose([RandomCrop(8, padding=2), RandomHorizontalFlip()])  # built before the seed is set
    minigrad.manual_seed(3)
    first = pipeline(images)
    again = Compose([RandomCrop(8, padding=2), RandomHorizontalFlip()])
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(again(images), first)
    minigrad.manual_seed(0)
    weights = minigrad.nn.Linear(3, 2).weight.array.copy()
    minigrad.manual_seed(0)
    RandomCrop(8, padding=2), RandomHorizontalFlip()
    np.testing.assert_array_equal(minigrad.nn.Linear(3, 2).weight.array, weights)  # model init undisturbed


def test_compose_runs_in_order():
    pipeline = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    out = pipeline(np.array([[[0, 255]]], dtype=np.uint8))
    assert out.array.tolist() == [[[[-1.0, 1.0]]]]


# ----------------------------------------------------------------------------- made-up data


def test_toy_sets_are_balanced_and_reproducible():
    for make, classes in ((moons, 2), (spirals, 3), (blobs, 3)):
        points, labels = make(300, seed=4)
        assert points.shape == (300, 2) and points.dtype == np.float32 and labels.dtype == np.int64
        assert np.bincount(labels).tolist() == [300 // classes] * classes
        np.testing.assert_array_equal(make(300, seed=4)[0], points)
        assert not np.array_equal(make(300, seed=5)[0], points)
    points, labels = moons(400, noise=0.0)
    upper = points[labels == 0]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-5)  # noiseless: on the unit half circle


def test_digits_synth_train_and_test_are_different_draws():
    train, test = DigitsSynth(train=True, count=200), DigitsSynth(train=False, count=200)
    assert train.data.shape == (200, 28, 28) and not np.array_equal(train.data, test.data)
    assert len(DigitsSynth(train=False)) == DigitsSynth.TEST_SIZE
