"""A role's extension-less script (files/webfarm-*) imported as a module, for
its unit tests: the tests call its functions as the host runs them."""
from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import ModuleType


def load_script(path, name: str) -> ModuleType:
    """The script at ``path`` as module ``name`` (registered in sys.modules,
    so its dataclasses and pickling find it)."""
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    sys.modules[name] = module
    loader.exec_module(module)
    return module
