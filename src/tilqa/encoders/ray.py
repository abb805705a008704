"""Embedding on a Ray cluster: `RayEncoder` gives `Embedder`'s vectors, computed by a pool of Ray
actors that each load the model once (Ray Data `map_batches`).

Only the embedding is spread: chunking, BM25, FAISS, the embedding cache and the atomic write of
a build stay in the process that runs it (the driver), which hands the encoder only the texts its
cache lacks. Workers import `tilqa` and load the model from their own install: for the bundled
all-MiniLM-L6-v2 nothing is downloaded. Ray is an optional extra (`pip install 'tilqa[ray]'`),
imported on first use, never by `import tilqa.encoders.ray`. A throwaway local cluster to try it
on is `tilqa.testing.LocalCluster`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
from typing import Any, Iterator, Sequence

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import ClusterError, SettingsError, TilqaError
from ..progress import text_progress
from .base import TokenVectors
from .torch import Embedder

log = logging.getLogger(__name__)

INSTALL_HINT = "--ray needs the ray extra: pip install 'tilqa[ray]'"


def import_ray() -> Any:
    """The `ray` module with Ray Data, or a SettingsError saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the `ray` extra installs ray[data]; bare ray lacks pyarrow)
    except ImportError:
        raise SettingsError(INSTALL_HINT) from None
    return ray


