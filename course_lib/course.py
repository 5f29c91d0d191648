"""The lectures in order (from the course map) and the table of contents built from them."""

from __future__ import annotations

from pathlib import Path

from course_lib.core import Text, checked

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"

LECTURES: list[tuple[str, str, str]] = [
    ("00", "00_welcome", "Welcome: how to use the course"),
    (
        "01",
        "01_what_computers_see",
        "What computers see: images are numbers; kinds of ML",
    ),
    ("02", "02_neurons_and_gradient_descent", "Neurons, losses and gradient descent"),
    ("03", "03_dense_networks_on_images", "Dense networks on images"),
    ("04", "04_convolution", "Convolution by hand"),
    ("05", "05_pooling_and_receptive_fields", "Pooling and receptive fields"),
    ("06", "06_mnist_convnet", "The MNIST convnet end to end"),
    (
        "07",
        "07_inside_the_convnet",
        "Inside the convnet: filters, activations, forward pass",
    ),
    (
        "08",
        "08_making_it_fast",
        "Making it fast: kernels, tf.function, XLA, tf.distribute",
    ),
    (
        "09",
        "09_layers_toolbox",
        "The layers toolbox: batch norm, dropout, softmax, ...",
    ),
    ("10", "10_data_augmentation", "Data augmentation"),
    ("11", "11_transfer_learning", "Transfer learning"),
    (
        "12",
        "12_what_convnets_see",
        "What convnets see: filter patterns, Grad-CAM, DeepDream",
    ),
    ("13", "13_famous_architectures", "Famous architectures and the ImageNet years"),
    ("14", "14_object_detection", "Object detection"),
    ("15", "15_segmentation", "Segmentation with a U-Net"),
    ("16", "16_spatial_transformers", "Spatial transformer networks"),
    ("17", "17_recurrent_networks", "Recurrent networks and text generation"),
    ("18", "18_autoencoders_and_vaes", "Autoencoders and variational autoencoders"),
    ("19", "19_gans", "Generative adversarial networks"),
    ("20", "20_beyond", "Beyond: captioning, attention, CTC, 3D convolution"),
]


@checked(slug=Text(max_length=200))
def available(slug: str) -> bool:
    """True when the lecture's notebook exists in ``notebooks/``."""
    return (NOTEBOOK_DIR / f"{slug}.ipynb").exists()


@checked()
def table_of_contents() -> str:
    """Markdown table of all lectures: written ones linked, the others marked as coming."""
    rows = ["| # | lecture | status |", "|---|---|---|"]
    for number, slug, title in LECTURES:
        if available(slug):
            rows.append(f"| {number} | [{title}]({slug}.ipynb) | ready |")
        else:
            rows.append(f"| {number} | {title} | coming |")
    return "\n".join(rows)
