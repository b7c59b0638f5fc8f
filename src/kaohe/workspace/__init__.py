"""The workspace folder (spec §1): settings, org, sources, schemes and the store."""

from kaohe.workspace.workspace import Workspace

__all__ = ["Workspace"]
