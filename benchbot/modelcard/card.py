"""A model card as a value (defined in :mod:`benchbot.store.card`, beside the records that
carry it; JSON in :mod:`benchbot.store.codec`)."""

from __future__ import annotations

from benchbot.store.card import ModelCard, TensorSpec

__all__ = ["ModelCard", "TensorSpec"]
