"""The identity model: who may act, and how each one is meant to authenticate."""

from chalicelib.identity.loader import default_model_path, load_model, parse_model
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.resolve import Actor, resolve_actor

__all__ = ["Actor", "IdentityModel", "default_model_path", "load_model", "parse_model", "resolve_actor"]
