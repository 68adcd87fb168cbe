"""A page's sidebar controls, read over a base scenario into the keywords of the family's model.

Each family's ``params`` module describes its sidebar as a :class:`Sidebar`:
a frozen dataclass of control values (its fields are the controls' keywords),
their start values from a scenario, how each typed or slid value is read, and
how the values become the model's keywords. Which values the model can run is
decided by the model itself (by its family's declarations); its
:class:`~platform_abm.common.errors.InputError` about a field a control sets
is renamed after that control (:meth:`Sidebar.relabel`).

Mesa's Reset calls the class of the current model with the sidebar's values
as keywords, checked against the constructor's signature: a
:class:`SidebarModel` subclass gets one keyword per control.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from platform_abm.common.errors import InputError
from platform_abm.viz.values import given_controls


@dataclass(frozen=True)
class Sidebar:
    """One family's sidebar: its controls and how their values become the model's keywords.

    Attributes:
        controls: Frozen dataclass of the control values; its fields are the
            controls' keywords, in display order.
        labels: Name of each control in messages, keyed by its keyword.
        initial: ``scenario -> controls``: the values the sidebar starts from.
        readers: ``scenario -> {keyword: reader}``: how each control's value is
            read (a reader raises InputError naming the control).
        model_kwargs: ``(scenario, controls) -> keywords`` of the family's model.
        fields: The control setting each field that the model's errors name.
        describe: ``(scenario, controls) -> text``: the values as one line.
        user_params: ``scenario -> specs``: the controls in Mesa's
            ``model_params`` format, keyed by keyword, starting from the
            scenario's values.
    """

    controls: type
    labels: Mapping[str, str]
    initial: Callable[[Any], Any]
    readers: Callable[[Any], Mapping[str, Callable[[Any], Any]]]
    model_kwargs: Callable[[Any, Any], dict[str, Any]]
    fields: Mapping[str, str]
    describe: Callable[[Any, Any], str]
    user_params: Callable[[Any], dict[str, dict[str, Any]]]

    def parse_controls(self, scenario: Any, values: Mapping[str, Any]) -> Any:
        """Read the sidebar's values (any subset of the controls) over a scenario.

        Args:
            scenario: The base scenario, which gives every value not in
                ``values`` (or given as None).
            values: Control values keyed by control keyword.

        Returns:
            The controls (an instance of :attr:`controls`).

        Raises:
            InputError: For an unknown control, a choice not offered, or a value
                of the wrong kind (text as a number, a seed that is not a whole number).
        """
        readers = self.readers(scenario)
        given = given_controls(values, readers)
        read = {key: readers[key](value) for key, value in given.items()}
        return dataclasses.replace(self.initial(scenario), **read)

    def relabel(self, error: InputError, controls: Any) -> InputError:
        """The model's error about a field a control sets, renamed after that control.

        Args:
            error: An error raised by the model.
            controls: The control values the model was built with.

        Returns:
            The error naming the control and its value, or ``error`` itself when
            no control sets the field.
        """
        key = self.fields.get(error.field)
        if key is None:
            return error
        return InputError(self.labels[key], getattr(controls, key), error.allowed)


class SidebarModel:
    """Base of a page's model class: ``cls(base, **controls)`` builds the family's model.

    A subclass names its family's :class:`Sidebar` in ``sidebar`` and lists the
    family's model class after this one among its bases; its constructor then
    takes the base scenario and one keyword per control (None: the base
    scenario's value), and raises the model's InputError renamed after the control.

    Attributes:
        sidebar: The family's sidebar (set by the subclass).
        base: The base scenario.
        controls: The control values the model was built with.
    """

    sidebar: ClassVar[Sidebar]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "sidebar" not in cls.__dict__:
            return

        def __init__(self: SidebarModel, base: Any, **controls: Any) -> None:
            SidebarModel.__init__(self, base, **controls)

        # Mesa checks the sidebar's keywords against this signature.
        positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
        __init__.__signature__ = inspect.Signature(
            [
                inspect.Parameter("self", positional),
                inspect.Parameter("base", positional),
                *(
                    inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None)
                    for f in dataclasses.fields(cls.sidebar.controls)
                ),
            ]
        )
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        __init__.__doc__ = SidebarModel.__init__.__doc__
        cls.__init__ = __init__

    def __init__(self, base: Any, **controls: Any) -> None:
        """Build the model of ``base`` with the controls' values.

        Args:
            base: The scenario the page was started with.
            **controls: Control values keyed by control keyword (None: the base
                scenario's value).

        Raises:
            InputError: For values the model cannot run, naming the control.
        """
        sidebar = self.sidebar
        parsed = sidebar.parse_controls(base, controls)
        kwargs = sidebar.model_kwargs(base, parsed)
        try:
            super().__init__(**kwargs)
        except InputError as exc:
            raise sidebar.relabel(exc, parsed) from None
        self.base = base
        self.controls = parsed
