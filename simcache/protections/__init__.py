"""Protections against stampedes, penetration and hot keys: hooks on hit, miss and fill."""

from .base import PROTECTIONS, Hooks, Protection, ProtectionOptions

__all__ = ["PROTECTIONS", "Hooks", "Protection", "ProtectionOptions"]