def _one_line(exc: BaseException) -> str:
    """The last line of an error's message: Ray's task errors carry the worker's traceback."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _check_reachable(address: str) -> None:
    """Fail fast when nothing listens at a HOST:PORT address: `ray.init` would retry for minutes."""
    if address == "auto" or "://" in address:
        return  # found through this machine's running cluster; Ray Client has its own time-out
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        host, port = address, "6379"  # Ray's default GCS port
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}") from None


class _EmbedBatches:
    """What each Ray actor runs: one `Embedder`, loaded when the actor starts, embedding the
    batches Ray Data hands it. Token vectors travel as bytes (rows differ in length)."""

    def __init__(self, model: str, batch_size: int, with_tokens: bool, threads: int) -> None:
        import torch

        # torch would use every core of the node whatever Ray reserved for the actor.
        torch.set_num_threads(threads)
        self._embedder = Embedder(model, batch_size)
        self._with_tokens = with_tokens
        _ = self._embedder.dimension  # load the model now, not inside the first batch

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        if not self._with_tokens:
            return {"position": batch["position"], "vector": self._embedder.encode(texts, show_progress=False)}
        vectors, tokens = self._embedder.encode_with_tokens(texts, show_progress=False)
        return {
            "position": batch["position"],
            "vector": vectors,
            "ids": np.array([t.ids.astype(np.int32).tobytes() for t in tokens], dtype=object),
            "tokens": np.array([t.vectors.astype(np.float16).tobytes() for t in tokens], dtype=object),
        }


class RayEncoder:
    """An `Encoder` whose vectors come from a Ray cluster, equal (within float tolerance) to
    `Embedder(model)`'s, under the same `model_name`, so local and Ray builds share an index and
    its embedding cache.

    :param model: the model name or path, as for `Embedder`; every worker must have it (the
        bundled all-MiniLM-L6-v2 comes with tilqa).
    :param address: the cluster: `auto` joins the one running on this machine (or `RAY_ADDRESS`),
        `HOST:PORT` a head node's GCS address, `ray://HOST:10001` through Ray Client.
    :param batch_size: texts per model call on a worker, and per Ray Data batch.
    :param actors: the size of the actor pool (default: one per CPU in the cluster when the
        embedding starts).
    :param cpus_per_actor: CPUs Ray reserves for each actor, and the torch threads it uses.
    :param local_below: fewer texts than this are embedded in this process, as a question is:
        starting a pool and loading the model on each actor costs seconds.
    :raises SettingsError: when ray is not installed, or for an argument out of range.

    Nothing connects or loads until the first call that needs it.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        address: str = "auto",
        batch_size: int = 32,
        actors: int | None = None,
        cpus_per_actor: float = 1.0,
        local_below: int = 32,
    ) -> None:
        import_ray()
        if not address or not address.strip():
            raise SettingsError("the Ray address is empty: give HOST:PORT, ray://HOST:PORT or auto")
        if batch_size < 1:
            raise SettingsError("batch_size must be at least 1")
        if actors is not None and actors < 1:
            raise SettingsError("actors must be at least 1")
        if not cpus_per_actor > 0:
            raise SettingsError("cpus_per_actor must be above 0")
        if local_below < 0:
            raise SettingsError("local_below must be 0 or more")
        self.model_name = model
        self.address = address.strip()
        self.batch_size = batch_size
        self.actors = actors
        self.cpus_per_actor = cpus_per_actor
        self.local_below = local_below
        # Texts a build hands over at once: starting the actor pool and loading the model on
        # each actor takes seconds, so fewer, larger calls than a local build's.
        self.build_chunk = 16_384
        self._local = Embedder(model, batch_size)  # questions, small jobs, the tokenizer
        self._connect_lock = threading.Lock()
        self._connected_here = False

    # -- the Encoder protocol --------------------------------------------------------------

    @property
    def dimension(self) -> int:
        return self._local.dimension

    def encode(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        """Vectors of `texts`, one row each, embedded on the cluster.

        :raises ClusterError: when the cluster cannot be reached or the embedding fails there.
        """
        if len(texts) < max(self.local_below, 1):
            return self._local.encode(texts, show_progress=show_progress)
        vectors, _ = self._run(texts, False, show_progress)
        return vectors

    def encode_with_tokens(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """The vectors of `encode`, and each text's token ids and unit token vectors, as
        `Embedder.encode_with_tokens` gives them.

        :raises ClusterError: when the cluster cannot be reached or the embedding fails there.
        """
        if len(texts) < max(self.local_below, 1):
            return self._local.encode_with_tokens(texts, show_progress=show_progress)
        vectors, tokens = self._run(texts, True, show_progress)
        assert tokens is not None
        return vectors, tokens

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """The tokenizer's pieces for token ids, from the model loaded in this process."""
        return self._local.token_strings(ids)

    # -- the cluster -----------------------------------------------------------------------

    def connect(self) -> None:
        """Join the cluster now (it is otherwise joined on the first embedding that needs it).
        A process already connected to Ray is used as it is.

        :raises ClusterError: when no cluster answers at `address`.
        """
        ray = import_ray()
        with self._connect_lock:
            if ray.is_initialized():
                return
            log.info("connecting to the Ray cluster at %s", self.address)
            _check_reachable(self.address)
            # Ray Data's usage statistics poll a Prometheus on localhost:9090 from a thread of
            # this process, which fails noisily where there is none; a user may turn them back on.
            os.environ.setdefault("RAY_DATA_USAGE_DISABLED", "1")
            try:
                ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False)
            except Exception as exc:  # ConnectionError, ValueError, RuntimeError: all mean "not there"
                raise ClusterError(f"cannot reach a Ray cluster at {self.address}: {_one_line(exc)}") from exc
            self._connected_here = True

    def close(self) -> None:
        """Leave the cluster, if this encoder joined it (the cluster itself keeps running)."""
        with self._connect_lock:
            if self._connected_here:
                import ray

                ray.shutdown()
                self._connected_here = False

    def __enter__(self) -> "RayEncoder":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _pool_size(self, ray: Any) -> int:
        if self.actors is not None:
            return self.actors
        cpus = float(ray.cluster_resources().get("CPU", 0))
        return max(1, int(cpus // self.cpus_per_actor))

    def _run(
        self, texts: Sequence[str], with_tokens: bool, show_progress: bool | None
    ) -> tuple[np.ndarray, list[TokenVectors] | None]:
        """Embed `texts` on an actor pool; every row comes back, in order, or ClusterError."""
        self.connect()
        import ray
        import ray.data

        total = len(texts)
        pool = self._pool_size(ray)
        # One block per few batches, and at least two per actor so that none idles at the end.
        blocks = min(math.ceil(total / self.batch_size), max(2 * pool, math.ceil(total / (4 * self.batch_size))))
        log.info("embedding %d texts on %d Ray actors (%d blocks)", total, pool, blocks)
        vectors: np.ndarray | None = None
        tokens: list[TokenVectors | None] = [None] * total
        seen = np.zeros(total, dtype=bool)
        try:
            with _data_context():
                dataset = ray.data.from_items(
                    [{"position": i, "text": t} for i, t in enumerate(texts)], override_num_blocks=blocks
                ).map_batches(
                    _EmbedBatches,
                    fn_constructor_kwargs={"model": self.model_name, "batch_size": self.batch_size,
                                           "with_tokens": with_tokens,
                                           "threads": max(1, int(self.cpus_per_actor))},
                    batch_size=self.batch_size,
                    batch_format="numpy",
                    # min 1: a pool that cannot start every actor (a node gone) still finishes.
                    # Ray Data restarts a dead actor and retries its batches (max_restarts=-1,
                    # max_task_retries=-1 by default for actor pools).
                    compute=ray.data.ActorPoolStrategy(min_size=1, max_size=pool, initial_size=pool),
                    num_cpus=self.cpus_per_actor,
                )
                with text_progress(total, show_progress, "embedding on ray") as bar:
                    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                        positions = np.asarray(batch["position"], dtype=np.int64)
                        rows = np.asarray(batch["vector"], dtype=np.float32)
                        if vectors is None:
                            vectors = np.zeros((total, rows.shape[1]), dtype=np.float32)
                        vectors[positions] = rows
                        seen[positions] = True
                        if with_tokens:
                            dimension = rows.shape[1]
                            for p, ids, values in zip(positions, batch["ids"], batch["tokens"]):
                                tokens[p] = TokenVectors(
                                    np.frombuffer(ids, dtype=np.int32).copy(),
                                    np.frombuffer(values, dtype=np.float16).reshape(-1, dimension).copy(),
                                )
                        if bar is not None:
                            bar.update(len(positions))
        except TilqaError:
            raise
        except Exception as exc:
            raise ClusterError(f"embedding on the Ray cluster at {self.address} failed: {_one_line(exc)}") from exc
        if vectors is None or not seen.all():
            raise ClusterError(
                f"embedding on the Ray cluster at {self.address} returned {int(seen.sum())} of {total} texts"
            )
        return np.ascontiguousarray(vectors), (tokens if with_tokens else None)  # type: ignore[return-value]


# Actors that die while loading the model (a node lost, memory exhausted) are replaced this many
# times in a row before the embedding fails; Ray Data's default, 0, fails on the first. A model the
# workers cannot load fails every time, so the budget is small.
ACTOR_INIT_DEATHS = 2


@contextlib.contextmanager
def _data_context() -> Iterator[None]:
    """Ray Data set up for one embedding, restored afterwards (its context and loggers are shared
    by all Ray Data use in this process): no progress bars or INFO lines of its own (tilqa shows
    one bar of texts), and actors that die while starting replaced."""
    import ray.data

    context = ray.data.DataContext.get_current()
    settings = {"enable_progress_bars": False, "print_on_execution_start": False,
                "max_consecutive_actor_init_deaths": ACTOR_INIT_DEATHS}
    saved = {name: getattr(context, name) for name in settings}
    # Ray Data warns once that its bars are off: that is tilqa's choice, not the user's.
    levels = {"ray.data": logging.WARNING, "ray.data._internal.progress": logging.ERROR}
    saved_levels = {name: logging.getLogger(name).level for name in levels}
    for name, value in settings.items():
        setattr(context, name, value)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(context, name, value)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
