"""Change what a NASLib function does *in place*, so every name bound to it sees the change.

``from naslib.utils import get_dataset_api`` copies a reference to NASLib's function object into
the importing module. Replacing ``naslib.utils.get_dataset_api`` afterwards leaves that copy
pointing at the original, which is why registering after such an import used to fail. Here the
function object itself is changed: its code becomes a trampoline with the same signature that calls
a hook kept in the function's own module globals. Every reference, whenever it was taken, now runs
the hook; the hook receives a copy of the original function to defer to. :func:`restore` puts the
original code back.
"""
from __future__ import annotations

import inspect
import types
from typing import Any, Callable

_HOOK_PREFIX = "_naslib_anb_hook_"


def _trampoline_code(func: types.FunctionType, hook_name: str) -> types.CodeType:
    """Code with ``func``'s parameters whose body is ``return <hook_name>(<the same arguments>)``."""
    params, passes = [], []
    star_seen = False
    for p in inspect.signature(func).parameters.values():
        if p.kind is p.POSITIONAL_ONLY:
            raise TypeError(f"{func.__qualname__}: positional-only parameters are not supported")
        if p.kind is p.VAR_POSITIONAL:
            params.append(f"*{p.name}")
            passes.append(f"*{p.name}")
            star_seen = True
        elif p.kind is p.VAR_KEYWORD:
            params.append(f"**{p.name}")
            passes.append(f"**{p.name}")
        elif p.kind is p.KEYWORD_ONLY:
            if not star_seen:
                params.append("*")
                star_seen = True
            params.append(p.name)
            passes.append(f"{p.name}={p.name}")
        else:
            params.append(p.name)
            passes.append(p.name)
    src = f"def {func.__name__}({', '.join(params)}):\n    return {hook_name}({', '.join(passes)})\n"
    namespace: dict[str, Any] = {}
    exec(compile(src, f"<naslib_anb trampoline for {func.__qualname__}>", "exec"), namespace)
    return namespace[func.__name__].__code__


def _copy_of(func: types.FunctionType) -> types.FunctionType:
    clone = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__,
                               func.__closure__)
    clone.__kwdefaults__ = func.__kwdefaults__
    clone.__qualname__ = func.__qualname__
    return clone


def redirect(func: Callable[..., Any], make_hook: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Any:
    """Make ``func`` run ``make_hook(original)``; returns the token :func:`restore` takes.

    Idempotent per function: redirecting an already redirected function raises.
    """
    if not isinstance(func, types.FunctionType) or func.__closure__:
        raise TypeError(f"{func!r} is not a plain module-level function")
    hook_name = _HOOK_PREFIX + func.__name__
    if hook_name in func.__globals__:
        raise RuntimeError(f"{func.__module__}.{func.__qualname__} is already redirected")
    original_code = func.__code__
    func.__globals__[hook_name] = make_hook(_copy_of(func))
    func.__code__ = _trampoline_code(func, hook_name)
    return func, original_code, hook_name


def restore(token: Any) -> None:
    func, original_code, hook_name = token
    func.__code__ = original_code
    func.__globals__.pop(hook_name, None)


def is_redirected(func: Callable[..., Any]) -> bool:
    return (_HOOK_PREFIX + getattr(func, "__name__", "")) in getattr(func, "__globals__", {})
