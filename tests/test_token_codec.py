"""Compact token vectors: the product quantizer, and an index that stores its token vectors as
codes (plumbing, with HashEncoder; the answers it gives are measured by
benchmarks/token_compression.py)."""

import logging
from pathlib import Path

import numpy as np
import pytest

import tilqa
from tilqa import IndexCorruptError, Settings
from tilqa.index import BUILDS, current_build, load_index
from tilqa.indexing import refresh_index
from tilqa.token_codec import TokenCodec, subvectors_for

from helpers import SMALL_CORPUS, HashEncoder, write_corpus

ENCODER = HashEncoder()


def unit_rows(count: int, dimension: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("dimension, pieces", [(384, 48), (768, 48), (64, 32), (100, 25)])
def test_pieces_divide_the_dimension(dimension: int, pieces: int) -> None:
    assert subvectors_for(dimension) == pieces


def test_codes_are_a_byte_a_piece_and_decode_near_the_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tilqa.token_codec.MIN_TRAINING_TOKENS", 1024)  # a quick fit
    # Clustered vectors, as token vectors are: a codebook fits them far better than noise.
    centres = unit_rows(40, 384, seed=1)
    vectors = centres[np.arange(2000) % 40] + 0.05 * unit_rows(2000, 384, seed=2)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    codec = TokenCodec.train(vectors)
    codes = codec.encode(vectors)
    assert codes.dtype == np.uint8 and codes.shape == (2000, 48)
    decoded = codec.decode(codes)
    assert np.allclose(np.linalg.norm(decoded, axis=1), 1.0, atol=1e-5)
    cosine = (decoded * vectors).sum(axis=1)
    assert cosine.mean() > 0.95
    # A code decodes to its centroids, which code to themselves.
    assert (codec.encode(decoded) == codes).mean() > 0.99


def test_too_few_vectors_to_train_is_refused() -> None:
    with pytest.raises(ValueError, match="needs"):
        TokenCodec.train(unit_rows(100, 64))


@pytest.fixture()
def coded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A small corpus whose index codes its token vectors (the training minimum lowered)."""
    monkeypatch.setattr("tilqa.token_codec.MIN_TRAINING_TOKENS", 32)
    # Enough distinct words (HashEncoder's tokens) to train 256 centroids: 60 sentences of made-up
    # words, after the small corpus.
    rng = np.random.default_rng(7)
    words = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), size=7)) for _ in range(400)]
    filler = "\n\n".join(" ".join(rng.choice(words, size=8)).capitalize() + "." for _ in range(60))
    write_corpus(tmp_path / "corpus", {**SMALL_CORPUS, "filler.txt": "Filler\n" + filler + "\n"})
    return Settings.load(environ={}, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", model=ENCODER.model_name)


def live(settings: Settings) -> Path:
    return settings.index_dir / BUILDS / str(current_build(settings.index_dir))


def segment_files(settings: Settings) -> list[Path]:
    return sorted((live(settings) / "tokens").iterdir())


def test_a_large_enough_index_stores_codes_and_answers_from_them(coded: Settings) -> None:
    refresh_index(coded, ENCODER)
    assert (live(coded) / "token_codebook.npy").is_file()
    data = load_index(coded.index_dir)
    tokens = data.tokens
    assert tokens is not None and tokens.codec is not None
    assert all(s.values.dtype == np.uint8 and s.values.shape == (len(s.ids), tokens.codec.pieces) for s in tokens.segments)
    # Decoded rows are unit vectors near the encoder's own.
    row = 0
    _, fresh = ENCODER.encode_with_tokens([data.sentences[row].text])
    assert (tokens.ids(row) == fresh[0].ids).all()
    decoded = tokens.unit_vectors(row)
    assert ((decoded * fresh[0].vectors.astype(np.float32)).sum(axis=1) > 0.5).all()
    answer = tilqa.Assistant(settings=coded, embedder=ENCODER).ask("Who licensed the gene-editing technology?")
    assert "Cellectis" in answer.citations[0].text


def test_a_rebuild_shares_the_codebook_and_the_segment_of_unchanged_sentences(coded: Settings) -> None:
    refresh_index(coded, ENCODER)
    before = load_index(coded.index_dir)
    first = {p.name: p.stat().st_ino for p in segment_files(coded)}
    (coded.corpus_dir / "new.txt").write_text("Findings\nTIL persistence improved. Toxicity was low.", "utf-8")
    report = refresh_index(coded, ENCODER)
    assert report.rebuilt and report.embedded == 4  # the new passage, its 2 sentences, its heading
    after = load_index(coded.index_dir)
    assert np.array_equal(after.tokens.codec.centroids, before.tokens.codec.centroids)
    # The first build's segment is shared (the same file, linked), not written again; the new
    # text's tokens are in a segment of their own, coded with the same codebook.
    second = {p.name: p.stat().st_ino for p in segment_files(coded)}
    assert first.items() <= second.items() and len(second) == len(first) + 2
    old = {s.text: np.asarray(before.tokens.stored(row)) for row, s in enumerate(before.sentences)}
    kept = [(row, s) for row, s in enumerate(after.sentences) if s.source != "new.txt"]
    assert kept and all(np.array_equal(after.tokens.stored(row), old[s.text]) for row, s in kept)
    new = [row for row, s in enumerate(after.sentences) if s.source == "new.txt"]
    _, fresh = ENCODER.encode_with_tokens([after.sentences[new[0]].text])
    assert np.array_equal(after.tokens.stored(new[0]), after.tokens.codec.encode(fresh[0].vectors))


def test_a_segment_mostly_of_removed_text_is_copied_rather_than_shared(coded: Settings) -> None:
    refresh_index(coded, ENCODER)
    first = {p.name for p in segment_files(coded)}
    (coded.corpus_dir / "filler.txt").unlink()  # most of the first segment's tokens
    refresh_index(coded, ENCODER)
    assert not first & {p.name for p in segment_files(coded)}
    data = load_index(coded.index_dir)
    for row, sentence in enumerate(data.sentences):
        _, fresh = ENCODER.encode_with_tokens([sentence.text])
        assert np.array_equal(data.tokens.stored(row), data.tokens.codec.encode(fresh[0].vectors))
    assert "Cellectis" in tilqa.Assistant(settings=coded, embedder=ENCODER).ask("Who licensed the gene-editing technology?").answer


def test_a_damaged_codebook_is_named_and_rebuilt(coded: Settings) -> None:
    refresh_index(coded, ENCODER)
    np.save(live(coded) / "token_codebook.npy", np.zeros((3, 256, 2), np.float32))
    with pytest.raises(IndexCorruptError, match="disagree"):
        load_index(coded.index_dir)
    assert refresh_index(coded, ENCODER).rebuilt
    load_index(coded.index_dir)


class CountingEncoder:
    """HashEncoder, recording how many texts each call embeds."""

    def __init__(self) -> None:
        self.model_name = ENCODER.model_name
        self.dimension = ENCODER.dimension
        self.calls: list[int] = []

    def encode(self, texts, show_progress=None):
        self.calls.append(len(texts))
        return ENCODER.encode(texts)

    def encode_with_tokens(self, texts, show_progress=None):
        self.calls.append(len(texts))
        return ENCODER.encode_with_tokens(texts)

    def token_strings(self, ids):
        return ENCODER.token_strings(ids)


def test_a_build_embeds_in_chunks_and_codes_tokens_as_soon_as_it_has_a_codebook(
    coded: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole = Settings.load(environ={}, corpus_dir=coded.corpus_dir, index_dir=tmp_path / "whole", model=ENCODER.model_name)
    refresh_index(whole, ENCODER)
    monkeypatch.setattr("tilqa.indexing.writer.EMBED_CHUNK", 5)
    monkeypatch.setattr("tilqa.token_codec.MAX_TRAINING_TOKENS", 300)  # trained after the first chunks
    encoder = CountingEncoder()
    with caplog.at_level(logging.INFO, logger="tilqa.token_codec"):
        refresh_index(coded, encoder)
    assert len(encoder.calls) > 10 and max(encoder.calls) == 5
    # Trained once, mid-build, on the first chunks' tokens rather than at the end on all of them.
    trained = [int(r.getMessage().split()[5]) for r in caplog.records if "trained a token codebook" in r.getMessage()]
    streamed, reference = load_index(coded.index_dir), load_index(whole.index_dir)
    assert streamed.sentences == reference.sentences and streamed.passages == reference.passages
    assert np.array_equal(streamed.sentence_vectors, reference.sentence_vectors)
    # Every token row, the first chunks' too, is stored as codes of the one codebook.
    tokens = streamed.tokens
    assert tokens is not None and [s.values.dtype for s in tokens.segments] == [np.uint8]
    assert len(trained) == 1 and 300 <= trained[0] < len(tokens.segments[0].ids)
    for row in (0, len(streamed.sentences) - 1):
        _, fresh = ENCODER.encode_with_tokens([streamed.sentences[row].text])
        assert np.array_equal(tokens.stored(row), tokens.codec.encode(fresh[0].vectors))
