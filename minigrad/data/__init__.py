"""Data: datasets, the DataLoader and transforms, with torch.utils.data's and torchvision's names.

>>> from minigrad.data import DataLoader, TensorDataset
>>> import numpy as np
>>> loader = DataLoader(TensorDataset(np.zeros((10, 2)), np.arange(10)), batch_size=4)
>>> [tuple(x.shape) for x, _ in loader]
[(4, 2), (4, 2), (2, 2)]

* ``dataloader``: ``Dataset``, ``TensorDataset``, ``DataLoader`` (and ``batches``, its numpy ancestor);
* ``transforms``: ``Compose``, ``ToTensor``, ``Normalize``, ``RandomCrop``, ``RandomHorizontalFlip``;
* ``vision``: ``MNIST``, ``FashionMNIST``, ``CIFAR10`` from their original files (and ``load_mnist``);
* ``synthetic``: built-in seven-segment digits (``DigitsSynth``) and 2-D toy sets;
* ``download``: mirrors, progress, md5.
"""

from minigrad.data import transforms
from minigrad.data.dataloader import DataLoader, Dataset, TensorDataset, batches, default_collate
from minigrad.data.download import default_root, download_file, md5
from minigrad.data.synthetic import (
    SEGMENT_BOXES,
    SEGMENTS_OF_DIGIT,
    DigitsSynth,
    blobs,
    moons,
    spirals,
    synthetic_digits,
)
from minigrad.data.vision import (
    CIFAR10,
    CIFAR10_ARCHIVE,
    CIFAR10_MIRRORS,
    FASHION_MNIST_FILES,
    FASHION_MNIST_MIRRORS,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    MNIST,
    MNIST_FILES,
    MNIST_MEAN,
    MNIST_MIRRORS,
    MNIST_RAW_MD5,
    MNIST_STD,
    FashionMNIST,
    ImageDataset,
    download_mnist,
    load_mnist,
    normalize_images,
    parse_idx,
    read_cifar_batch,
    read_idx,
)

__all__ = [
    "CIFAR10",
    "CIFAR10_ARCHIVE",
    "CIFAR10_MIRRORS",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_MIRRORS",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "MNIST",
    "MNIST_FILES",
    "MNIST_MEAN",
    "MNIST_MIRRORS",
    "MNIST_RAW_MD5",
    "MNIST_STD",
    "SEGMENTS_OF_DIGIT",
    "SEGMENT_BOXES",
    "DataLoader",
    "Dataset",
    "DigitsSynth",
    "FashionMNIST",
    "ImageDataset",
    "TensorDataset",
    "batches",
    "blobs",
    "default_collate",
    "default_root",
    "download_file",
    "download_mnist",
    "load_mnist",
    "md5",
    "moons",
    "normalize_images",
    "parse_idx",
    "read_cifar_batch",
    "read_idx",
    "spirals",
    "synthetic_digits",
    "transforms",
]
