"""The interactive Solara view for students.

``collabsim viz`` (or ``solara run collabsim.viz.app``) serves the page.
Modules: :mod:`~collabsim.viz.controls` turns the scenario schema into sliders
and model keyword arguments; :mod:`~collabsim.viz.panels` builds the charts
(Altair) and numbers from a model, with no Solara in sight;
:mod:`~collabsim.viz.components` wraps them in Solara components;
:mod:`~collabsim.viz.app` lays out the page. Importing this package starts
nothing.
"""

__all__: list[str] = []
