"""Loading a model the way the single-model container does (serve_utils.py:155-194).

SageMaker extracts ``model.tar.gz`` into ``/opt/ml/model``; the container lists that directory
(``os.listdir``), keeps the regular files, skips names starting with "." (macOS ``._*`` files,
serve_utils.py:159), and loads each one by trying ``pickle.load`` first and then
``xgboost.Booster.load_model`` (serve_utils.py:176-189). With ``SAGEMAKER_INFERENCE_ENSEMBLE``
"true" (the default) every file is loaded and predictions are combined; otherwise only the first
file ``os.listdir`` returns, which the filesystem decides (serve_utils.py:170).
"""

from __future__ import annotations

import json
import os
import pickle
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PKL_FORMAT = "pkl_format"  # serve_utils.py:53
XGB_FORMAT = "xgb_format"  # serve_utils.py:54


class ModelLoadError(Exception):
    """The model cannot be loaded: the endpoint would fail its /ping health check."""


@dataclass(frozen=True)
class LoadedModel:
    """What ``ScoringService.load_model`` keeps (serve.py:69-90).

    :param boosters: one per model file, in ``os.listdir`` order.
    :param formats: PKL_FORMAT or XGB_FORMAT, per booster.
    :param files: the model files' names.
    :param ignored: dotfiles and directories the container skips.
    :param config: the first booster's ``save_config()`` (serve.py:86-87).
    """

    boosters: tuple[Any, ...]
    formats: tuple[str, ...]
    files: tuple[str, ...]
    ignored: tuple[str, ...]
    config: dict[str, Any] = field(repr=False)

    @property
    def ensemble(self) -> bool:
        """Several boosters answer together (serve_utils.py:194: only when more than one)."""
        return len(self.boosters) > 1

    @property
    def objective(self) -> str:
        return str(self.config["learner"]["objective"]["name"])  # serve.py:88

    @property
    def num_class(self) -> str:
        # A string as XGBoost's config holds it ("0" for non-multi-class), serve.py:192.
        return str(self.config["learner"]["learner_model_param"].get("num_class", ""))

    @property
    def num_features(self) -> int:
        return int(self.boosters[0].num_features())


def _model_paths(model_dir: Path) -> tuple[list[Path], list[str]]:
    """Model files and ignored names, in os.listdir order (serve_utils.py:155-165)."""
    paths: list[Path] = []
    ignored: list[str] = []
    for name in os.listdir(model_dir):
        path = model_dir / name
        if not path.is_file():
            ignored.append(f"{name}/" if path.is_dir() else name)
        elif name.startswith("."):
            ignored.append(name)
        else:
            paths.append(path)
    return paths, ignored


def _load_booster(path: Path) -> tuple[Any, str]:
    """Pickle first, then XGBoost's own formats (serve_utils.py:176-189)."""
    import xgboost as xgb

    try:
        # Only serve artifacts you trust: unpickling runs code, here as in the container.
        with path.open("rb") as handle:
            booster = pickle.load(handle)
        model_format = PKL_FORMAT
    except Exception as pickle_error:
        try:
            booster = xgb.Booster()
            booster.load_model(str(path))
            model_format = XGB_FORMAT
        except Exception as xgb_error:
            first_line = str(xgb_error).strip().splitlines()[:1] or [type(xgb_error).__name__]
            raise ModelLoadError(
                f"{path.name} cannot be loaded: not a pickled Booster ({pickle_error}) and not "
                f"an XGBoost model ({first_line[0]})"
            ) from None
    try:
        booster.set_param("nthread", 1)  # serve_utils.py:190
    except AttributeError:
        raise ModelLoadError(
            f"{path.name} unpickles to {type(booster).__name__}, not an xgboost Booster (the "
            "container calls set_param on it and fails)"
        ) from None
    return booster, model_format


def load_model_dir(model_dir: Path, *, ensemble: bool) -> LoadedModel:
    """The model in an extracted model directory, or ModelLoadError."""
    paths, ignored = _model_paths(model_dir)
    if not paths:
        raise ModelLoadError(
            f"no model file at the top of {model_dir} (the container loads regular files there "
            f"and skips names starting with '.'; found: {', '.join(ignored) or 'nothing'})"
        )
    selected = paths if ensemble else paths[:1]  # serve_utils.py:170
    loaded = [_load_booster(path) for path in selected]
    boosters = tuple(booster for booster, _ in loaded)
    return LoadedModel(
        boosters=boosters,
        formats=tuple(model_format for _, model_format in loaded),
        files=tuple(path.name for path in selected),
        ignored=tuple(ignored) + tuple(path.name for path in paths[len(selected) :]),
        config=json.loads(boosters[0].save_config()),
    )


def extract_artifact(archive: Path, destination: Path) -> None:
    """Extract model.tar.gz as SageMaker does before the container starts, or ModelLoadError."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            tar.extractall(destination, filter="data")  # no absolute paths or links outside
    except (tarfile.ReadError, EOFError, zlib.error, OSError) as error:
        reason = str(error) or type(error).__name__
        if isinstance(error, EOFError) or "truncated" in reason or "unexpected end" in reason:
            raise ModelLoadError(
                f"{archive} is truncated ({reason}): copy or rebuild the archive"
            ) from None
        raise ModelLoadError(
            f"{archive} is not a gzip-compressed tar archive ({reason}): SageMaker extracts "
            "model.tar.gz with tar and gzip"
        ) from None
    except tarfile.FilterError as error:
        raise ModelLoadError(f"{archive}: unsafe member refused ({error})") from None


@dataclass
class ModelSource:
    """A model directory, or an archive extracted into a temporary one (kept while serving)."""

    path: Path
    directory: Path
    _temporary: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def open(cls, path: Path) -> ModelSource:
        if path.is_dir():
            return cls(path=path, directory=path)
        if not path.is_file():
            raise ModelLoadError(f"{path}: no such file or directory")
        temporary = tempfile.TemporaryDirectory(prefix="serve-local-model-")
        try:
            extract_artifact(path, Path(temporary.name))
        except ModelLoadError:
            temporary.cleanup()
            raise
        return cls(path=path, directory=Path(temporary.name), _temporary=temporary)

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None
